/**
 * One FasterLog, many threads: `log.shareHandle()` and `FasterLog.attach(handle)` in
 * worker_threads (README "Worker threads"). Workers enqueue into one log and share its group
 * commit; whichever thread starts a commit, waiters on every thread wake; a worker terminated
 * in the middle of its appends stalls nothing and leaves a log that recovers consistently.
 */
import { describe, expect, it } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { FasterLog, type FasterLogHandle } from '../../../src/fasterlog/faster-log.js';
import type { FasterLogOptions } from '../../../src/fasterlog/options.js';
import { availableEngines } from '../../../src/native.js';
import { seededPrng } from '../../support/prng.js';
import { tempDir } from '../../support/temp-dir.js';
import { startTsWorker } from '../../support/ts-worker.js';
import { tagged, untag } from './fasterlog-threads.support.js';

const workerModule = new URL('./fasterlog-threads.worker.ts', import.meta.url);
const SMALL = { pageBytes: 4096, memoryBytes: 4 * 4096, segmentBytes: 64 * 1024 };

interface Running<T> {
  readonly worker: Worker;
  /** Messages in order; `next()` resolves with the next one. */
  next(): Promise<T>;
  readonly exited: Promise<number>;
}

function runWorker<T>(data: Record<string, unknown>): Running<T> {
  const worker = startTsWorker(workerModule, data);
  const queue: T[] = [];
  const takers: Array<(m: T) => void> = [];
  let failure: unknown;
  const failed: Array<(e: unknown) => void> = [];
  worker.on('message', (m: T) => {
    const taker = takers.shift();
    if (taker !== undefined) taker(m);
    else queue.push(m);
  });
  worker.on('error', (err) => {
    failure = err;
    for (const f of failed.splice(0)) f(err);
  });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  return {
    worker, exited,
    next: () => new Promise<T>((resolve, reject) => {
      if (failure !== undefined) return reject(failure);
      const queued = queue.shift();
      if (queued !== undefined) return resolve(queued);
      takers.push(resolve);
      failed.push(reject);
    }),
  };
}

/** Every entry of the reopened log, by worker, in log order; fails on damage. */
async function entriesByWorker(dir: string, engine: 'native' | 'js'):
  Promise<{ byWorker: Map<number, { index: number; address: number }[]>; log: FasterLog }> {
  const log = await FasterLog.open({ dir, engine, ...SMALL });
  expect(log.recoveryReport.corruption).toBeUndefined();
  const byWorker = new Map<number, { index: number; address: number }[]>();
  for (const { address, entry } of log.scan()) {
    const tag = untag(entry);
    if (typeof tag === 'string') expect.fail(`at ${address}: ${tag}`);
    let list = byWorker.get(tag.worker);
    if (list === undefined) byWorker.set(tag.worker, list = []);
    list.push({ index: tag.index, address });
  }
  return { byWorker, log };
}

/** The indices of one worker are 0..n-1 once each, in order (n >= `atLeast`). */
function expectPrefix(list: { index: number }[] | undefined, atLeast: number, what: string): void {
  const indices = (list ?? []).map((e) => e.index);
  expect(indices.length, `${what}: entries present`).toBeGreaterThanOrEqual(atLeast);
  for (let i = 0; i < indices.length; i++) {
    if (indices[i] !== i) expect.fail(`${what}: entry ${i} of the log order is ${indices[i]}`);
  }
}

const policies: Array<[string, Partial<FasterLogOptions>, number | undefined]> = [
  ['immediate, fast commit', { commit: 'immediate' }, undefined],
  ['manual with explicit commits, metadata commits', { commit: 'manual', fastCommit: false }, 40],
  ['grouped by time and bytes', { commit: { groupMs: 1, groupBytes: 2048 } }, undefined],
];

describe.each(availableEngines())('FasterLog shared with worker threads (%s)', (engine) => {
  it.each(policies)('keeps every entry of 3 workers and the owner exactly once, in each ' +
    'one\'s order, after close and reopen (%s)', async (_name, policy, commitEvery) => {
    const { seed } = seededPrng();
    const dir = tempDir();
    const log = await FasterLog.open({ dir, engine, ...SMALL, ...policy });
    const handle = log.shareHandle();
    const workers = 3;
    const count = 400;
    const start = new SharedArrayBuffer(8);
    const acked = new SharedArrayBuffer(4 * workers);
    const running = Array.from({ length: workers }, (_, w) =>
      runWorker<{ addresses: number[] }>({
        handle, task: 'append', worker: w, count, seed: seed + w, start, acked, commitEvery,
      }));
    const gate = new Int32Array(start);
    while (Atomics.load(gate, 0) < workers) await new Promise((r) => setTimeout(r, 1));
    Atomics.store(gate, 1, 1);
    const own: number[] = [];
    for (let i = 0; i < count; i++) {
      const entry = tagged(workers, i, 8 + (i % 90));
      if (i % 10 === 9) own.push(await log.enqueueAndWaitForCommit(entry));
      else own.push(log.enqueue(entry));
    }
    await log.commit();
    const results = await Promise.all(running.map((r) => r.next()));
    await log.close();

    const { byWorker, log: reopened } = await entriesByWorker(dir, engine);
    for (let w = 0; w < workers; w++) {
      expectPrefix(byWorker.get(w), count, `worker ${w}`);
      const given = results[w]!.addresses;
      const found = byWorker.get(w)!;
      for (let i = 0; i < count; i++) {
        if (given[i]! >= 0) expect(found[i]!.address, `worker ${w} entry ${i}`).toBe(given[i]);
      }
    }
    expectPrefix(byWorker.get(workers), count, 'owner');
    expect(byWorker.get(workers)!.map((e) => e.address)).toEqual(own);
    expect([...byWorker.keys()].sort()).toEqual([0, 1, 2, 3]);
    await reopened.close();
  });

  it('starts no commit when a log attaches or leaves: under \'manual\' only commit() does',
    async () => {
      const dir = tempDir();
      const log = await FasterLog.open({ dir, engine, ...SMALL, commit: 'manual' });
      const before = log.committedUntilAddress;
      const mine = log.enqueue(tagged(0, 0, 16));
      const committer = runWorker<unknown>({ handle: log.shareHandle(), task: 'commit',
        worker: 7 });
      expect(await committer.next()).toBe('attached');
      await committer.worker.terminate();
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      expect(log.committedUntilAddress).toBe(before);
      expect(await log.commit()).toBeGreaterThan(mine);
      await log.close();
    });

  it('wakes waiters on every thread, whichever thread starts the commit', async () => {
    const dir = tempDir();
    const log = await FasterLog.open({ dir, engine, ...SMALL, commit: 'manual' });
    const handle: FasterLogHandle = log.shareHandle();
    const committer = runWorker<unknown>({ handle, task: 'commit', worker: 7 });
    expect(await committer.next()).toBe('attached');
    const waiter = runWorker<{ address?: number; committed?: number }>(
      { handle, task: 'wait', worker: 1 });
    const { address } = await waiter.next();
    const mine = log.enqueue(tagged(0, 0, 16));
    let ownerWoke = false;
    const ownerWait = log.waitForCommit(mine).then((c) => {
      ownerWoke = true;
      return c;
    });
    // Nothing commits under 'manual' until someone asks: both waits are still open.
    await new Promise((r) => setImmediate(r));
    expect(ownerWoke).toBe(false);
    expect(log.committedUntilAddress).toBeLessThanOrEqual(Math.min(mine, address!));

    committer.worker.postMessage('commit');
    const [fromWorker, woken, ownerCommitted] = await Promise.all([
      committer.next(), waiter.next(), ownerWait,
    ]);
    const tail = Math.max(mine, address!);
    expect((fromWorker as { committed: number }).committed).toBeGreaterThan(tail);
    expect(woken.committed).toBeGreaterThan(address!);
    expect(ownerCommitted).toBeGreaterThan(mine);

    // And the owner's commit wakes a worker's waiter.
    const second = runWorker<{ address?: number; committed?: number }>(
      { handle, task: 'wait', worker: 2 });
    const late = (await second.next()).address!;
    expect(await log.commit()).toBeGreaterThan(late);
    expect((await second.next()).committed).toBeGreaterThan(late);
    await Promise.all([waiter.exited, second.exited]);
    await committer.worker.terminate();
    await log.close();
  });

  it('refuses new attaches once the owner closes, and closes only after every attached log ' +
    'has left', async () => {
    const dir = tempDir();
    const log = await FasterLog.open({ dir, engine, ...SMALL });
    const handle = log.shareHandle();
    const held = runWorker<unknown>({ handle, task: 'commit', worker: 1 });
    expect(await held.next()).toBe('attached');
    let closed = false;
    const closing = log.close().then(() => {
      closed = true;
    });
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 1));
    expect(closed).toBe(false);
    const late = runWorker<unknown>({ handle, task: 'commit', worker: 2 });
    const [code] = await Promise.all([
      new Promise((resolve) => late.worker.once('error', (e: { code?: string }) =>
        resolve(e.code))),
    ]);
    expect(code).toBe('ERR_CLOSED');
    await held.worker.terminate();
    await closing;
    expect(closed).toBe(true);
  });

  it('goes on committing after a worker is terminated mid-load, and recovers a consistent ' +
    'log with everything that was acknowledged', async () => {
    const { seed } = seededPrng();
    const dir = tempDir();
    const log = await FasterLog.open({ dir, engine, ...SMALL });
    const handle = log.shareHandle();
    const acked = new SharedArrayBuffer(4 * 4);
    new Int32Array(acked).fill(-1);
    for (let round = 0; round < 3; round++) {
      const victim = runWorker<unknown>({
        handle, task: 'forever', worker: round, count: 0, seed: seed + round, acked,
      });
      expect(await victim.next()).toBe('running');
      await victim.worker.terminate();
      await victim.exited;
      // Reclaimed on this thread's event loop: a commit and a durable append complete.
      const address = await log.enqueueAndWaitForCommit(tagged(9, round, 32));
      expect(await log.commit()).toBeGreaterThan(address);
    }
    const survivor = runWorker<{ addresses: number[] }>({
      handle, task: 'append', worker: 3, count: 300, seed: seed + 3, acked,
    });
    await survivor.next();
    await log.close();

    const { byWorker, log: reopened } = await entriesByWorker(dir, engine);
    const ackedView = new Int32Array(acked);
    for (let w = 0; w < 3; w++) expectPrefix(byWorker.get(w), ackedView[w]! + 1, `victim ${w}`);
    expectPrefix(byWorker.get(3), 300, 'survivor');
    expectPrefix(byWorker.get(9), 3, 'owner');
    await reopened.close();
  });
});
