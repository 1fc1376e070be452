/**
 * Closed-loop durable appends: `appenders` concurrent loops, each appending one entry and
 * waiting for its acknowledgement before the next. With N appenders throughput cannot pass
 * N / (acknowledgement latency), so the latency of the commit path decides it.
 *
 * `interleaved` runs several subjects in alternating slices (round 1: every subject for
 * `sliceMs`, round 2: again, ...), so that on a machine whose load changes from second to
 * second each subject sees the same conditions and their ratio means something. The first
 * round warms up and is not counted. Latencies are recorded per append (nanoseconds,
 * preallocated). The process's CPU time (every thread: the JavaScript thread and the I/O
 * pools) is counted per slice, so each subject also gets appends per CPU-second: on a machine
 * shared with other work a steadier measure of what an append costs than appends per second.
 * A subject's background work that outlives its slice (a sync still running) is counted in
 * the next one, a small error with slices of 100 ms.
 */
import { nowNs, summarizeLatency, type LatencySummary } from '../stats.js';

export interface LoopResult extends LatencySummary {
  readonly opsPerSec: number;
  /** Appends per second of process CPU time (user + system, all threads). */
  readonly opsPerCpuSec: number;
  readonly ops: number;
}

export interface LoopSubject {
  append(): Promise<unknown>;
}

const MAX_SAMPLES = 2_000_000;

/**
 * `beforeRound`, if given, runs before each measured round: a reference measured between the
 * subjects' slices (the disk's bandwidth), so it sees the same conditions they do.
 */
export async function interleaved(subjects: readonly LoopSubject[], appenders: number,
  rounds: number, sliceMs: number, beforeRound?: () => void): Promise<LoopResult[]> {
  const samples = subjects.map(() => new Float64Array(MAX_SAMPLES));
  const counts = subjects.map(() => 0);
  const elapsed = subjects.map(() => 0);
  const cpuUs = subjects.map(() => 0);
  for (let round = 0; round <= rounds; round++) {
    if (round > 0) beforeRound?.();
    for (const [i, subject] of subjects.entries()) {
      const record = round === 0 ? undefined : { samples: samples[i]!, at: counts[i]! };
      const start = nowNs();
      const cpu = process.cpuUsage();
      const ops = await runFor(subject, appenders, sliceMs, record);
      if (record === undefined) continue;
      const used = process.cpuUsage(cpu);
      counts[i] = counts[i]! + ops;
      elapsed[i] = elapsed[i]! + (nowNs() - start);
      cpuUs[i] = cpuUs[i]! + used.user + used.system;
    }
  }
  return subjects.map((_, i) => ({
    ...summarizeLatency(samples[i]!.subarray(0, Math.max(1, Math.min(counts[i]!,
      MAX_SAMPLES)))),
    opsPerSec: counts[i]! / (elapsed[i]! / 1e9), opsPerCpuSec: counts[i]! / (cpuUs[i]! / 1e6),
    ops: counts[i]!,
  }));
}

/** Runs `appenders` loops for `durationMs`; returns the appends done. */
async function runFor(subject: LoopSubject, appenders: number, durationMs: number,
  record: { samples: Float64Array; at: number } | undefined): Promise<number> {
  const end = Date.now() + durationMs;
  let done = 0;
  const loop = async (): Promise<void> => {
    while (Date.now() < end) {
      const t0 = nowNs();
      await subject.append();
      const i = done++;
      if (record !== undefined && record.at + i < MAX_SAMPLES) {
        record.samples[record.at + i] = nowNs() - t0;
      }
    }
  };
  await Promise.all(Array.from({ length: appenders }, loop));
  return done;
}
