/**
 * CPR across threads: sessions on worker threads get CPR points in checkpoints started from
 * the owner or from a worker; recovery gives every session back its prefix (the crash
 * workload's model, test/support/cpr-workload.ts); an idle, blocked or busy worker never
 * stalls a checkpoint; a worker terminated in the middle of its operations is reclaimed, and
 * checkpoints and recovery go on.
 */
import { describe, expect, it } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { availableEngines, type EngineName } from '../../../src/native.js';
import type { CheckpointInfo } from '../../../src/checkpoint/checkpoint-manager.js';
import { FasterKV } from '../../../src/store/faster-kv.js';
import { CHECKPOINT_KINDS, CRASH_STORE, SessionModel, sessionId } from
  '../../support/cpr-workload.js';
import { seededPrng } from '../../support/prng.js';
import { bytesOf, textOf } from '../../support/store.js';
import { tempDir } from '../../support/temp-dir.js';
import { OWN_KEYS, SHARED_COUNTERS, SHARED_KEYS } from '../../support/thread-workload.js';
import { startTsWorker } from '../../support/ts-worker.js';

const cprWorker = new URL('./cpr.worker.ts', import.meta.url);
const storeWorker = new URL('./store.worker.ts', import.meta.url);

interface Started {
  readonly worker: Worker;
  /** The messages it posts, in order. */
  readonly next: () => Promise<unknown>;
  readonly exited: Promise<number>;
}

function start(module: URL, data: Record<string, unknown>): Started {
  const worker = startTsWorker(module, data);
  const queue: unknown[] = [];
  const waiters: ((m: unknown) => void)[] = [];
  let failure: unknown;
  worker.on('message', (m) => (waiters.length > 0 ? waiters.shift()!(m) : queue.push(m)));
  worker.on('error', (err) => {
    failure = err;
  });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const next = (): Promise<unknown> => {
    if (queue.length > 0) return Promise.resolve(queue.shift());
    if (failure !== undefined) return Promise.reject(failure);
    return Promise.race([new Promise((resolve) => waiters.push(resolve)),
      exited.then((code) => Promise.reject(failure ?? new Error(`worker exited (${code})`)))]);
  };
  return { worker, next, exited };
}

function open(engine: EngineName, dir: string, recover?: string) {
  return FasterKV.open<Uint8Array, Uint8Array, number>({
    dir, engine, ...CRASH_STORE, retainCheckpoints: 100,
    ...(recover === undefined ? {} : { recover }),
  });
}

function release(gate: SharedArrayBuffer): void {
  Atomics.store(new Int32Array(gate), 0, 1);
  Atomics.notify(new Int32Array(gate), 0);
}

/** Checks that recovery from `info` gives every session of it its prefix. */
async function verifyPrefixes(engine: EngineName, dir: string, info: CheckpointInfo):
  Promise<void> {
  const back = await open(engine, dir, info.token);
  const check = back.newSession('check');
  for (const [id, point] of Object.entries(info.sessions)) {
    const model = new SessionModel(Number(id.slice(1)));
    model.advance(point, info.excludedSerials?.[id] ?? [], 0);
    model.verify((key) => check.read(key));
    expect(back.resumeSession(id).recoveredSerial).toBe(point);
  }
  await back.close({ checkpoint: false });
}

describe.each(availableEngines())('CPR with sessions on worker threads (%s)', (engine) => {
  it('gives worker sessions their prefix in checkpoints started by the owner and by a worker',
    async () => {
      const dir = tempDir();
      const kv = await open(engine, dir);
      const handle = kv.shareHandle();
      const gate = new SharedArrayBuffer(4);
      const workers = [0, 1, 2].map((worker) => start(cprWorker, {
        handle, task: 'run', worker, count: 1500, checkpointEvery: worker === 0 ? 400 : 0, gate,
      }));
      const results = workers.map((w) => w.next());
      const ours: CheckpointInfo[] = [];
      let done = false;
      void Promise.all(results).finally(() => {
        done = true;
      });
      for (let i = 0; !done; i++) {
        ours.push(await kv.checkpoint(CHECKPOINT_KINDS[i % CHECKPOINT_KINDS.length]));
      }
      const theirs = ((await results[0]) as { infos: CheckpointInfo[] }).infos;
      expect(theirs.length).toBe(3);
      // Every worker is blocked outside its operations now, some RMWs still pending.
      const last = await kv.checkpoint();
      expect(last.sessions).toEqual({ s0: 1500, s1: 1500, s2: 1500 });
      release(gate);
      await Promise.all(workers.map((w) => w.next()));
      await Promise.all(workers.map((w) => w.exited));
      await kv.close({ checkpoint: false });
      await verifyPrefixes(engine, dir, last);
      const byWorker = theirs.filter((c) => c.log).at(-1)!;
      expect(Object.keys(byWorker.sessions)).toContain('s0');
      await verifyPrefixes(engine, dir, byWorker);
      expect(ours.length).toBeGreaterThan(0);
    });

  it('never waits for a worker that is idle, blocked outside an operation, or busy',
    async () => {
      const kv = await open(engine, tempDir());
      const handle = kv.shareHandle();
      const gate = new SharedArrayBuffer(4);
      const idle = start(cprWorker, { handle, task: 'idle', worker: 0, count: 50, gate });
      const busy = start(cprWorker, { handle, task: 'busy', worker: 1, count: 0, gate });
      expect(await idle.next()).toBe('ready');
      expect(await busy.next()).toBe('ready');
      const first = await kv.checkpoint({ type: 'snapshot' });
      const second = await kv.checkpoint({ type: 'foldover', index: false });
      expect(first.sessions.s0).toBe(50);
      expect(second.sessions.s0).toBe(50);
      expect(second.sessions.s1).toBeGreaterThanOrEqual(first.sessions.s1!);
      release(gate);
      expect(await idle.next()).toEqual({ serial: 50 });
      expect(((await busy.next()) as { serial: number }).serial)
        .toBeGreaterThanOrEqual(second.sessions.s1!);
      await kv.close({ checkpoint: false });
    });

  it('reclaims a worker terminated in the middle of its operations: checkpoints and ' +
    'recovery go on', async () => {
    const dir = tempDir();
    const kv = await open(engine, dir);
    const handle = kv.shareHandle();
    const victim = start(storeWorker, { handle, task: 'forever', worker: 0, count: 2000,
      seed: 7 });
    const gate = new SharedArrayBuffer(4);
    const survivor = start(cprWorker, { handle, task: 'run', worker: 1, count: 3000,
      checkpointEvery: 0, gate });
    expect(await victim.next()).toBe('running');
    await kv.checkpoint();
    await victim.worker.terminate();
    const during = await kv.checkpoint({ type: 'snapshot' });
    await survivor.next();
    const after = await kv.checkpoint();
    expect(Object.keys(during.sessions)).toContain('w0');
    expect(Object.keys(after.sessions)).toEqual(['s1']);
    release(gate);
    expect(await survivor.next()).toBe('released');
    await kv.close({ checkpoint: false });
    await verifyPrefixes(engine, dir, { ...after, sessions: { s1: after.sessions.s1! },
      excludedSerials: { s1: after.excludedSerials?.s1 ?? [] } });
  });

  it('keeps every key usable after workers are terminated at arbitrary points, again and again',
    async () => {
      const prng = seededPrng();
      const dir = tempDir();
      const kv = await open(engine, dir);
      const handle = kv.shareHandle();
      for (let round = 0; round < 4; round++) {
        const victim = start(storeWorker, { handle, task: 'forever', worker: round % 2,
          count: 500, seed: round });
        expect(await victim.next()).toBe('running');
        await new Promise((resolve) => setTimeout(resolve, prng.int(20)));
        await victim.worker.terminate();
      }
      const s = kv.newSession('after');
      const keys = [...Array(SHARED_KEYS).keys()].map((i) => `s/k${i}`).concat(
        [...Array(SHARED_COUNTERS).keys()].map((i) => `s/c${i}`),
        [...Array(OWN_KEYS).keys()].flatMap((i) => [`w0/k${i}`, `w1/k${i}`]));
      for (const key of keys) {
        s.upsert(bytesOf(key), bytesOf('fresh'));
        expect(textOf(await s.readAsync(bytesOf(key)))).toBe('fresh');
      }
      const info = await kv.checkpoint();
      expect(info.sessions.after).toBe(2 * keys.length);
      await kv.close({ checkpoint: false });
      const back = await open(engine, dir);
      const r = back.resumeSession('after');
      for (const key of keys) expect(textOf(r.read(bytesOf(key)))).toBe('fresh');
      await back.close({ checkpoint: false });
    });
});
