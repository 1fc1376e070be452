/**
 * One store, many threads: `kv.shareHandle()` and `FasterKV.attach(handle)` in worker_threads
 * (README "Worker threads"). Workers do every operation, sync and async, including device
 * reads; workers racing on shared keys and counters (record locks, sealing) leave exactly the
 * state their operation streams imply, and no read ever sees a torn value.
 */
import { describe, expect, it } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { availableEngines } from '../../../src/native.js';
import { FasterKV } from '../../../src/store/faster-kv.js';
import { rmwFunctions } from '../../../src/store/rmw-functions.js';
import { TINY, bytesOf, textOf } from '../../support/store.js';
import { tempDir } from '../../support/temp-dir.js';
import { testSeed, seededPrng } from '../../support/prng.js';
import { SHARED_KEYS, checkValue, expectedState } from '../../support/thread-workload.js';
import { startTsWorker } from '../../support/ts-worker.js';

const workerModule = new URL('./store.worker.ts', import.meta.url);

/** Runs the store worker; resolves with the message it posts, rejects if it fails. */
function runWorker<T>(data: Record<string, unknown>): { worker: Worker; result: Promise<T> } {
  const worker = startTsWorker(workerModule, data);
  const result = new Promise<T>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`store worker exited with code ${code}`)));
  });
  return { worker, result };
}

function openStore(engine: 'native' | 'js', dir = tempDir()) {
  return FasterKV.open<Uint8Array, Uint8Array, number>({
    dir, engine, ...TINY, rmw: rmwFunctions.counter,
  });
}

describe.each(availableEngines())('FasterKV shared with worker threads (%s)', (engine) => {
  it('lets a worker read the owner\'s records from memory and the device, write, RMW and ' +
    'delete, sync and async', async () => {
    const kv = await openStore(engine);
    const s = kv.newSession('owner');
    const count = 1000;
    for (let i = 0; i < count; i++) s.upsert(bytesOf(`o${i}`), bytesOf(`owner-${i}`));
    expect(kv.stats().headAddress).toBeGreaterThan(4096);
    const { result } = runWorker<{ owners: string[][]; mine: string[][]; serial: number }>({
      handle: kv.shareHandle(), task: 'roundtrip', worker: 0, count,
    });
    const got = await result;
    expect(got.owners).toEqual(Array.from({ length: count }, (_, i) =>
      [`owner-${i}`, `owner-${i}`]));
    expect(got.mine).toEqual(Array.from({ length: count }, (_, i) =>
      (i === 1 ? ['async', 'async'] : [`v${i}`, `v${i}`])));
    expect(got.serial).toBe(5 * count + 5);
    expect(s.read(bytesOf('t0'))).toBeUndefined();
    expect(s.read(bytesOf('t2'))).toBeUndefined();
    expect(textOf(s.read(bytesOf('t3')))).toBe('v3');
    expect(Buffer.from(s.read(bytesOf('c'))!).readBigUInt64LE(0)).toBe(12n);
    await kv.close();
  });

  it('closes the owner last: its close refuses new attaches and waits for attached stores',
    async () => {
      const kv = await openStore(engine);
      kv.newSession('owner').upsert(bytesOf('k'), bytesOf('v'));
      const start = new SharedArrayBuffer(4);
      const worker = startTsWorker(workerModule, {
        handle: kv.shareHandle(), task: 'hold', worker: 0, start,
      });
      const messages: unknown[] = [];
      const events: string[] = [];
      let heard: () => void = () => {};
      worker.on('message', (m) => {
        messages.push(m);
        if (m === 'closed') events.push('worker closed');
        heard();
      });
      const message = async (): Promise<unknown> => {
        while (messages.length === 0) await new Promise<void>((r) => { heard = r; });
        return messages.shift();
      };
      expect(await message()).toBe('attached');
      const closing = kv.close().then(() => events.push('owner closed'));
      while (!kv.parts.shared.closing) await new Promise((r) => setTimeout(r, 1));
      Atomics.store(new Int32Array(start), 0, 1);
      Atomics.notify(new Int32Array(start), 0);
      expect(await message()).toBe('ERR_CLOSED');
      expect(await message()).toBe('closed');
      await closing;
      expect(events).toEqual(['worker closed', 'owner closed']);
      expect(() => kv.shareHandle()).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }));
    });

  it.each([2, 3])('ends with the state the streams of %i racing workers imply, small memory, ' +
    'no torn read', async (workers) => {
    const seed = testSeed();
    seededPrng(seed);
    const count = 6000;
    const kv = await openStore(engine);
    const handle = kv.shareHandle();
    const start = new SharedArrayBuffer(4);
    const runs = Array.from({ length: workers }, (_, worker) => runWorker<{ ops: number }>({
      handle, task: 'workload', worker, workers, count, seed, start,
    }).result);
    expect(await Promise.all(runs)).toEqual(Array(workers).fill({ ops: count }));
    const s = kv.newSession('check');
    for (const [key, want] of expectedState(seed, workers, count)) {
      const got = s.read(bytesOf(key));
      if (typeof want === 'bigint') {
        expect(got === undefined ? undefined : Buffer.from(got).readBigUInt64LE(0), key)
          .toBe(want);
      } else {
        expect(got === undefined ? undefined : Buffer.from(got), key)
          .toEqual(want === undefined ? undefined : Buffer.from(want));
      }
    }
    for (let i = 0; i < SHARED_KEYS; i++) {
      const got = s.read(bytesOf(`s/k${i}`));
      if (got !== undefined) checkValue(got, `s/k${i}`);
    }
    expect(kv.stats().headAddress).toBeGreaterThan(16 * 4096);
    await kv.close();
  });
});
