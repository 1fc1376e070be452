/**
 * A snapshot of the hybrid log's markers and page-level counters, for `stats()` and tests.
 * Counters live in the shared LogState and are bumped only on page-level events (turns,
 * flush writes, closes, waits), never per record.
 */
import {
  I_FLUSH_ERRORS, I_FLUSH_WRITES, I_PAGE_TURNS, I_PAGES_CLOSED, I_RETRY_NOW,
  I_SYNC_FLUSH_WAITS, I_WAIT_FLUSH, type LogState, W_FLUSHED_BYTES,
} from './log-state.js';

export interface HybridLogStats {
  beginAddress: number;
  headAddress: number;
  safeHeadAddress: number;
  closedUntilAddress: number;
  readOnlyAddress: number;
  safeReadOnlyAddress: number;
  flushedUntilAddress: number;
  tailAddress: number;
  pageBytes: number;
  frameCount: number;
  /** Page turns completed. */
  pageTurns: number;
  /** Device writes issued by flushes, and their bytes (sector-rounded). */
  flushWrites: number;
  flushedBytes: number;
  /** Pages whose frames were closed and zeroed. */
  pagesClosed: number;
  /** Page turns refused because the frame's page was not yet flushed / not yet closed. */
  turnsWaitingForFlush: number;
  turnsWaitingForClose: number;
  /** Times an allocation flushed synchronously to free a frame. */
  syncFlushWaits: number;
  flushErrors: number;
}

/** What readStats needs of a HybridLog (kept structural to avoid an import cycle). */
export interface StatsSource {
  readonly state: LogState;
  readonly pageBytes: number;
  readonly frameCount: number;
  readonly beginAddress: number;
  readonly headAddress: number;
  readonly safeHeadAddress: number;
  readonly closedUntilAddress: number;
  readonly readOnlyAddress: number;
  readonly safeReadOnlyAddress: number;
  readonly flushedUntilAddress: number;
  readonly tailAddress: number;
}

export function readStats(log: StatsSource): HybridLogStats {
  const words = log.state.words;
  return {
    beginAddress: log.beginAddress,
    headAddress: log.headAddress,
    safeHeadAddress: log.safeHeadAddress,
    closedUntilAddress: log.closedUntilAddress,
    readOnlyAddress: log.readOnlyAddress,
    safeReadOnlyAddress: log.safeReadOnlyAddress,
    flushedUntilAddress: log.flushedUntilAddress,
    tailAddress: log.tailAddress,
    pageBytes: log.pageBytes,
    frameCount: log.frameCount,
    pageTurns: Atomics.load(words, I_PAGE_TURNS),
    flushWrites: Atomics.load(words, I_FLUSH_WRITES),
    flushedBytes: log.state.load(W_FLUSHED_BYTES),
    pagesClosed: Atomics.load(words, I_PAGES_CLOSED),
    turnsWaitingForFlush: Atomics.load(words, I_WAIT_FLUSH),
    turnsWaitingForClose: Atomics.load(words, I_RETRY_NOW),
    syncFlushWaits: Atomics.load(words, I_SYNC_FLUSH_WAITS),
    flushErrors: Atomics.load(words, I_FLUSH_ERRORS),
  };
}
