/**
 * Giving back what a dead thread held in a hybrid log's shared state (its worker exited or was
 * terminated; it will never run again). HybridLog.reclaimThread and reclaimAllocation call
 * these; the store and FasterLog call those when they reclaim a thread (store/reclaim.ts,
 * fasterlog/log-threads.ts).
 *
 *  - tokens: its flush tokens, the closer token, and a page turn it began and never finished
 *    (the tail goes back to "page full", so the next allocation makes the turn again). Pages
 *    it was writing are written again by the next flush that needs them.
 *  - its unfilled allocation (LogState per-entry words): log space it took and had not yet
 *    written enough of for a page walk to step over; the caller makes it a filler.
 * Thread rules: any thread of the log.
 */
import type { LogCloser } from './log-eviction.js';
import { I_CLOSER, I_TURN_OWNER, I_TURN_PAGE, type LogState } from './log-state.js';

/** Frees the tokens of the dead thread `token`, then closes what its closer token held up. */
export function reclaimTokens(state: LogState, closer: LogCloser, pageBytes: number,
  token: number): void {
  for (let slot = 0; slot < state.frameCount; slot++) {
    if (Atomics.compareExchange(state.slotBusy, slot, token, 0) === token) {
      Atomics.notify(state.slotBusy, slot);
    }
  }
  Atomics.compareExchange(state.words, I_CLOSER, token, 0);
  if (Atomics.load(state.words, I_TURN_OWNER) === token) {
    const page = Atomics.load(state.words, I_TURN_PAGE);
    for (;;) {
      state.loadTail();
      if (state.tailPage !== page || state.tailOffset <= pageBytes) break;
      if (state.casTail(page, state.tailOffset, page, pageBytes)) break;
    }
    Atomics.compareExchange(state.words, I_TURN_OWNER, token, 0);
  }
  closer.closeUntilSafeHead();
}

/**
 * The allocation epoch entry `entry`'s thread took and did not fill, as [address, size], if
 * its page is still in memory (at or above `closedUntil`); the note is cleared either way.
 */
export function takeUnfilled(state: LogState, pageBytes: number, closedUntil: number,
  entry: number): [number, number] | undefined {
  const taken = state.inflight(entry, pageBytes);
  state.endAllocation(entry);
  return taken === undefined || taken[0] < closedUntil ? undefined : taken;
}
