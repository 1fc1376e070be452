/**
 * worker_threads that run TypeScript test code.
 *
 * Why this way: vitest transpiles TypeScript for the test's own thread only, and a Worker is a
 * fresh Node.js thread without that; importing the compiled dist/ instead would test whatever
 * was last built. So every test worker starts at ts-worker-entry.mjs, which registers module
 * hooks (ts-loader-hooks.mjs) that transpile the project's .ts files on import with the
 * project's own `typescript`, then imports the worker module. Imports keep their real paths,
 * so src/native.ts finds the addon exactly as in the test thread.
 *
 * Cost: the first worker after a source change loads typescript (about a second); the hooks
 * cache their output, so later workers start in a fraction of that.
 * Worker modules are named `*.worker.ts` (not collected as test files) and report with
 * `parentPort.postMessage`.
 */
import { Worker } from 'node:worker_threads';

const entry = new URL('./ts-worker-entry.mjs', import.meta.url);

/** Starts `module` (a .ts file URL) in a worker; `data` is its workerData (plus tsModule). */
export function startTsWorker(module: URL, data: Record<string, unknown>): Worker {
  return new Worker(entry, { workerData: { ...data, tsModule: module.href } });
}

/**
 * Runs `module` in a worker and resolves with the first message it posts. Rejects if the worker
 * throws or exits before posting.
 */
export function runTsWorker<T>(module: URL, data: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = startTsWorker(module, data);
    let settled = false;
    worker.once('message', (message: T) => {
      settled = true;
      resolve(message);
      void worker.terminate();
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`worker ${module.pathname} exited with code ${code}`));
    });
  });
}
