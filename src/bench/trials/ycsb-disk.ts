/**
 * YCSB-C uniform, larger than memory: the log holds 4x the store's memory, so most reads go to
 * the device. Reads are `readAsync` with 16 in flight (16 loops, each awaiting its own read),
 * FASTER's pending reads. Reports ops/s, per-read latency (every 61st read, timed from issue
 * to resolution) and device reads per second (the device's own count).
 * The native engine reads with O_DIRECT from its own I/O threads (16 here, so 16 reads can be
 * in flight), so its IOPS are the disk's; the js engine reads through the page cache.
 * Default: 64 MiB of memory, 272 MB of records (2M records of 100-byte values), 400k reads;
 * `--full`: 256 MiB of memory, 8M records, 2M reads.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FasterKV } from '../../store/faster-kv.js';
import { summarizeLatency } from '../stats.js';
import type { Trial, TrialContext, TrialResult } from '../trial.js';
import { SAMPLE_EVERY, valuePool } from '../ycsb/driver.js';
import { opStream, recordKeys } from '../ycsb/workload.js';

const IN_FLIGHT = 16;
const VALUE_BYTES = 100;
const SEED = 311;

async function runDiskTrial(ctx: TrialContext): Promise<TrialResult> {
  // The addon starts its I/O threads on first use; 16 threads keep 16 reads in flight.
  process.env.FASTERKV_IO_THREADS ??= String(IN_FLIGHT);
  const memoryBytes = (ctx.full ? 256 : 64) << 20;
  const records = ctx.full ? 8_000_000 : 2_000_000;
  const reads = ctx.full ? 2_000_000 : 400_000;
  const kv = await FasterKV.open({
    dir: join(ctx.dataDir, 'fasterkv'), engine: ctx.engine === 'js' ? 'js' : 'native',
    memoryBytes, pageBytes: 1 << 22, indexBuckets: 2 ** Math.ceil(Math.log2(records / 2)),
  });
  const keys = recordKeys(records);
  const values = valuePool(VALUE_BYTES, SEED);
  const s = kv.newSession('ycsb-disk');
  for (let r = 0; r < records; r++) s.upsert(keys[r]!, values[r & 63]!);
  const logBytes = kv.ctx.log.tailAddress;
  const stream = opStream('C', 'uniform', records, reads, SEED);
  const device = kv.ctx.log.device;
  const reads0 = device.stats().reads;
  const samples = new Float64Array(Math.ceil(reads / SAMPLE_EVERY));
  let next = 0;
  let found = 0;
  const lane = async (): Promise<void> => {
    while (next < reads) {
      const i = next++;
      const key = keys[stream.records[i]!]!;
      if (i % SAMPLE_EVERY !== 0) {
        if ((await s.readAsync(key)) !== undefined) found++;
        continue;
      }
      const t = performance.now();
      if ((await s.readAsync(key)) !== undefined) found++;
      samples[i / SAMPLE_EVERY] = (performance.now() - t) * 1e6;
    }
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const deviceReads = device.stats().reads - reads0;
  const mode = device.stats().direct ? 'O_DIRECT' : 'buffered (page cache)';
  await kv.close();
  if (found !== reads) throw new Error(`ycsb-disk: ${reads - found} reads found no value`);
  const lat = summarizeLatency(samples);
  return {
    trial: 'ycsb-disk C-uniform', engine: ctx.engine, store: 'fasterkv',
    metrics: { opsPerSec: reads / seconds, p50Us: lat.p50Us, p99Us: lat.p99Us,
      iops: deviceReads / seconds, opsPerCpuSec: reads / ((cpu.user + cpu.system) / 1e6) },
    detail: `${records / 1e6}M records of 100-byte values (${(logBytes / 1e6).toFixed(0)} MB ` +
      `of log) over ${memoryBytes >> 20} MiB of memory; ${reads.toLocaleString('en-US')} ` +
      `readAsync, ${IN_FLIGHT} in flight; ${(deviceReads / reads).toFixed(2)} device ` +
      `reads per op, ${mode}; durability none`,
  };
}

export const ycsbDiskTrial: Trial = {
  name: 'ycsb-disk-fasterkv',
  description: 'YCSB-C uniform, data 4x memory, readAsync with 16 in flight',
  engines: ['native', 'js'],
  run: runDiskTrial,
};
