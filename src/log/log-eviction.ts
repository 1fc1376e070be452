/**
 * LogCloser: the head transition's second half. Once the epoch action for a HeadAddress shift
 * runs, every thread has seen the new HeadAddress, so no thread reads pages below it from
 * memory any more: the action raises SafeHeadAddress and the closer walks
 * [ClosedUntilAddress, SafeHeadAddress) page by page, telling eviction observers, zeroing
 * each frame whose page is wholly closed (a page starts in a zeroed frame; a log created with
 * zeroClosedFrames: false skips this), and raising ClosedUntilAddress.
 *
 * Invariants: ClosedUntilAddress <= SafeHeadAddress <= HeadAddress <= FlushedUntilAddress, so
 * a frame is zeroed only after its page is on the device. One closer at a time (the I_CLOSER
 * token); a thread that finds the token taken leaves the work to its holder, which re-checks
 * SafeHeadAddress after letting go so no raise is lost.
 * Thread rules: one LogCloser per thread; eviction hooks run on the closing thread.
 */
import { assert } from '../errors.js';
import type { LogGeometry } from './address.js';
import {
  I_CLOSER, I_PAGES_CLOSED, LogState, W_CLOSED_UNTIL, W_FLUSHED_UNTIL, W_SAFE_HEAD,
} from './log-state.js';
import type { PageFrames } from './page-frames.js';

/** Called with [from, to) of a range leaving memory, before its frame is zeroed. */
export type EvictionHook = (from: number, to: number) => void;

export class LogCloser {
  private readonly hooks: EvictionHook[] = [];

  constructor(
    private readonly state: LogState,
    private readonly frames: PageFrames,
    private readonly geometry: LogGeometry,
    private readonly zeroFrames = true,
  ) {}

  /** The value this thread stores in the closer token (log-flush.ts tokenOf). */
  token = 1;

  onEvicted(hook: EvictionHook): void {
    this.hooks.push(hook);
  }

  /** The HeadAddress epoch action: everyone has seen `newHead`. */
  onPagesClosed(newHead: number): void {
    this.state.casMax(W_SAFE_HEAD, newHead);
    this.closeUntilSafeHead();
  }

  /** Closes pages up to SafeHeadAddress unless another thread is doing it. */
  closeUntilSafeHead(): void {
    const state = this.state;
    for (;;) {
      if (Atomics.compareExchange(state.words, I_CLOSER, 0, this.token) !== 0) return;
      try {
        this.closeRange();
      } finally {
        Atomics.store(state.words, I_CLOSER, 0);
      }
      if (state.load(W_CLOSED_UNTIL) >= state.load(W_SAFE_HEAD)) return;
    }
  }

  private closeRange(): void {
    const { state, geometry } = this;
    const safeHead = state.load(W_SAFE_HEAD);
    assert(safeHead <= state.load(W_FLUSHED_UNTIL), 'closing pages that are not flushed');
    let closed = state.load(W_CLOSED_UNTIL);
    while (closed < safeHead) {
      const page = geometry.pageOf(closed);
      const pageEnd = geometry.pageStart(page) + geometry.pageBytes;
      const until = Math.min(pageEnd, safeHead);
      for (const hook of this.hooks) hook(closed, until);
      if (until === pageEnd) {
        const slot = page % state.frameCount;
        assert(Atomics.load(state.slotPage, slot) === page, `closing page ${page} not in memory`);
        if (this.zeroFrames) this.frames.zero(slot);
        state.count(I_PAGES_CLOSED);
      }
      state.casMax(W_CLOSED_UNTIL, until);
      closed = until;
    }
  }
}
