/**
 * The YCSB driver: loads a store with every record, then runs operation streams against it,
 * measuring throughput over the whole stream and the latency of every SAMPLE_EVERY-th
 * operation (timed alone, so the timer costs two clock reads per SAMPLE_EVERY operations and
 * throughput is not distorted). The stride is odd, so samples fall on every position of a
 * batch; a batch's commit is counted in throughput but belongs to no sampled operation.
 *
 * Operations go through a YcsbStore in batches of BATCH_OPS (one transaction per batch where
 * the store has them). Each store runs in its own process, so the driver's calls to the
 * store's methods stay monomorphic.
 */
import { performance } from 'node:perf_hooks';
import { summarizeLatency } from '../stats.js';
import type { TrialMetrics } from '../trial.js';
import { OP_READ, OP_UPDATE, SeededRandom, type OpStream } from './workload.js';

/** Operations per batch (and per transaction, for stores that have them). */
export const BATCH_OPS = 1000;
/** Every SAMPLE_EVERY-th operation is timed alone. */
export const SAMPLE_EVERY = 61;
/** Distinct update values cycled through by the writes. */
const VALUE_POOL = 64;

/** What the driver asks of a store. Values handed to `update` stay untouched afterwards. */
export interface YcsbStore {
  /** Short name for tables: 'fasterkv', 'lmdb', 'classic-level', 'map'. */
  readonly name: string;
  /** The durability the store was configured for, in words. */
  readonly durability: string;
  read(key: Buffer): unknown;
  update(key: Buffer, value: Buffer): void;
  /** Adds 1 to the little-endian 64-bit integer in the value's first 8 bytes. */
  rmw(key: Buffer): void;
  /**
   * Runs `ops` as one batch: one write transaction where the store has them and the batch
   * writes (`writes`); a read-only batch may use the store's cheaper read path.
   */
  batch(ops: () => void, writes: boolean): void;
  /** Completes the writes of the last batch, for stores that write a batch asynchronously. */
  flush(): Promise<void> | undefined;
  close(): Promise<void>;
}

export interface PhaseResult {
  readonly metrics: TrialMetrics;
  readonly ops: number;
  readonly seconds: number;
  /** CPU time (user + system) of the phase: steadier than wall time on a shared machine. */
  readonly cpuSeconds: number;
}

/** VALUE_POOL values of `bytes` bytes of seeded random data, first 8 bytes a small counter. */
export function valuePool(bytes: number, seed: number): Buffer[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: VALUE_POOL }, () => {
    const v = Buffer.alloc(bytes);
    for (let i = 8; i < bytes; i++) v[i] = random.nextU32() & 0xff;
    return v;
  });
}

/** Inserts every record (in record order, which is hashed key order) in batches. */
export async function loadPhase(store: YcsbStore, keys: readonly Buffer[],
  values: readonly Buffer[]): Promise<PhaseResult> {
  const records = new Int32Array(keys.length);
  for (let r = 0; r < records.length; r++) records[r] = r;
  const kinds = new Uint8Array(keys.length).fill(OP_UPDATE);
  return runPhase(store, { records, kinds }, keys, values);
}

/** Runs `stream` against `store`. */
export async function runPhase(store: YcsbStore, stream: OpStream, keys: readonly Buffer[],
  values: readonly Buffer[]): Promise<PhaseResult> {
  const n = stream.records.length;
  const samples = new Float64Array(Math.ceil(n / SAMPLE_EVERY));
  collectGarbage();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let from = 0; from < n; from += BATCH_OPS) {
    const to = Math.min(n, from + BATCH_OPS);
    store.batch(() => runBatch(store, stream, keys, values, from, to, samples),
      hasWrites(stream.kinds, from, to));
    const pending = store.flush();
    if (pending !== undefined) await pending;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const lat = summarizeLatency(samples);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    metrics: { opsPerSec: n / seconds, opsPerCpuSec: n / cpuSeconds, p50Us: lat.p50Us,
      p99Us: lat.p99Us },
    ops: n, seconds, cpuSeconds,
  };
}

function runBatch(store: YcsbStore, stream: OpStream, keys: readonly Buffer[],
  values: readonly Buffer[], from: number, to: number, samples: Float64Array): void {
  const { records, kinds } = stream;
  let next = Math.ceil(from / SAMPLE_EVERY) * SAMPLE_EVERY;
  for (let i = from; i < to; i++) {
    if (i !== next) {
      runOp(store, kinds[i]!, keys[records[i]!]!, values[i & (VALUE_POOL - 1)]!);
      continue;
    }
    const t = performance.now();
    runOp(store, kinds[i]!, keys[records[i]!]!, values[i & (VALUE_POOL - 1)]!);
    samples[i / SAMPLE_EVERY] = (performance.now() - t) * 1e6;
    next += SAMPLE_EVERY;
  }
}

/**
 * A full collection before a timed phase (when the process runs with --expose-gc, as the
 * benchmark children do), so the garbage of the load or of an earlier phase is not billed to
 * the phase that happens to trigger its collection.
 */
function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) gc();
}

function hasWrites(kinds: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (kinds[i] !== OP_READ) return true;
  return false;
}

function runOp(store: YcsbStore, kind: number, key: Buffer, value: Buffer): void {
  if (kind === OP_READ) store.read(key);
  else if (kind === OP_UPDATE) store.update(key, value);
  else store.rmw(key);
}

/** Adds 1 to the little-endian 64-bit integer in `value`'s first 8 bytes, in place. */
export function addOne(value: Uint8Array): void {
  for (let i = 0; i < 8; i++) {
    value[i] = (value[i]! + 1) & 0xff;
    if (value[i] !== 0) return;
  }
}
