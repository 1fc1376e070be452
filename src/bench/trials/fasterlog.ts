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
 *    O_DIRECT sequential write bandwidth of the same disk, measured in the same process between
 *    FasterLog's slices (128 MiB before each of 4 rounds of 250 ms), so both see the same load.
 *  - log-scan: scan throughput of a log of 1 KiB entries read back from the device.
 *  - log-append-threads: durable 1 KiB appends into one log shared with worker_threads
 *    (shareHandle/attach), from 1 worker and from 2, the same 64 appends in flight in total;
 *    the owner (the trial's thread) only commits. Runs alternate 1, 2, 1, 2 ... so both see
 *    the same conditions; each figure is the mean of its runs, with the range in the detail.
 * Default: 6 rounds of 100 ms slices per subject; `--full`: 20 rounds of 250 ms, larger logs.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CommitPolicyOption } from '../../fasterlog/commit-policy.js';
import { FasterLog } from '../../fasterlog/faster-log.js';
import { availableEngines } from '../../native.js';
import {
  fsyncPerAppend, lmdbAppender, plainGroupCommit, type DurableAppender,
} from '../log/baselines.js';
import type { AppendWorkerData } from '../log/append-worker.js';
import { interleaved } from '../log/closed-loop.js';
import { directBandwidth, type DiskBandwidth } from '../disk-bandwidth.js';
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
          metrics: { opsPerSec: result.opsPerSec, opsPerCpuSec: result.opsPerCpuSec,
            p50Us: result.p50Us, p99Us: result.p99Us },
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

const batchTrial: Trial = {
  name: 'log-append-batch',
  description: 'durable 1 MiB appends from 4 appenders, against O_DIRECT sequential bandwidth',
  engines: ['native', 'js'],
  run: async (ctx) => {
    const dir = join(ctx.dataDir, 'batch');
    const log = await FasterLog.open({ dir, engine: ctx.engine === 'js' ? 'js' : 'native' });
    const entry = new Uint8Array(MiB - 64).fill(0x33);
    const rounds = ctx.full ? 8 : 4;
    const disks: DiskBandwidth[] = [];
    // The disk's bandwidth is measured between FasterLog's slices, so both see the same load.
    const [result] = await interleaved([{ append: () => log.enqueueAndWaitForCommit(entry) }],
      4, rounds, ctx.full ? 750 : 250,
      () => disks.push(directBandwidth(ctx, (ctx.full ? 256 : 128) * MiB)));
    await log.close();
    const mbPerSec = result!.opsPerSec * entry.length / 1e6;
    const disk = disks.reduce((sum, d) => sum + d.mbPerSec, 0) / disks.length;
    const mode = disks[0]!.direct ? 'O_DIRECT' : 'buffered';
    const range = `${Math.min(...disks.map((d) => d.mbPerSec)).toFixed(0)}-` +
      `${Math.max(...disks.map((d) => d.mbPerSec)).toFixed(0)}`;
    return [{
      trial: 'log-append-batch', engine: ctx.engine, store: 'sequential writes',
      metrics: { mbPerSec: disk },
      detail: `1 MiB ${mode} writes + one fdatasync, ${rounds} runs between FasterLog's ` +
        `(${range} MB/s)`,
    }, {
      trial: 'log-append-batch', engine: ctx.engine, store: 'fasterlog immediate',
      metrics: { mbPerSec, p50Us: result!.p50Us, p99Us: result!.p99Us },
      detail: `1 MiB entries, 4 appenders, durable; ${(100 * mbPerSec / disk).toFixed(0)}% ` +
        'of the sequential bandwidth',
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

const appendWorker = new URL('../log/append-worker.js', import.meta.url);
const THREAD_APPENDS_IN_FLIGHT = 64;

/** One run of the threads trial: `workers` workers for `seconds`; appends per second. */
async function runAppendWorkers(log: FasterLog, workers: number, seconds: number):
  Promise<{ appendsPerSec: number; commits: number }> {
  const handle = log.shareHandle();
  const gate = new SharedArrayBuffer(4);
  const started = Array.from({ length: workers }, () => {
    const workerData: AppendWorkerData = {
      handle, appenders: THREAD_APPENDS_IN_FLIGHT / workers, entryBytes: KiB, gate, seconds,
    };
    const worker = new Worker(appendWorker, { workerData });
    const messages: unknown[] = [];
    const waiting: Array<(m: unknown) => void> = [];
    const failed = new Promise<never>((_, reject) => worker.once('error', reject));
    worker.on('message', (m) => (waiting.length > 0 ? waiting.shift()!(m) : messages.push(m)));
    const next = (): Promise<unknown> => Promise.race([failed, new Promise<unknown>((resolve) => {
      if (messages.length > 0) resolve(messages.shift());
      else waiting.push(resolve);
    })]);
    return { worker, next, exited: new Promise((resolve) => worker.once('exit', resolve)) };
  });
  await Promise.all(started.map((w) => w.next()));
  const commitsBefore = log.stats().commits;
  const t0 = performance.now();
  Atomics.store(new Int32Array(gate), 0, 1);
  const done = await Promise.all(started.map((w) => w.next())) as { appends: number }[];
  const elapsed = (performance.now() - t0) / 1000;
  await Promise.all(started.map((w) => w.exited));
  const appends = done.reduce((sum, d) => sum + d.appends, 0);
  return { appendsPerSec: appends / elapsed, commits: (log.stats().commits - commitsBefore) /
    elapsed };
}

const threadsTrial: Trial = {
  name: 'log-append-threads',
  description: 'durable 1 KiB appends into one FasterLog from 1 and from 2 worker threads',
  engines: ['native', 'js'],
  run: async (ctx) => {
    const engine = ctx.engine === 'js' ? 'js' : 'native';
    const dir = join(ctx.dataDir, 'threads');
    const log = await FasterLog.open({ dir, engine });
    const seconds = ctx.full ? 5 : 2;
    const rounds = ctx.full ? 4 : 2;
    const runs = new Map<number, { appendsPerSec: number; commits: number }[]>([[1, []], [2, []]]);
    for (let round = 0; round < rounds; round++) {
      for (const workers of [1, 2]) runs.get(workers)!.push(await runAppendWorkers(log, workers,
        seconds));
    }
    await log.close();
    rmSync(dir, { recursive: true, force: true });
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const one = mean(runs.get(1)!.map((r) => r.appendsPerSec));
    return [1, 2].map((workers) => {
      const measured = runs.get(workers)!;
      const rates = measured.map((r) => r.appendsPerSec);
      const appendsPerSec = mean(rates);
      return {
        trial: 'log-append-threads', engine: ctx.engine, store: `fasterlog ${workers} ` +
          (workers === 1 ? 'worker' : 'workers'),
        metrics: { opsPerSec: appendsPerSec, mbPerSec: appendsPerSec * KiB / 1e6 },
        detail: `${THREAD_APPENDS_IN_FLIGHT} durable appends in flight over ${workers} ` +
          `attached log(s), owner commits ('immediate', fast commit); ${rounds} runs of ` +
          `${seconds} s: ${Math.min(...rates).toFixed(0)}-${Math.max(...rates).toFixed(0)} ` +
          `appends/s, ${mean(measured.map((r) => r.commits)).toFixed(0)} commits/s` +
          (workers === 2 ? `; ${(appendsPerSec / one).toFixed(2)}x 1 worker` : ''),
      };
    });
  },
};

export const fasterLogTrials: readonly Trial[] = [
  appendTrial(1), appendTrial(8), appendTrial(64), appendTrial(1024), batchTrial, scanTrial,
  threadsTrial,
];
