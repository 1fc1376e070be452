/**
 * FasterKV statistics: the log markers and counters, computed when asked. Nothing here is
 * counted per operation: operation counts come from session serial numbers, flushes and page
 * turns from the log's page-level counters.
 */
import type { HybridLogStats } from '../log/hybrid-log.js';
import type { StoreContext } from './store-context.js';

export interface FasterKVStats {
  readonly engine: 'native' | 'js';
  /** Sessions open now. */
  readonly sessions: number;
  /** Operations issued by all sessions of this store object. */
  readonly operations: number;
  readonly beginAddress: number;
  readonly headAddress: number;
  readonly safeReadOnlyAddress: number;
  readonly readOnlyAddress: number;
  readonly tailAddress: number;
  readonly flushedUntilAddress: number;
  /** Bytes of page frames (the in-memory log). */
  readonly memoryBytes: number;
  /** Bytes the log's segment files occupy. */
  readonly diskBytes: number;
  readonly log: HybridLogStats;
}

export function collectStats(ctx: StoreContext, sessions: number,
  operations: number): FasterKVStats {
  const log = ctx.log;
  return {
    engine: ctx.binding.engine,
    sessions,
    operations,
    beginAddress: log.beginAddress,
    headAddress: log.headAddress,
    safeReadOnlyAddress: log.safeReadOnlyAddress,
    readOnlyAddress: log.readOnlyAddress,
    tailAddress: log.tailAddress,
    flushedUntilAddress: log.flushedUntilAddress,
    memoryBytes: log.frameCount * log.pageBytes,
    diskBytes: log.device.sizeBytes(),
    log: log.stats(),
  };
}
