/**
 * Worker for fasterlog-threads.test.ts: attaches to the log of `workerData.handle` and runs one
 * task. workerData: { handle, task, worker, count, seed, start, acked }.
 * Entry i of worker w is `tagged(w, i, length)` (test/support: the first 8 bytes say w and i).
 *  - 'append': waits at the start gate (start[0] counts arrivals, go when start[1] != 0), then
 *    enqueues `count` entries in order, mixing plain enqueues, batches, enqueueAsync and
 *    durable appends by a seeded stream; every `commitEvery` entries it commits (commit(),
 *    or waitForCommit() beside a commit()); records in acked[w] (Int32Array) the highest i whose
 *    durability it saw acknowledged; closes its log and posts { addresses, closed: true }.
 *  - 'wait': enqueues one entry, posts { address }, then waits for it with waitForCommit
 *    (starting no commit itself) and posts { committed } once woken; then closes.
 *  - 'commit': posts 'attached', waits for a message, calls commit() and posts its result.
 *  - 'forever': enqueues entries without end in bursts of synchronous appends, each burst
 *    ending with a durable append (acknowledged as 'append' does), posting 'running' after
 *    the first; it is terminated.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FasterLog, type FasterLogHandle } from '../../../src/fasterlog/faster-log.js';
import { tagged } from './fasterlog-threads.support.js';

const { handle, task, worker, count, seed, start, acked, commitEvery } = workerData as {
  handle: FasterLogHandle; task: string; worker: number; count: number; seed: number;
  start: SharedArrayBuffer | undefined; acked: SharedArrayBuffer | undefined;
  commitEvery: number | undefined;
};

const log = FasterLog.attach(handle);
let state = (seed >>> 0) || 1;
const random = (n: number): number => {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return state % n;
};
const ackedView = acked === undefined ? undefined : new Int32Array(acked);
const acknowledge = (i: number): void => {
  if (ackedView !== undefined) Atomics.store(ackedView, worker, Math.max(ackedView[worker]!, i));
};

async function gate(): Promise<void> {
  if (start === undefined) return;
  const words = new Int32Array(start);
  Atomics.add(words, 0, 1);
  while (Atomics.load(words, 1) === 0) await new Promise((r) => setTimeout(r, 1));
}

/** Enqueues `total` entries by the seeded mix; returns their addresses (-1: not known). */
async function append(total: number): Promise<number[]> {
  const addresses: number[] = [];
  const durable: Promise<unknown>[] = [];
  for (let i = 0; i < total;) {
    const kind = random(10);
    const length = 8 + random(200);
    if (kind < 5) {
      addresses.push(log.enqueue(tagged(worker, i, length)));
      i++;
    } else if (kind < 6 && i + 3 <= total) {
      const first = log.enqueueBatch([0, 1, 2].map((k) => tagged(worker, i + k, length)));
      addresses.push(first);
      for (let k = 1; k < 3; k++) addresses.push(-1);
      i += 3;
    } else if (kind < 7) {
      addresses.push(await log.enqueueAsync(tagged(worker, i, length)));
      i++;
    } else {
      const index = i;
      const at = log.enqueueAndWaitForCommit(tagged(worker, i, length));
      addresses.push(-1);
      durable.push(at.then((address) => {
        addresses[index] = address;
        acknowledge(index);
      }));
      i++;
      if (durable.length >= 8) await durable.shift();
    }
    if (commitEvery !== undefined && i % commitEvery < 1) {
      const upTo = i - 1;
      // waitForCommit() starts no commit: under 'manual' it is answered by this commit() or
      // another thread's, never left to wait for a commit nobody asks for.
      await (random(2) === 0 ? log.commit()
        : Promise.all([log.waitForCommit(), log.commit()]));
      acknowledge(upTo);
    }
  }
  await Promise.all(durable);
  return addresses;
}

async function main(): Promise<void> {
  if (task === 'append') {
    await gate();
    const addresses = await append(count);
    await log.commit();
    acknowledge(count - 1);
    await log.close();
    parentPort!.postMessage({ addresses, closed: true });
  } else if (task === 'wait') {
    const address = log.enqueue(tagged(worker, 0, 16));
    const waited = log.waitForCommit(address);
    parentPort!.postMessage({ address });
    const committed = await waited;
    parentPort!.postMessage({ committed });
    await log.close({ commit: false });
  } else if (task === 'commit') {
    parentPort!.once('message', () => {
      void log.commit().then((committed) => parentPort!.postMessage({ committed }));
    });
    parentPort!.postMessage('attached');
  } else if (task === 'forever') {
    // Bursts of synchronous appends between short waits, so a terminate() most likely lands
    // in the middle of an append.
    let i = 0;
    for (let burst = 0; ; burst++) {
      for (const end = i + 400; i < end;) {
        if (random(4) === 0) {
          log.enqueueBatch([0, 1].map((k) => tagged(worker, i + k, 8 + random(300))));
          i += 2;
        } else {
          log.enqueue(tagged(worker, i++, 8 + random(300)));
        }
      }
      const last = i - 1;
      void log.enqueueAndWaitForCommit(tagged(worker, i++, 16)).then(() => acknowledge(last + 1));
      if (burst === 0) parentPort!.postMessage('running');
      await new Promise((r) => setImmediate(r));
    }
  }
}

void main();
