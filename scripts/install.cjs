#!/usr/bin/env node
// npm `install` hook. Uses a prebuilt binary when one matches this platform; otherwise builds
// the addon from source with node-gyp. If that build fails, installation still succeeds and the
// package runs on its pure-TypeScript engine (`engine: 'auto'` falls back; `'native'` reports
// ERR_NATIVE_UNAVAILABLE). Installing must never fail because of the addon.
'use strict';
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');

function prebuildOrBuildFound() {
  try {
    require('node-gyp-build').path(root);
    return true;
  } catch {
    return false;
  }
}

function buildFromSource() {
  const gyp = process.env.npm_config_node_gyp;
  const [cmd, args] = gyp
    ? [process.execPath, [gyp, 'rebuild']]
    : ['node-gyp', ['rebuild']];
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: !gyp });
  return result.status === 0;
}

if (process.env.FASTERKV_SKIP_NATIVE_BUILD === '1') {
  console.warn('fasterkv: FASTERKV_SKIP_NATIVE_BUILD=1, not building the addon');
} else if (!prebuildOrBuildFound()) {
  console.warn('fasterkv: no prebuilt addon for this platform; building from source');
  if (!buildFromSource()) {
    console.warn('fasterkv: the native addon could not be built; the pure-TypeScript engine ' +
      'will be used (engine: "auto").');
  }
}
process.exit(0);
