/** The shape of a benchmark trial and of its results. Each trial runs in a fresh child process. */
import { selectBinding, type EngineName, type NativeBinding } from '../native.js';

/** A fasterkv engine, or 'none' for a trial that measures another store only. */
export type TrialEngine = EngineName | 'none';

export interface TrialContext {
  readonly engine: TrialEngine;
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
  /** Device reads per second (larger-than-memory trials). */
  iops?: number;
  /**
   * Operations per second of the process's CPU time (user + system): on a machine shared with
   * other work, steadier than opsPerSec (wall time), which counts time spent waiting for a core.
   */
  opsPerCpuSec?: number;
}

export interface TrialResult {
  readonly trial: string;
  readonly engine: TrialEngine;
  /** The store measured when it is not (only) fasterkv: 'lmdb', 'classic-level', 'map'. */
  readonly store?: string;
  readonly metrics: TrialMetrics;
  /** What exactly was measured: sizes, durability, I/O mode. */
  readonly detail: string;
}

export interface Trial {
  readonly name: string;
  readonly description: string;
  readonly engines: readonly TrialEngine[];
  /** One result, or several when a trial measures phases of one setup (load, then runs). */
  run(ctx: TrialContext): Promise<TrialResult | TrialResult[]>;
}

/** The engine binding of a trial that runs on a fasterkv engine. */
export function bindingOf(ctx: TrialContext): NativeBinding {
  if (ctx.engine === 'none') throw new Error('this trial needs a fasterkv engine');
  return selectBinding(ctx.engine);
}
