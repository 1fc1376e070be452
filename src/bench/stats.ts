/** Latency summaries for benchmarks: samples in nanoseconds, summaries in microseconds. */

export interface LatencySummary {
  readonly p50Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
  readonly meanUs: number;
}

/** Sorts `samplesNs` in place and summarizes it. REQUIRES: at least one sample. */
export function summarizeLatency(samplesNs: Float64Array): LatencySummary {
  samplesNs.sort();
  let sum = 0;
  for (const s of samplesNs) sum += s;
  return {
    p50Us: percentile(samplesNs, 0.5) / 1000,
    p99Us: percentile(samplesNs, 0.99) / 1000,
    maxUs: samplesNs[samplesNs.length - 1]! / 1000,
    meanUs: sum / samplesNs.length / 1000,
  };
}

/** Nearest-rank percentile of sorted samples. */
export function percentile(sorted: Float64Array, p: number): number {
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank]!;
}

/** High-resolution clock in nanoseconds, as a number. */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}
