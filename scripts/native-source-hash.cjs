#!/usr/bin/env node
// Prints a short hash of the native sources (native/**, binding.gyp). The addon is compiled with
// it (FKV_SOURCE_HASH) so a test can tell when the committed prebuild is stale.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const root = path.resolve(__dirname, '..');

function listFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else if (/\.(cc|h|gyp|gypi|json)$/.test(entry.name)) out.push(full);
  }
  return out;
}

function nativeSourceHash() {
  const files = [...listFiles(path.join(root, 'native')), path.join(root, 'binding.gyp')]
    .map((f) => path.relative(root, f).split(path.sep).join('/'))
    .sort();
  const h = crypto.createHash('sha256');
  for (const rel of files) {
    h.update(rel + '\0');
    h.update(fs.readFileSync(path.join(root, rel)).toString('utf8').replace(/\r\n/g, '\n'));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

module.exports = { nativeSourceHash };
if (require.main === module) process.stdout.write(nativeSourceHash());
