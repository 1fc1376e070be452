/**
 * LogFlusher: writes read-only pages of the hybrid log to the device and advances
 * FlushedUntilAddress over the contiguous prefix of finished writes.
 *
 * Requests and writes are apart. The read-only epoch action *requests* a range (raises each
 * page's requestedOffset); writes happen later, by whichever thread calls `flushPage` for the
 * page: the read-only action itself for page-turn shifts, a thread that needs a frame, or one
 * waiting for a flush to reach an address. A page's writes are ordered by its slot token
 * (slotBusy, holding the writer's token: tokenOf): the holder writes [flushedOffset,
 * requestedOffset) rounded out to sectors,
 * raises flushedOffset, and loops until nothing is left, so bytes of one page reach the device
 * in order and a partial last sector is rewritten only after the earlier write finished.
 *
 * Writes are synchronous (`device.writeSync`), by design. A sync operation (upsert, enqueue)
 * that needs a frame must be able to free it without the event loop: with the JS engine an
 * async write completes only when the event loop turns, and a frame cannot be reused while a
 * write reads from it. Writing synchronously means no write is ever in flight from a frame
 * when its token is free, so frames are never pinned, a sync caller can always flush what it
 * needs itself, and waiting for another thread's write is a bounded Atomics.wait (that thread
 * is inside writeSync, not waiting for its event loop). Long flushes (checkpoints, commits)
 * stay responsive through `flushUntilAsync`, which writes one page per event-loop turn. Cost:
 * a 4 MiB page at ~2.4 GB/s blocks ~1.7 ms, against the 10^4-10^5 records it holds.
 *
 * Errors: a failed write marks its page failed (never retried) and lowers FLUSH_ERROR_AT to
 * the failed range's start; FlushedUntilAddress never passes it, so no later range counts as
 * flushed. This thread keeps its errors in address order; waiting for a flush past a failed
 * range throws the first error.
 * Thread rules: one LogFlusher per thread over the shared LogState; hooks run on the thread
 * that advanced FlushedUntilAddress.
 */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { Device } from '../device/device.js';
import type { LightEpoch } from '../epoch/light-epoch.js';
import { assert, FasterError } from '../errors.js';
import type { LogGeometry } from './address.js';
import {
  I_FLUSH_ERRORS, I_FLUSH_SEQ, I_FLUSH_WRITES, LogState, NO_ERROR_ADDRESS, W_FLUSH_ERROR_AT,
  W_FLUSHED_BYTES, W_FLUSHED_UNTIL, W_READ_ONLY, W_SAFE_READ_ONLY,
} from './log-state.js';
import type { PageFrames } from './page-frames.js';

/** A failed flush write: logical range [from, to) and the device's error. */
export interface FlushFailure {
  readonly from: number;
  readonly to: number;
  readonly error: FasterError;
}

/** Called with the new FlushedUntilAddress after this thread advanced it. */
export type FlushHook = (flushedUntilAddress: number) => void;

/**
 * Called just before page bytes [from, to) (offsets in the page, not rounded to sectors) are
 * written: `page` is the whole frame holding the page that starts at address `pageStart`.
 * The range is below SafeReadOnlyAddress, so the hook may finish records in place (checksums).
 */
export type BeforeFlushHook = (page: Uint8Array, pageStart: number, from: number,
  to: number) => void;

const WAIT_MS = 1;

export class LogFlusher {
  /** Failures seen by this thread, in address order. */
  readonly failures: FlushFailure[] = [];
  private readonly hooks: FlushHook[] = [];
  private readonly beforeHooks: BeforeFlushHook[] = [];

  constructor(
    private readonly state: LogState,
    private readonly frames: PageFrames,
    private readonly geometry: LogGeometry,
    private readonly device: Device,
    private readonly epoch: LightEpoch,
  ) {}

  onFlushed(hook: FlushHook): void {
    this.hooks.push(hook);
  }

  onBeforeFlush(hook: BeforeFlushHook): void {
    this.beforeHooks.push(hook);
  }

  /**
   * Asks for [from, to) to be flushed. REQUIRES: from <= to, every page of the range is in
   * memory (from >= HeadAddress), and the range is below SafeReadOnlyAddress (immutable).
   */
  request(from: number, to: number): void {
    const { state, geometry } = this;
    for (let page = geometry.pageOf(from); geometry.pageStart(page) < to; page++) {
      const slot = page % state.frameCount;
      assert(Atomics.load(state.slotPage, slot) === page, `flush request for page ${page} ` +
        'that is not in memory');
      const want = Math.min(to - geometry.pageStart(page), geometry.pageBytes);
      raiseInt32(state.requestedOffset, slot, want);
    }
  }

  /**
   * Asks for everything from FlushedUntilAddress to `to` to be flushed, skipping pages no
   * longer in memory (flushed and closed meanwhile). REQUIRES: `to` <= SafeReadOnlyAddress.
   */
  requestUnflushed(to: number): void {
    const { state, geometry } = this;
    for (let page = geometry.pageOf(state.load(W_FLUSHED_UNTIL));
      geometry.pageStart(page) < to; page++) {
      const slot = page % state.frameCount;
      if (Atomics.load(state.slotPage, slot) !== page) continue;
      raiseInt32(state.requestedOffset, slot, Math.min(to - geometry.pageStart(page),
        geometry.pageBytes));
    }
  }

  /**
   * Writes what is requested and not yet written of page `page`, if no other thread is
   * writing it. Returns true when this call wrote something.
   */
  flushPage(page: number): boolean {
    const state = this.state;
    const slot = page % state.frameCount;
    if (Atomics.compareExchange(state.slotBusy, slot, 0, tokenOf(this.epoch)) !== 0) return false;
    let wrote = false;
    try {
      for (;;) {
        if (Atomics.load(state.slotPage, slot) !== page) break;
        if (Atomics.load(state.slotFailed, slot) !== 0) break;
        const done = Atomics.load(state.flushedOffset, slot);
        const want = Atomics.load(state.requestedOffset, slot);
        if (want <= done) break;
        if (!this.write(page, slot, done, want)) break;
        Atomics.store(state.flushedOffset, slot, want);
        wrote = true;
      }
    } finally {
      Atomics.store(state.slotBusy, slot, 0);
    }
    if (wrote) this.advanceFlushedUntil();
    return wrote;
  }

  /** Whether page `page` has requested bytes not yet written (and not failed). */
  hasWork(page: number): boolean {
    const state = this.state;
    const slot = page % state.frameCount;
    return Atomics.load(state.slotPage, slot) === page &&
      Atomics.load(state.slotFailed, slot) === 0 &&
      Atomics.load(state.requestedOffset, slot) > Atomics.load(state.flushedOffset, slot);
  }

  /** Writes every requested page that starts below `limit`. Returns pages written. */
  flushRequested(limit: number): number {
    const { state, geometry } = this;
    let written = 0;
    const first = geometry.pageOf(state.load(W_FLUSHED_UNTIL));
    for (let page = first; geometry.pageStart(page) < limit; page++) {
      if (this.hasWork(page) && this.flushPage(page)) written++;
    }
    return written;
  }

  /** Raises FlushedUntilAddress over finished pages, never past a failed range. */
  advanceFlushedUntil(): void {
    const { state, geometry } = this;
    let advanced = false;
    for (;;) {
      const flushed = state.load(W_FLUSHED_UNTIL);
      const page = geometry.pageOf(flushed);
      const slot = page % state.frameCount;
      if (Atomics.load(state.slotPage, slot) !== page) break;
      let end = geometry.pageStart(page) + Atomics.load(state.flushedOffset, slot);
      end = Math.min(end, state.load(W_FLUSH_ERROR_AT));
      if (end <= flushed) break;
      if (state.casMax(W_FLUSHED_UNTIL, end) >= 0) advanced = true;
    }
    if (!advanced) return;
    state.signalFlush();
    const flushedUntil = state.load(W_FLUSHED_UNTIL);
    for (const hook of this.hooks) hook(flushedUntil);
  }

  /**
   * Returns once FlushedUntilAddress >= `address`, writing what is needed on this thread.
   * Throws the first flush error when a failed range stands in the way.
   * REQUIRES: address <= ReadOnlyAddress; the epoch acquired (deferred read-only actions may
   * have to run first).
   */
  flushUntilSync(address: number): void {
    const state = this.state;
    assert(address <= state.load(W_READ_ONLY), 'flushUntil beyond ReadOnlyAddress');
    for (;;) {
      const flushed = state.load(W_FLUSHED_UNTIL);
      if (flushed >= address) return;
      this.throwIfStuck(flushed);
      const seq = Atomics.load(state.words, I_FLUSH_SEQ);
      const safeReadOnly = state.load(W_SAFE_READ_ONLY);
      if (this.flushRequested(Math.min(address, safeReadOnly)) > 0) continue;
      this.advanceFlushedUntil();
      if (state.load(W_FLUSHED_UNTIL) >= address) return;
      if (safeReadOnly < address) this.epoch.progress();
      else Atomics.wait(state.words, I_FLUSH_SEQ, seq, WAIT_MS);
    }
  }

  /**
   * Resolves once FlushedUntilAddress >= `address`, writing at most one page per event-loop
   * turn so a long flush does not monopolize the thread. Rejects with the first flush error
   * when a failed range stands in the way. REQUIRES: as flushUntilSync; not protected.
   */
  async flushUntilAsync(address: number): Promise<number> {
    const { state, geometry } = this;
    assert(address <= state.load(W_READ_ONLY), 'flushUntil beyond ReadOnlyAddress');
    for (;;) {
      const flushed = state.load(W_FLUSHED_UNTIL);
      if (flushed >= address) return flushed;
      this.throwIfStuck(flushed);
      const limit = Math.min(address, state.load(W_SAFE_READ_ONLY));
      let wrote = false;
      for (let page = geometry.pageOf(flushed); geometry.pageStart(page) < limit; page++) {
        if (this.hasWork(page) && this.flushPage(page)) {
          wrote = true;
          break;
        }
      }
      if (wrote) {
        await nextTurn();
        continue;
      }
      this.advanceFlushedUntil();
      if (state.load(W_FLUSHED_UNTIL) >= address) continue;
      this.epoch.progress();
      await sleep(WAIT_MS);
    }
  }

  /**
   * Clears every failed page's mark and the error address, so the next flush covering a
   * failed page writes it again from its last good offset. This thread's failure list is
   * emptied; other threads' lists keep their history.
   */
  retryFailed(): void {
    const state = this.state;
    if (state.load(W_FLUSH_ERROR_AT) === NO_ERROR_ADDRESS) return;
    for (let slot = 0; slot < state.frameCount; slot++) Atomics.store(state.slotFailed, slot, 0);
    state.store(W_FLUSH_ERROR_AT, NO_ERROR_ADDRESS);
    this.failures.length = 0;
    state.signalFlush();
  }

  /** The first flush error standing at or below `flushed`, thrown; else nothing. */
  throwIfStuck(flushed: number): void {
    const errorAt = this.state.load(W_FLUSH_ERROR_AT);
    if (errorAt === NO_ERROR_ADDRESS || errorAt > flushed) return;
    throw this.firstError() ?? new FasterError('ERR_IO',
      `flush of log address ${errorAt} failed on another thread`, { offset: errorAt });
  }

  /** This thread's earliest flush error, if any. */
  firstError(): FasterError | undefined {
    return this.failures[0]?.error;
  }

  /** Writes bytes [from, to) of page `page` rounded out to sectors; false on device error. */
  private write(page: number, slot: number, from: number, to: number): boolean {
    const { geometry, state } = this;
    const start = geometry.sectorFloor(from);
    const end = Math.min(geometry.sectorCeil(to), geometry.pageBytes);
    const address = geometry.pageStart(page);
    if (this.beforeHooks.length !== 0) {
      const frame = this.frames.view(slot, 0, geometry.pageBytes);
      for (const hook of this.beforeHooks) hook(frame, address, from, to);
    }
    try {
      this.device.writeSync(this.frames.view(slot, start, end), address + start);
    } catch (err) {
      if (!(err instanceof FasterError)) throw err;
      this.recordFailure(slot, address + from, address + to, err);
      return false;
    }
    state.count(I_FLUSH_WRITES);
    state.add(W_FLUSHED_BYTES, end - start);
    return true;
  }

  private recordFailure(slot: number, from: number, to: number, error: FasterError): void {
    const state = this.state;
    Atomics.store(state.slotFailed, slot, 1);
    state.casMin(W_FLUSH_ERROR_AT, from);
    state.count(I_FLUSH_ERRORS);
    let at = this.failures.length;
    while (at > 0 && this.failures[at - 1]!.from > from) at--;
    this.failures.splice(at, 0, { from, to, error });
    state.signalFlush();
  }
}

/**
 * The value a thread stores in a shared token it takes (a slot's flush token, the closer
 * token, the page-turn owner): its epoch owner id, so the token of a thread that died holding
 * it can be found and freed (HybridLog.reclaimThread). 1 before the epoch was ever acquired.
 */
export function tokenOf(epoch: LightEpoch): number {
  return epoch.owner === 0 ? 1 : epoch.owner;
}

/** Raises Int32 word `index` of `view` to `value` if it is lower. */
export function raiseInt32(view: Int32Array, index: number, value: number): void {
  for (;;) {
    const current = Atomics.load(view, index);
    if (current >= value) return;
    if (Atomics.compareExchange(view, index, current, value) === current) return;
  }
}
