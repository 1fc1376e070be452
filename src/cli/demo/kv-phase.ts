/**
 * The demo's store phase, per engine: load a data set, run a short YCSB-A mixed workload
 * (50% read / 50% update, Zipf 0.99), take a full fold-over checkpoint, close, reopen and
 * recover, and read back a sample. The workload is the benchmark's (src/bench/ycsb).
 */
import { join } from 'node:path';
import type { EngineName } from '../../native.js';
import { loadPhase, runPhase, valuePool } from '../../bench/ycsb/driver.js';
import { opStream, recordKeys } from '../../bench/ycsb/workload.js';
import { FasterKV } from '../../store/faster-kv.js';

export interface KvResult {
  readonly engine: EngineName;
  readonly records: number;
  readonly loadOpsPerSec: number;
  readonly runOpsPerSec: number;
  readonly runP99Us: number;
  readonly checkpointMs: number;
  readonly recoverMs: number;
  readonly sampleChecked: number;
}

const SEED = 20261122;

export async function kvPhase(dir: string, engine: EngineName, records: number, ops: number,
  progress: (text: string) => void): Promise<KvResult> {
  const keys = recordKeys(records);
  const values = valuePool(8, SEED);
  const options = {
    dir: join(dir, `kv-${engine}`), engine, indexBuckets: 1 << 16, memoryBytes: 64 << 20,
  };
  let kv = await FasterKV.open(options);
  const s = kv.newSession('demo');
  const store = {
    name: 'fasterkv', durability: 'checkpoint at the end',
    read: (k: Buffer) => s.read(k), update: (k: Buffer, v: Buffer) => void s.upsert(k, v),
    rmw: () => undefined, batch: (f: () => void) => f(), flush: () => undefined,
    close: () => kv.close(),
  };
  progress(`loading ${records} records`);
  const load = await loadPhase(store, keys, values);
  progress(`running ${ops} YCSB-A zipf operations`);
  const run = await runPhase(store, opStream('A', 'zipf', records, ops, SEED), keys, values);
  progress('checkpointing');
  let t = performance.now();
  await kv.checkpoint({ type: 'foldover' });
  const checkpointMs = performance.now() - t;
  const expected = keys.slice(0, 1000).map((k) => Buffer.from(s.read(k) ?? []));
  await kv.close();
  progress('recovering');
  t = performance.now();
  kv = await FasterKV.open(options);
  const recoverMs = performance.now() - t;
  const check = kv.newSession('check');
  keys.slice(0, 1000).forEach((k, i) => {
    if (!Buffer.from(check.read(k) ?? []).equals(expected[i]!)) {
      throw new Error(`record ${i} differs after recovery`);
    }
  });
  await kv.close();
  return {
    engine, records, loadOpsPerSec: load.metrics.opsPerSec ?? 0,
    runOpsPerSec: run.metrics.opsPerSec ?? 0, runP99Us: run.metrics.p99Us ?? 0, checkpointMs,
    recoverMs, sampleChecked: 1000,
  };
}
