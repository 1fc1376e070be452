/**
 * FasterLog trials.
 *  - log-append-N: durable 1 KiB appends from N concurrent appenders (closed loop: each waits
 *    for its acknowledgement), FasterLog under each commit policy, and in the same process the
 *    baselines (baselines.ts): write + fdatasync per append, a plain group commit, lmdb-js
 *    durable puts. Subjects run one after the other, each on a fresh directory; the detail of
 *    FasterLog's results gives its ratio to the baselines measured alongside. With N = 1 the
 *    latency is the commit latency. On the js engine only FasterLog 'immediate' runs.
 *  - log-append-batch: large durable appends (1 MiB entries from 4 appenders) against the
 *    O_DIRECT sequential write bandwidth of the same disk, measured first in the same process.
 *  - log-scan: scan throughput of a log of 1 KiB entries read back from the device.
 * Default: 0.4 s per subject; `--full`: 3 s per subject, the median of 3 rounds, larger logs.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FileDevice } from '../../device/file-device.js';
import type { CommitPolicyOption } from '../../fasterlog/commit-policy.js';
import { FasterLog } from '../../fasterlog/faster-log.js';
import { availableEngines, selectBinding } from '../../native.js';
import {
  fsyncPerAppend, lmdbAppender, plainGroupCommit, type DurableAppender,
} from '../log/baselines.js';
import { closedLoop, type LoopResult } from '../log/closed-loop.js';
import { nowNs } from '../stats.js';
import type { Trial, TrialContext, TrialResult } from '../trial.js';

const KiB = 1024;
const MiB = 1024 * KiB;

interface Variant {
  readonly label: string;
  readonly commit: CommitPolicyOption;
  readonly fastCommit: boolean;
}

const VARIANTS: readonly Variant[] = [
  { label: 'immediate', commit: 'immediate', fastCommit: true },
  { label: 'immediate, metadata commits', commit: 'immediate', fastCommit: false },
  { label: 'group 1 ms', commit: { groupMs: 1 }, fastCommit: true },
  { label: 'interval 1 ms', commit: { intervalMs: 1 }, fastCommit: true },
];

async function openFasterLog(ctx: TrialContext, dir: string, variant: Variant):
  Promise<DurableAppender> {
  const log = await FasterLog.open({ dir, engine: ctx.engine === 'js' ? 'js' : 'native',
    commit: variant.commit, fastCommit: variant.fastCommit });
  return {
    name: `fasterlog ${variant.label}`,
    detail: `commit ${JSON.stringify(variant.commit)}, ` +
      (variant.fastCommit ? 'fast commit (1 sync)' : 'metadata commit (2 syncs)'),
    append: (entry) => log.enqueueAndWaitForCommit(entry),
    close: () => log.close(),
  };
}

/** Runs one subject on a fresh directory; the median round by throughput. */
async function measure(ctx: TrialContext, name: string, appenders: number,
  open: (dir: string) => Promise<DurableAppender>): Promise<{ subject: DurableAppender;
    result: LoopResult }> {
  const durationMs = ctx.full ? 3000 : 400;
  const rounds: LoopResult[] = [];
  let subject: DurableAppender | undefined;
  for (let round = 0; round < (ctx.full ? 3 : 1); round++) {
    const dir = join(ctx.dataDir, `${name}-${round}`);
    mkdirSync(dir, { recursive: true });
    subject = await open(dir);
    const entry = new Uint8Array(KiB).fill(0x5a);
    rounds.push(await closedLoop(appenders, durationMs, () => subject!.append(entry)));
    await subject.close();
    rmSync(dir, { recursive: true, force: true });
  }
  rounds.sort((a, b) => a.opsPerSec - b.opsPerSec);
  return { subject: subject!, result: rounds[Math.floor(rounds.length / 2)]! };
}

function appendTrial(appenders: number): Trial {
  const name = `log-append-${appenders}`;
  return {
    name,
    description: `durable 1 KiB appends, ${appenders} concurrent appenders, FasterLog and ` +
      'baselines',
    engines: ['native', 'js'],
    run: async (ctx) => {
      const withBaselines = ctx.engine === 'native' || !availableEngines().includes('native');
      const results: TrialResult[] = [];
      const byName = new Map<string, number>();
      const add = (measured: { subject: DurableAppender; result: LoopResult },
        ratios: string): void => {
        const { subject, result } = measured;
        byName.set(subject.name, result.opsPerSec);
        results.push({
          trial: name, engine: ctx.engine, store: subject.name,
          metrics: { opsPerSec: result.opsPerSec, p50Us: result.p50Us, p99Us: result.p99Us },
          detail: `${subject.detail}; ${appenders} appenders${ratios}`,
        });
      };
      if (withBaselines) {
        add(await measure(ctx, 'fsync', appenders, async (dir) => fsyncPerAppend(dir)), '');
        add(await measure(ctx, 'group', appenders, async (dir) => plainGroupCommit(dir)), '');
        add(await measure(ctx, 'lmdb', appenders, (dir) => lmdbAppender(dir)), '');
      }
      const variants = ctx.engine === 'native' ? VARIANTS : VARIANTS.slice(0, 1);
      for (const [i, variant] of variants.entries()) {
        const measured = await measure(ctx, `fasterlog-${i}`, appenders,
          (dir) => openFasterLog(ctx, dir, variant));
        add(measured, withBaselines ? ratiosOf(measured.result.opsPerSec, byName) : '');
      }
      return results;
    },
  };
}

function ratiosOf(opsPerSec: number, byName: Map<string, number>): string {
  const group = byName.get('plain group commit') ?? NaN;
  const lmdb = byName.get('lmdb-js') ?? NaN;
  return `; ${(opsPerSec / group).toFixed(2)}x plain group commit, ` +
    `${(opsPerSec / lmdb).toFixed(2)}x lmdb-js`;
}

/** O_DIRECT sequential write bandwidth of the disk under test, MB/s (1 MiB writes + sync). */
function directBandwidth(ctx: TrialContext, totalBytes: number): { mbPerSec: number;
  direct: boolean } {
  const binding = selectBinding(ctx.engine === 'js' ? 'js' : 'native');
  const device = new FileDevice({ binding, dir: ctx.dataDir, baseName: 'bandwidth',
    segmentBytes: 1 << 30 });
  const raw = new Uint8Array(MiB + 4096);
  const buffer = raw.subarray(binding.alignmentOffset(raw, 4096)).subarray(0, MiB).fill(7);
  const start = nowNs();
  for (let at = 0; at < totalBytes; at += MiB) device.writeSync(buffer, at);
  device.syncSync();
  const seconds = (nowNs() - start) / 1e9;
  const direct = device.stats().direct;
  device.close();
  rmSync(join(ctx.dataDir, 'bandwidth.0'), { force: true });
  return { mbPerSec: totalBytes / 1e6 / seconds, direct };
}

const batchTrial: Trial = {
  name: 'log-append-batch',
  description: 'durable 1 MiB appends from 4 appenders, against O_DIRECT sequential bandwidth',
  engines: ['native', 'js'],
  run: async (ctx) => {
    const disk = directBandwidth(ctx, (ctx.full ? 2048 : 512) * MiB);
    const dir = join(ctx.dataDir, 'batch');
    const log = await FasterLog.open({ dir, engine: ctx.engine === 'js' ? 'js' : 'native' });
    const entry = new Uint8Array(MiB - 64).fill(0x33);
    const result = await closedLoop(4, ctx.full ? 3000 : 1000,
      () => log.enqueueAndWaitForCommit(entry));
    await log.close();
    const mbPerSec = result.opsPerSec * entry.length / 1e6;
    const mode = disk.direct ? 'O_DIRECT' : 'buffered';
    return [{
      trial: 'log-append-batch', engine: ctx.engine, store: 'sequential writes',
      metrics: { mbPerSec: disk.mbPerSec }, detail: `1 MiB ${mode} writes + one fdatasync`,
    }, {
      trial: 'log-append-batch', engine: ctx.engine, store: 'fasterlog immediate',
      metrics: { mbPerSec, p50Us: result.p50Us, p99Us: result.p99Us },
      detail: `1 MiB entries, 4 appenders, durable; ${(100 * mbPerSec / disk.mbPerSec)
        .toFixed(0)}% of the sequential bandwidth`,
    }];
  },
};

const scanTrial: Trial = {
  name: 'log-scan',
  description: 'scan throughput of 1 KiB entries read back from the device',
  engines: ['native', 'js'],
  run: async (ctx) => {
    const engine = ctx.engine === 'js' ? 'js' : 'native';
    const dir = join(ctx.dataDir, 'scan');
    const total = (ctx.full ? 1024 : 128) * MiB;
    const writer = await FasterLog.open({ dir, engine, commit: 'manual' });
    const entry = new Uint8Array(KiB).fill(0x42);
    for (let written = 0; written < total; written += KiB) writer.enqueue(entry);
    await writer.close();
    const results: TrialResult[] = [];
    for (const form of ['sync', 'async'] as const) {
      const log = await FasterLog.open({ dir, engine });
      let bytes = 0;
      const start = nowNs();
      if (form === 'sync') for (const e of log.scan()) bytes += e.entry.length;
      else for await (const e of log.scan()) bytes += e.entry.length;
      const seconds = (nowNs() - start) / 1e9;
      await log.close();
      results.push({
        trial: 'log-scan', engine: ctx.engine, store: `fasterlog ${form} scan`,
        metrics: { mbPerSec: bytes / 1e6 / seconds, opsPerSec: bytes / KiB / seconds },
        detail: `${total / MiB} MiB of 1 KiB entries, pages read from the device, checksums ` +
          'verified',
      });
    }
    return results;
  },
};

export const fasterLogTrials: readonly Trial[] = [
  appendTrial(1), appendTrial(8), appendTrial(64), appendTrial(1024), batchTrial, scanTrial,
];
