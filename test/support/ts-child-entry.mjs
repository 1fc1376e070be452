// Entry of a child process that runs TypeScript test code (crash tests): installs the
// TypeScript hooks (ts-loader-hooks.mjs), then imports the .ts module whose file URL is the
// first argument; the module reads its own arguments from process.argv.slice(3).
import { register } from 'node:module';

register('./ts-loader-hooks.mjs', import.meta.url);
await import(process.argv[2]);
