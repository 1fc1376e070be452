/**
 * FasterKV statistics: the log markers and counters, computed when asked. Nothing here is
 * counted per operation: operation counts come from session serial numbers, pending ones from
 * the sessions' sets of unfinished promises, flushes and page turns from the log's page-level
 * counters, device I/O from the device's counters, and the index's size and growth from its
 * shared header.
 *
 * Memory: `memoryBytes` (page frames, fixed at open) + `index.bytes` (the index arena, which
 * grows with the number of distinct hash tags, never with value sizes) + `readCache.bytes`
 * (fixed at open) is what the store keeps in memory, whatever the size of the data on the
 * device.
 */
import type { DeviceStats } from '../device/device.js';
import type { HybridLogStats } from '../log/hybrid-log.js';
import type { ReadCacheStats } from './read-cache.js';
import type { StoreContext } from './store-context.js';

export interface IndexStats {
  /** Buckets of the main table now, and when the store was opened with `indexBuckets`. */
  readonly buckets: number;
  readonly initialBuckets: number;
  /** Doublings since then: log2(buckets / initialBuckets). */
  readonly growths: number;
  /** Overflow buckets chained off the main table. */
  readonly overflowBuckets: number;
  /** Bytes of the index's shared memory (main tables, overflow buckets, header). */
  readonly bytes: number;
  readonly phase: 'REST' | 'PREPARE_GROW' | 'IN_PROGRESS_GROW';
}

export interface FasterKVStats {
  readonly engine: 'native' | 'js';
  /** Sessions open now. */
  readonly sessions: number;
  /** Operations issued by all sessions of this store object. */
  readonly operations: number;
  /** Asynchronous operations waiting for the device now. */
  readonly pendingOperations: number;
  readonly beginAddress: number;
  readonly headAddress: number;
  readonly safeReadOnlyAddress: number;
  readonly readOnlyAddress: number;
  readonly tailAddress: number;
  readonly flushedUntilAddress: number;
  /** Device writes issued by log flushes, and their bytes. */
  readonly flushes: number;
  readonly flushedBytes: number;
  /** Bytes of page frames (the in-memory log). */
  readonly memoryBytes: number;
  /** Bytes the log's segment files occupy. */
  readonly diskBytes: number;
  readonly index: IndexStats;
  /** The read cache (the `readCache` option), when it is on. */
  readonly readCache: ReadCacheStats | undefined;
  readonly log: HybridLogStats;
  /** The log device's I/O counters. */
  readonly device: DeviceStats;
}

/** What the store object knows beyond its context. */
export interface StoreCounts {
  readonly sessions: number;
  readonly operations: number;
  readonly pendingOperations: number;
  readonly initialIndexBuckets: number;
}

export function collectStats(ctx: StoreContext, counts: StoreCounts): FasterKVStats {
  const log = ctx.log;
  const logStats = log.stats();
  return {
    engine: ctx.binding.engine,
    sessions: counts.sessions,
    operations: counts.operations,
    pendingOperations: counts.pendingOperations,
    beginAddress: logStats.beginAddress,
    headAddress: logStats.headAddress,
    safeReadOnlyAddress: logStats.safeReadOnlyAddress,
    readOnlyAddress: logStats.readOnlyAddress,
    tailAddress: logStats.tailAddress,
    flushedUntilAddress: logStats.flushedUntilAddress,
    flushes: logStats.flushWrites,
    flushedBytes: logStats.flushedBytes,
    memoryBytes: log.frameCount * log.pageBytes,
    diskBytes: log.device.sizeBytes(),
    index: indexStats(ctx, counts.initialIndexBuckets),
    readCache: ctx.disk.cache?.stats(),
    log: logStats,
    device: log.device.stats(),
  };
}

function indexStats(ctx: StoreContext, initialBuckets: number): IndexStats {
  const index = ctx.index;
  const buckets = index.tableBuckets;
  return {
    buckets,
    initialBuckets,
    growths: Math.max(0, Math.round(Math.log2(buckets / initialBuckets))),
    overflowBuckets: index.overflowBuckets,
    bytes: index.memory.byteLength,
    phase: index.phase,
  };
}
