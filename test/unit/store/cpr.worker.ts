/**
 * Worker for worker-cpr.test.ts: attaches to the store of `workerData.handle`, runs session
 * `s<worker>` of the CPR crash workload (test/support/cpr-workload.ts), and reports.
 * workerData: { handle, task, worker, count, checkpointEvery, gate }.
 *  - 'run': issues `count` operations (some RMWs left pending); with `checkpointEvery` > 0 it
 *    also takes checkpoints from this thread; posts { infos }; with a `gate`, then blocks in
 *    Atomics.wait until the test releases it; then completes and closes.
 *  - 'idle': issues `count` operations, posts 'ready', then blocks in Atomics.wait on `gate`
 *    (outside any operation) until the test releases it; posts { serial } and closes.
 *  - 'busy': posts 'ready', then issues operations in one synchronous loop (never yielding to
 *    its event loop) until `gate` is set; posts { serial } and closes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FasterKV } from '../../../src/store/faster-kv.js';
import type { FasterKVHandle } from '../../../src/store/store-setup.js';
import { CHECKPOINT_KINDS, CRASH_STORE, issue, opFor, sessionId } from '../../support/cpr-workload.js';

const { handle, task, worker, count, checkpointEvery, gate } = workerData as {
  handle: FasterKVHandle; task: string; worker: number; count: number;
  checkpointEvery: number; gate: SharedArrayBuffer | undefined;
};

const kv = FasterKV.attach<Uint8Array, Uint8Array, number>(handle, { rmw: CRASH_STORE.rmw });
const session = kv.newSession(sessionId(worker));
const pending: Promise<unknown>[] = [];
const next = (): void => {
  const n = session.serial + 1;
  issue(session, opFor(worker, n, 0), n, (p) => pending.push(p));
};

async function run(): Promise<unknown> {
  const infos = [];
  for (let n = 1; n <= count; n++) {
    next();
    if (checkpointEvery > 0 && n % checkpointEvery === 0) {
      infos.push(await kv.checkpoint(CHECKPOINT_KINDS[(n / checkpointEvery) %
        CHECKPOINT_KINDS.length]));
    } else if (n % 64 === 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  if (gate === undefined) return { infos };
  parentPort!.postMessage({ infos });
  waitForGate();
  return 'released';
}

function waitForGate(): void {
  const word = new Int32Array(gate!);
  while (Atomics.load(word, 0) === 0) Atomics.wait(word, 0, 0, 50);
}

async function idle(): Promise<unknown> {
  for (let n = 1; n <= count; n++) next();
  parentPort!.postMessage('ready');
  waitForGate();
  return { serial: session.serial };
}

async function busy(): Promise<unknown> {
  parentPort!.postMessage('ready');
  const word = new Int32Array(gate!);
  while (Atomics.load(word, 0) === 0) next();
  return { serial: session.serial };
}

const tasks: Record<string, () => Promise<unknown>> = { run, idle, busy };
const result = await tasks[task]!();
await Promise.allSettled(pending);
await session.completePending();
session.close();
await kv.close();
parentPort!.postMessage(result);
