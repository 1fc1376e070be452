// Entry of child processes that run TypeScript test code (crash tests, benchmarks of the
// sources): `node test/support/ts-child.mjs <module.ts> [args...]` installs the same hooks as
// the worker entry (ts-loader-hooks.mjs), then imports the module; it reads its own argv.
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

register('./ts-loader-hooks.mjs', import.meta.url);
const target = process.argv[2];
if (target === undefined) {
  console.error('usage: node test/support/ts-child.mjs <module.ts> [args...]');
  process.exit(2);
}
await import(pathToFileURL(resolve(target)).href);
