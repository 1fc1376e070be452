/**
 * YCSB on one store from several threads: YCSB A (50% reads, 50% updates) and C (reads only),
 * uniform and zipf, on one FasterKV store in memory, run by the thread that opened it alone
 * (no record locks), then by 1 and by 2 worker threads attached to it (record locks on: they
 * switch on at the first attach and stay on). Each worker runs a contiguous share of the same
 * operation stream; throughput is all operations over the wall time from the start gate until
 * the last worker is done, and per second of process CPU time (every thread's: on a machine
 * shared with other work the steadier figure, and the one that shows what a second thread
 * costs per operation). The 1- and 2-worker runs of a stream follow each other, so a change
 * of load between them skews their ratio as little as possible. Every measured run follows a
 * warm-up of its first WARMUP_OPS operations on the same thread (ycsb/threads.ts).
 * Default: 1M records of 8-byte keys and values, 1M operations per run; `--full`: 10M and 10M.
 */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FasterKV } from '../../store/faster-kv.js';
import { rmwFunctions } from '../../store/rmw-functions.js';
import type { FasterKVHandle } from '../../store/store-setup.js';
import { summarizeLatency } from '../stats.js';
import type { Trial, TrialContext, TrialResult } from '../trial.js';
import { valuePool } from '../ycsb/driver.js';
import {
  runSlice, WARMUP_OPS, type WorkerData, type YcsbSession,
} from '../ycsb/threads.js';
import {
  opStream, recordKeys, type Distribution, type OpStream, type WorkloadName,
} from '../ycsb/workload.js';

const SEED = 211;
const VALUE_BYTES = 8;
/** Bytes of a record of an 8-byte key and an 8-byte value (header, key, value). */
const RECORD_BYTES = 24 + 8 + VALUE_BYTES;
export const THREAD_RUNS: readonly { workload: WorkloadName; dist: Distribution }[] = [
  { workload: 'A', dist: 'uniform' }, { workload: 'C', dist: 'uniform' },
  { workload: 'A', dist: 'zipf' }, { workload: 'C', dist: 'zipf' },
];
const workerEntry = new URL('../ycsb/threads.js', import.meta.url);

export interface Measured {
  readonly seconds: number;
  readonly cpuSeconds: number;
  /** Latencies (ns) of every SAMPLE_EVERY-th operation, from every thread. */
  readonly samples: Float64Array;
}

export const threadsTrial: Trial = {
  name: 'ycsb-threads',
  description: 'YCSB A and C on one store: its own thread, then 1 and 2 worker threads',
  engines: ['native', 'js'],
  run: runThreads,
};

/** A store in memory (no device I/O, no checkpoint) loaded with `records` records. */
export async function openLoaded(engine: 'native' | 'js', dataDir: string, records: number):
  Promise<{ kv: FasterKV<Uint8Array, Uint8Array, number>; session: YcsbSession;
    keys: Buffer[]; values: Buffer[] }> {
  const keys = recordKeys(records);
  const values = valuePool(VALUE_BYTES, SEED);
  const kv = await FasterKV.open<Uint8Array, Uint8Array, number>({
    dir: join(dataDir, 'fasterkv'), engine,
    indexBuckets: 2 ** Math.ceil(Math.log2(records / 2)),
    memoryBytes: Math.min(2 ** 31, 2 ** Math.ceil(Math.log2(records * RECORD_BYTES * 2))),
    rmw: rmwFunctions.counter,
  });
  const session = kv.newSession('load');
  for (const key of keys) session.upsert(key, values[0]!);
  return { kv, session, keys, values };
}

/** The YCSB streams of the trial (THREAD_RUNS order). */
export function threadStreams(records: number): OpStream[] {
  return THREAD_RUNS.map((r, i) => opStream(r.workload, r.dist, records, records, SEED + i));
}

async function runThreads(ctx: TrialContext): Promise<TrialResult[]> {
  const records = ctx.full ? 10_000_000 : 1_000_000;
  const { kv, session, keys, values } =
    await openLoaded(ctx.engine === 'js' ? 'js' : 'native', ctx.dataDir, records);
  const streams = threadStreams(records);
  const results: TrialResult[] = [];
  const report = (store: string, i: number, m: Measured, note = ''): void => {
    const run = THREAD_RUNS[i]!;
    const latency = summarizeLatency(m.samples);
    results.push({
      trial: `ycsb-threads ${run.workload}-${run.dist}`, engine: ctx.engine, store,
      metrics: {
        opsPerSec: records / m.seconds, opsPerCpuSec: records / m.cpuSeconds,
        p50Us: latency.p50Us, p99Us: latency.p99Us,
      },
      detail: `${count(records)} records, 8-byte keys and values, ${count(records)} ops, ` +
        `seed ${SEED + i}; in memory, no checkpoint; ${m.cpuSeconds.toFixed(2)} CPU s in ` +
        `${m.seconds.toFixed(2)} s${note}`,
    });
  };
  for (const [i, s] of streams.entries()) {
    report('owner', i, measureOwner(session, s, keys, values),
      '; the owner thread alone, no record locks');
  }
  const handle = kv.shareHandle();
  for (const [i, s] of streams.entries()) {
    const one = await runWorkers(handle, s, 1, records);
    report('1 worker', i, one);
    const two = await runWorkers(handle, s, 2, records);
    report('2 workers', i, two, `; ${(one.seconds / two.seconds).toFixed(2)}x the 1-worker ` +
      `ops/s, ${(one.cpuSeconds / two.cpuSeconds).toFixed(2)}x its ops per CPU s`);
  }
  session.close();
  await kv.close({ checkpoint: false });
  return results;
}

/** Runs `stream` on the owner's thread (after a warm-up of its first WARMUP_OPS). */
export function measureOwner(session: YcsbSession, stream: OpStream, keys: readonly Buffer[],
  values: readonly Buffer[]): Measured {
  runSlice(session, stream.records, stream.kinds, keys, values,
    Math.min(WARMUP_OPS, stream.records.length));
  collectGarbage();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const samples = runSlice(session, stream.records, stream.kinds, keys, values);
  const seconds = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu);
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6, samples };
}

/** Runs `stream` split over `count` attached workers started together. */
export async function runWorkers(handle: FasterKVHandle, stream: OpStream, count: number,
  records: number): Promise<Measured> {
  const gate = new SharedArrayBuffer(4);
  const n = stream.records.length;
  const workers = Array.from({ length: count }, (_, w) => {
    const from = Math.floor((w * n) / count);
    const to = Math.floor(((w + 1) * n) / count);
    const workerData: WorkerData = {
      handle, records, valueBytes: VALUE_BYTES, seed: SEED, gate,
      recordsSlice: stream.records.slice(from, to), kindsSlice: stream.kinds.slice(from, to),
    };
    return new Worker(workerEntry, { workerData });
  });
  const exited = workers.map((w) => new Promise((resolve) => w.once('exit', resolve)));
  const messages = workers.map((w) => nextMessages(w, 2));
  await Promise.all(messages.map((m) => m[0]));
  collectGarbage();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  Atomics.store(new Int32Array(gate), 0, 1);
  Atomics.notify(new Int32Array(gate), 0);
  const done = await Promise.all(messages.map((m) => m[1])) as Float64Array[];
  const seconds = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu);
  await Promise.all(exited);
  const samples = new Float64Array(done.reduce((sum, d) => sum + d.length, 0));
  let at = 0;
  for (const d of done) {
    samples.set(d, at);
    at += d.length;
  }
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6, samples };
}

/** Promises of the first `count` messages `worker` posts (rejected if it fails first). */
function nextMessages(worker: Worker, count: number): Promise<unknown>[] {
  const resolvers: ((m: unknown) => void)[] = [];
  const promises = Array.from({ length: count }, () =>
    new Promise<unknown>((resolve, reject) => {
      resolvers.push(resolve);
      worker.once('error', reject);
    }));
  let next = 0;
  worker.on('message', (m) => resolvers[next++]?.(m));
  return promises;
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function count(n: number): string {
  return n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n.toLocaleString('en-US');
}
