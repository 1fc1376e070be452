/** The shape of a benchmark trial and of its result. Each trial runs in a fresh child process. */
import type { EngineName } from '../native.js';

export interface TrialContext {
  readonly engine: EngineName;
  /** `--full`: the large configuration. */
  readonly full: boolean;
  /** A fresh directory on the disk under test, removed after the trial. */
  readonly dataDir: string;
}

export interface TrialMetrics {
  opsPerSec?: number;
  mbPerSec?: number;
  p50Us?: number;
  p99Us?: number;
}

export interface TrialResult {
  readonly trial: string;
  readonly engine: EngineName;
  readonly metrics: TrialMetrics;
  /** What exactly was measured: sizes, durability, I/O mode. */
  readonly detail: string;
}

export interface Trial {
  readonly name: string;
  readonly description: string;
  readonly engines: readonly EngineName[];
  run(ctx: TrialContext): Promise<TrialResult>;
}
