#!/usr/bin/env node
// Runs a build tool (`prebuildify`, `cmake-js`) offline: both would otherwise download node's
// headers, but the running node's own install carries them (<prefix>/include/node). Points
// the tool there, unless a nodedir is already configured (npm_config_nodedir, e.g. from
// .npmrc). Usage: node scripts/with-node-headers.cjs <package> [arguments...]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const [tool, ...args] = process.argv.slice(2);
if (tool === undefined) {
  console.error('usage: node scripts/with-node-headers.cjs <package> [arguments...]');
  process.exit(2);
}

const env = { ...process.env };
const prefix = path.resolve(path.dirname(process.execPath), '..');
if (!env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include/node/node_api.h'))) {
  env.npm_config_nodedir = prefix;
}

const manifestPath = require.resolve(`${tool}/package.json`, { paths: [root] });
const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
const binField = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.[tool];
if (binField === undefined) {
  console.error(`${tool} has no executable named ${tool}`);
  process.exit(2);
}
const bin = path.join(path.dirname(manifestPath), binField);
const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, env, stdio: 'inherit' });
process.exit(result.status ?? 1);
