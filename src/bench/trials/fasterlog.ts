/**
 * FasterLog trials.
 *  - log-append-N: durable 1 KiB appends from N concurrent appenders (closed loop: each waits
 *    for its acknowledgement), FasterLog under each commit policy, and in the same process the
 *    baselines (baselines.ts): write + fdatasync per append, a plain group commit, lmdb-js
 *    durable puts. All subjects are open at once, each on its own directory, and run in
 *    alternating slices (closed-loop.ts) so they share the machine's conditions; the detail of
 *    FasterLog's results gives its ratio to the baselines measured alongside. With N = 1 the
 *    latency is the commit latency. On the js engine only FasterLog 'immediate' runs.
 *  - log-append-batch: large durable appends (1 MiB entries from 4 appenders) against the
 *    O_DIRECT sequential write bandwidth of the same disk, measured first in the same process.
 *  - log-scan: scan throughput of a log of 1 KiB entries read back from the device.
 * Default: 6 rounds of 100 ms slices per subject; `--full`: 20 rounds of 250 ms, larger logs.
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
import { closedLoop, interleaved } from '../log/closed-loop.js';
import { nowNs } from '../stats.js';
import type { Trial, TrialContext, TrialResult } from '../trial.js';

const KiB = 1024;
const MiB = 1024 * KiB;

interface Variant {
  readonly label: string;
  readonly commit: CommitPolicyOption;
  readonly fastCommit: boolean;
  readonly directIo?: boolean;
}

const VARIANTS: readonly Variant[] = [
  { label: 'immediate', commit: 'immediate', fastCommit: true },
  { label: 'immediate, metadata commits', commit: 'immediate', fastCommit: false },
  { label: 'immediate, page cache', commit: 'immediate', fastCommit: true, directIo: false },
  { label: 'group 1 ms', commit: { groupMs: 1 }, fastCommit: true },
  { label: 'interval 1 ms', commit: { intervalMs: 1 }, fastCommit: true },
];

async function openFasterLog(ctx: TrialContext, dir: string, variant: Variant):
  Promise<DurableAppender> {
  const log = await FasterLog.open({ dir, engine: ctx.engine === 'js' ? 'js' : 'native',
    commit: variant.commit, fastCommit: variant.fastCommit, directIo: variant.directIo });
  return {
    name: `fasterlog ${variant.label}`,
    detail: `commit ${JSON.stringify(variant.commit)}, ` +
      (variant.fastCommit ? 'fast commit (1 sync)' : 'metadata commit (2 syncs)') +
      (variant.directIo === false || ctx.engine === 'js' ? ', page-cache writes'
        : ', O_DIRECT page writes'),
    append: (entry) => log.enqueueAndWaitForCommit(entry),
    close: () => log.close(),
  };
}

interface Subject {
  readonly appender: DurableAppender;
  readonly dir: string;
}

function appendTrial(appenders: number): Trial {
  const name = `log-append-${appenders}`;
  return {
    name,
    description: `durable 1 KiB appends, ${appenders} concurrent appenders, FasterLog and ` +
      'baselines, interleaved',
    engines: ['native', 'js'],
    run: async (ctx) => {
      const subjects = await openSubjects(ctx);
      const entry = new Uint8Array(KiB).fill(0x5a);
      const rounds = ctx.full ? 20 : 6;
      const measured = await interleaved(subjects.map((s) => ({
        append: () => s.appender.append(entry),
      })), appenders, rounds, ctx.full ? 250 : 100);
      const byName = new Map<string, number>();
      for (const [i, s] of subjects.entries()) byName.set(s.appender.name, measured[i]!.opsPerSec);
      const results: TrialResult[] = subjects.map((s, i) => {
        const result = measured[i]!;
        const fasterlog = s.appender.name.startsWith('fasterlog');
        return {
          trial: name, engine: ctx.engine, store: s.appender.name,
          metrics: { opsPerSec: result.opsPerSec, p50Us: result.p50Us, p99Us: result.p99Us },
          detail: `${s.appender.detail}; ${appenders} appenders` +
            (fasterlog && byName.has('plain group commit') ? ratiosOf(result.opsPerSec, byName)
              : ''),
        };
      });
      for (const s of subjects) {
        await s.appender.close();
        rmSync(s.dir, { recursive: true, force: true });
      }
      return results;
    },
  };
}

/** Baselines (on the native child, or the js one when the addon is absent), then FasterLog. */
async function openSubjects(ctx: TrialContext): Promise<Subject[]> {
  const withBaselines = ctx.engine === 'native' || !availableEngines().includes('native');
  const subjects: Subject[] = [];
  const add = async (label: string, open: (dir: string) => Promise<DurableAppender>):
    Promise<void> => {
    const dir = join(ctx.dataDir, label);
    mkdirSync(dir, { recursive: true });
    subjects.push({ appender: await open(dir), dir });
  };
  if (withBaselines) {
    await add('fsync', async (dir) => fsyncPerAppend(dir));
    await add('group', async (dir) => plainGroupCommit(dir));
    await add('lmdb', (dir) => lmdbAppender(dir));
  }
  const variants = ctx.engine === 'native' ? VARIANTS : VARIANTS.slice(0, 1);
  for (const [i, variant] of variants.entries()) {
    await add(`fasterlog-${i}`, (dir) => openFasterLog(ctx, dir, variant));
  }
  return subjects;
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
