/**
 * Closed-loop durable appends: `appenders` concurrent loops, each appending one entry and
 * waiting for its acknowledgement before the next, for `durationMs` after a warm-up. With N
 * appenders throughput cannot pass N / (acknowledgement latency), so the latency of the
 * commit path decides it. Latencies are recorded per append (nanoseconds, preallocated).
 */
import { nowNs, summarizeLatency, type LatencySummary } from '../stats.js';

export interface LoopResult extends LatencySummary {
  readonly opsPerSec: number;
  readonly ops: number;
}

const MAX_SAMPLES = 4_000_000;
const WARMUP_MS = 150;

export async function closedLoop(appenders: number, durationMs: number,
  append: () => Promise<unknown>): Promise<LoopResult> {
  await runFor(appenders, WARMUP_MS, append, undefined);
  const samples = new Float64Array(MAX_SAMPLES);
  const counter = { n: 0 };
  const start = nowNs();
  await runFor(appenders, durationMs, append, { samples, counter });
  const seconds = (nowNs() - start) / 1e9;
  const recorded = Math.min(counter.n, MAX_SAMPLES);
  return {
    ...summarizeLatency(samples.subarray(0, Math.max(recorded, 1))),
    opsPerSec: counter.n / seconds, ops: counter.n,
  };
}

async function runFor(appenders: number, durationMs: number, append: () => Promise<unknown>,
  record: { samples: Float64Array; counter: { n: number } } | undefined): Promise<void> {
  const end = Date.now() + durationMs;
  const loop = async (): Promise<void> => {
    while (Date.now() < end) {
      const t0 = nowNs();
      await append();
      if (record === undefined) continue;
      const i = record.counter.n++;
      if (i < MAX_SAMPLES) record.samples[i] = nowNs() - t0;
    }
  };
  await Promise.all(Array.from({ length: appenders }, loop));
}
