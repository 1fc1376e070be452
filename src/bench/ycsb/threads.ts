/**
 * YCSB on one store from several threads (trials/threads.ts): the loop every thread runs over
 * its slice of an operation stream, and the worker that runs it on a store attached with
 * `FasterKV.attach` (src/store/threads.ts).
 *
 * The worker attaches, builds its keys, warms up (runs the first WARMUP_OPS operations of its
 * slice once, so its isolate's JIT has compiled the loop before the clock starts, as the
 * owner thread's has after loading), posts 'ready', waits at the shared start gate, runs its
 * whole slice, and posts its latency samples; the trial's thread measures wall and CPU time
 * around all workers (process CPU time covers every thread, V8's helper threads included).
 * workerData: WorkerData below.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FasterKV } from '../../store/faster-kv.js';
import type { FasterKVHandle } from '../../store/store-setup.js';
import { rmwFunctions } from '../../store/rmw-functions.js';
import type { Session } from '../../store/session.js';
import { nowNs } from '../stats.js';
import { SAMPLE_EVERY, valuePool } from './driver.js';
import { OP_READ, OP_UPDATE, recordKeys } from './workload.js';

export type YcsbSession = Session<Uint8Array, Uint8Array, number>;

/** Operations each worker runs before the gate opens (JIT warm-up). */
export const WARMUP_OPS = 100_000;

export interface WorkerData {
  readonly handle: FasterKVHandle;
  readonly records: number;
  readonly valueBytes: number;
  readonly seed: number;
  readonly recordsSlice: Int32Array;
  readonly kindsSlice: Uint8Array;
  /** Int32 [0]: 0 closed, 1 open. */
  readonly gate: SharedArrayBuffer;
}

/**
 * Runs operations [0, n) of a slice (reads, updates as upserts, read-modify-writes), timing
 * every SAMPLE_EVERY-th operation alone; returns those latencies in nanoseconds.
 */
export function runSlice(session: YcsbSession, records: Int32Array, kinds: Uint8Array,
  keys: readonly Buffer[], values: readonly Buffer[], n = records.length): Float64Array {
  const pool = values.length - 1;
  const samples = new Float64Array(Math.ceil(n / SAMPLE_EVERY));
  let s = 0;
  for (let i = 0; i < n; i++) {
    const key = keys[records[i]!]!;
    const kind = kinds[i]!;
    const timed = i % SAMPLE_EVERY === 0;
    const t0 = timed ? nowNs() : 0;
    if (kind === OP_READ) session.read(key);
    else if (kind === OP_UPDATE) session.upsert(key, values[i & pool]!);
    else session.rmw(key, 1);
    if (timed) samples[s++] = nowNs() - t0;
  }
  return samples;
}

/** Waits (blocking) until the trial opens the gate. */
export function waitAtGate(gate: Int32Array): void {
  while (Atomics.load(gate, 0) === 0) Atomics.wait(gate, 0, 0, 100);
}

async function main(data: WorkerData): Promise<void> {
  const kv = FasterKV.attach<Uint8Array, Uint8Array, number>(data.handle, {
    rmw: rmwFunctions.counter,
  });
  const session = kv.newSession();
  const keys = recordKeys(data.records);
  const values = valuePool(data.valueBytes, data.seed);
  const { recordsSlice, kindsSlice } = data;
  runSlice(session, recordsSlice, kindsSlice, keys, values,
    Math.min(WARMUP_OPS, recordsSlice.length));
  (globalThis as { gc?: () => void }).gc?.();
  parentPort!.postMessage('ready');
  waitAtGate(new Int32Array(data.gate));
  const samples = runSlice(session, recordsSlice, kindsSlice, keys, values);
  parentPort!.postMessage(samples, [samples.buffer as ArrayBuffer]);
  session.close();
  await kv.close();
}

if (parentPort !== null && (workerData as { handle?: unknown } | null)?.handle !== undefined) {
  await main(workerData as WorkerData);
}
