// Entry of every test worker_thread: installs the TypeScript hooks for this thread, then
// imports the .ts module named by workerData.tsModule (see ts-worker.ts).
import { register } from 'node:module';
import { workerData } from 'node:worker_threads';

register('./ts-loader-hooks.mjs', import.meta.url);
await import(workerData.tsModule);
