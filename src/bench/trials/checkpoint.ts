/**
 * Checkpoint and recovery trials.
 *  - checkpoint-kinds: one store loaded to LOG bytes (100-byte values), then in turn a full
 *    fold-over checkpoint, a full snapshot, an index-only checkpoint, an incremental snapshot
 *    after updating a tenth of the keys, and the recovery of the incremental chain and of a
 *    full fold-over; then, in a second store loaded the same way, a log-only checkpoint with
 *    no index checkpoint, whose recovery replays the whole log. Each is reported in MB/s of checkpoint bytes written (flushed log, index
 *    image, snapshot, delta) or recovery bytes read (index image, replayed log, snapshot and
 *    deltas) per second of wall time, beside the O_DIRECT sequential write bandwidth of the
 *    same disk measured first.
 *  - checkpoint-throughput: a 50% read / 50% upsert uniform workload over in-memory keys,
 *    without checkpoints, then with a checkpoint started every 250 ms (each kind in turn: full
 *    fold-over, log-only snapshot, incremental snapshot), then with checkpoints back to back.
 *    One thread runs both the operations and the checkpoints, so the ratio shows the CPU a
 *    checkpoint takes from the operations (nothing waits on a lock).
 * Default: a 128 MiB log, 64 MiB of memory; `--full`: a 1 GiB log, 256 MiB of memory.
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { FasterKV } from '../../store/faster-kv.js';
import type { Session } from '../../store/session.js';
import { directBandwidth } from '../disk-bandwidth.js';
import { nowNs } from '../stats.js';
import type { Trial, TrialContext, TrialResult } from '../trial.js';

const MiB = 1 << 20;
const VALUE = new Uint8Array(100).fill(0x61);

interface Size {
  readonly logBytes: number;
  readonly memoryBytes: number;
  readonly indexBuckets: number;
}

function sizeOf(ctx: TrialContext): Size {
  return ctx.full
    ? { logBytes: 1024 * MiB, memoryBytes: 256 * MiB, indexBuckets: 1 << 21 }
    : { logBytes: 128 * MiB, memoryBytes: 64 * MiB, indexBuckets: 1 << 18 };
}

function open(ctx: TrialContext, size: Size): Promise<FasterKV> {
  return FasterKV.open({
    dir: join(ctx.dataDir, 'store'), engine: ctx.engine === 'js' ? 'js' : 'native',
    memoryBytes: size.memoryBytes, indexBuckets: size.indexBuckets, retainCheckpoints: 10,
  });
}

function key(i: number): Uint8Array {
  return Buffer.from(`key${i.toString(36).padStart(6, '0')}`);
}

/** Upserts keys from `first` until the log grew by `bytes`; returns the next key number. */
async function load(kv: FasterKV, s: Session, first: number, bytes: number): Promise<number> {
  const until = kv.stats().tailAddress + bytes;
  let i = first;
  while (kv.stats().tailAddress < until) {
    for (let n = 0; n < 10_000; n++) s.upsert(key(i++), VALUE);
    await nextTurn();
  }
  return i;
}

function fileBytes(ctx: TrialContext, token: string, name: string): number {
  try {
    return statSync(join(ctx.dataDir, 'store', 'checkpoints', token, name)).size;
  } catch {
    return 0;
  }
}

type Measure = (label: string, bytes: number, ns: number, what: string, cpuMs: number) =>
  TrialResult;

/** Milliseconds of this process's CPU time (user + system, every thread) since `from`. */
function cpuMsSince(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
}

/** Times `kind` and reports the bytes it wrote. */
async function timeCheckpoint(ctx: TrialContext, kv: FasterKV, measure: Measure, label: string,
  options: Parameters<FasterKV['checkpoint']>[0]): Promise<TrialResult> {
  const flushedBefore = kv.stats().flushedUntilAddress;
  const cpu = process.cpuUsage();
  const start = nowNs();
  const info = await kv.checkpoint(options);
  const ns = nowNs() - start;
  const cpuMs = cpuMsSince(cpu);
  const flushed = info.type === 'foldover' ? kv.stats().flushedUntilAddress - flushedBefore : 0;
  const bytes = flushed + fileBytes(ctx, info.token, 'index.dat') +
    fileBytes(ctx, info.token, 'snapshot.0') + fileBytes(ctx, info.token, 'delta.dat');
  return measure(label, bytes, ns, 'written', cpuMs);
}

async function timeRecovery(ctx: TrialContext, size: Size, measure: Measure, label: string):
  Promise<TrialResult> {
  const cpu = process.cpuUsage();
  const start = nowNs();
  const kv = await open(ctx, size);
  const ns = nowNs() - start;
  const cpuMs = cpuMsSince(cpu);
  const token = kv.recoveredFrom!.token;
  const info = (await kv.listCheckpoints()).find((c) => c.token === token)!;
  let bytes = kv.recoveryReport.replayedBytes + fileBytes(ctx, token, 'index.dat');
  const chain = info.incremental ? (await kv.listCheckpoints()).filter((c) => c.type ===
    'snapshot') : [info];
  for (const c of chain) bytes += fileBytes(ctx, c.token, 'snapshot.0');
  bytes += fileBytes(ctx, token, 'delta.dat');
  await kv.close();
  return measure(label, bytes, ns, 'read', cpuMs);
}

const kindsTrial: Trial = {
  name: 'checkpoint-kinds',
  description: 'checkpoint of each kind and recovery, MB/s against sequential bandwidth',
  engines: ['native', 'js'],
  async run(ctx) {
    const size = sizeOf(ctx);
    const disk = directBandwidth(ctx, Math.min(size.logBytes, 512 * MiB)).mbPerSec;
    const measure: Measure = (label, bytes, ns, what, cpuMs) => {
      const mbPerSec = bytes / 1e6 / (ns / 1e9);
      return {
        trial: `checkpoint-kinds ${label}`, engine: ctx.engine, metrics: { mbPerSec },
        detail: `${(bytes / MiB).toFixed(1)} MiB ${what} in ${(ns / 1e6).toFixed(0)} ms ` +
          `(${cpuMs.toFixed(0)} ms of CPU); ` +
          `${(100 * mbPerSec / disk).toFixed(0)}% of ${disk.toFixed(0)} MB/s sequential ` +
          `(O_DIRECT 1 MiB writes); log ${size.logBytes / MiB} MiB, memory ` +
          `${size.memoryBytes / MiB} MiB, ${size.indexBuckets} buckets`,
      };
    };
    let kv = await open(ctx, size);
    const s = kv.newSession('loader');
    let keys = await load(kv, s, 0, size.logBytes);
    const results = [await timeCheckpoint(ctx, kv, measure, 'fold-over', { type: 'foldover' })];
    keys = await load(kv, s, keys, size.memoryBytes / 2);
    results.push(await timeCheckpoint(ctx, kv, measure, 'snapshot', { type: 'snapshot' }));
    results.push(await timeCheckpoint(ctx, kv, measure, 'index-only', { log: false }));
    for (let i = 0; i < keys; i += 10) s.upsert(key(i), VALUE);
    results.push(await timeCheckpoint(ctx, kv, measure, 'incremental',
      { type: 'snapshot', index: false, incremental: true }));
    await kv.close();
    results.push(await timeRecovery(ctx, size, measure, 'recovery (incremental chain)'));
    kv = await open(ctx, size);
    await kv.checkpoint({ type: 'foldover' });
    await kv.close();
    results.push(await timeRecovery(ctx, size, measure, 'recovery (fold-over)'));
    rmSync(join(ctx.dataDir, 'store'), { recursive: true });
    kv = await open(ctx, size);
    await load(kv, kv.newSession('loader'), 0, size.logBytes);
    await kv.checkpoint({ type: 'foldover', index: false });
    await kv.close();
    results.push(await timeRecovery(ctx, size, measure, 'recovery (whole log replay)'));
    return results;
  },
};

/** Runs the read/upsert mix for `ms`; returns operations per second. */
async function mix(kv: FasterKV, keys: number, ms: number): Promise<number> {
  const s = kv.newSession();
  let ops = 0;
  let x = 12345;
  const start = nowNs();
  while (nowNs() - start < ms * 1e6) {
    for (let n = 0; n < 1000; n++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const k = key(x % keys);
      if (x & 0x10000) s.upsert(k, VALUE);
      else s.read(k);
    }
    ops += 1000;
    await nextTurn();
  }
  s.close();
  return ops / ((nowNs() - start) / 1e9);
}

const KINDS = [{ type: 'foldover' }, { type: 'snapshot', index: false },
  { type: 'snapshot', index: false, incremental: true }] as const;

/** Runs the mix while checkpoints start every `everyMs` (0: back to back). */
async function mixWithCheckpoints(kv: FasterKV, keys: number, ms: number, everyMs: number):
  Promise<{ opsPerSec: number; checkpoints: number }> {
  let running = true;
  let checkpoints = 0;
  const loop = (async () => {
    while (running) {
      const started = nowNs();
      await kv.checkpoint(KINDS[checkpoints % KINDS.length]);
      checkpoints++;
      const left = everyMs - (nowNs() - started) / 1e6;
      if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
    }
  })();
  const opsPerSec = await mix(kv, keys, ms);
  running = false;
  await loop;
  return { opsPerSec, checkpoints };
}

const throughputTrial: Trial = {
  name: 'checkpoint-throughput',
  description: '50/50 read/upsert ops/s without checkpoints, with one every 250 ms, back to back',
  engines: ['native', 'js'],
  async run(ctx) {
    const size = sizeOf(ctx);
    const ms = ctx.full ? 5000 : 1500;
    const kv = await open(ctx, size);
    const keys = await load(kv, kv.newSession('loader'), 0, size.memoryBytes / 2);
    const quiet = await mix(kv, keys, ms);
    const paced = await mixWithCheckpoints(kv, keys, ms, 250);
    const busy = await mixWithCheckpoints(kv, keys, ms, 0);
    await kv.close();
    const detail = `${keys} keys of 100 bytes in memory; ${(ms / 1000).toFixed(1)} s each`;
    const row = (label: string, r: { opsPerSec: number; checkpoints: number }): TrialResult => ({
      trial: `checkpoint-throughput ${label}`, engine: ctx.engine,
      metrics: { opsPerSec: r.opsPerSec },
      detail: `${detail}; ${r.checkpoints} checkpoints meanwhile (fold-over, snapshot, ` +
        `incremental in turn); ${(100 * r.opsPerSec / quiet).toFixed(0)}% of the throughput ` +
        'without',
    });
    return [
      { trial: 'checkpoint-throughput without', engine: ctx.engine,
        metrics: { opsPerSec: quiet }, detail },
      row('every 250 ms', paced), row('back to back', busy),
    ];
  },
};

export const checkpointTrials: readonly Trial[] = [kindsTrial, throughputTrial];
