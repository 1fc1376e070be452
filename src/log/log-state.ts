/**
 * LogState: the hybrid log's shared control block, one SharedArrayBuffer read and written
 * with Atomics by every thread attached to the log.
 *
 * 64-bit words (BigInt64, read through a thread-local scratch so no BigInt arithmetic runs):
 *   the markers BeginAddress, HeadAddress, SafeHeadAddress, ClosedUntilAddress,
 *   ReadOnlyAddress, SafeReadOnlyAddress, FlushedUntilAddress, PersistedBeginAddress, the
 *   first failed flush address (FLUSH_ERROR_AT, MAX when none), flushed bytes, and the tail
 *   word {page: high 32 bits, offset: low 32 bits}, advanced with one atomic add.
 * Int32 words: the closer token, the flush sequence (bumped and notified whenever
 *   FlushedUntilAddress or a flush error changes), page-level counters, and the page turn in
 *   progress (page, owner token). Tokens hold their holder's epoch owner id (not just 1), so
 *   a thread that died holding one can be found (HybridLog.reclaimThread).
 * Per-frame Int32 tables (index = frame slot): the page living in the slot, how much of it
 *   was flushed and requested (offsets in the page), the slot's flush token, and whether a
 *   flush of it failed.
 * Per epoch entry (index = entry, 1..maxThreads): the allocation that entry's thread has
 *   taken and not yet filled — the tail word before its add (0n when none) and the size —
 *   so a thread that dies in between leaves a hole that can be found and filled
 *   (HybridLog.reclaimAllocation) instead of a zero gap that ends the walk of its page.
 *
 * Markers only grow: every change is `casMax`. Thread rules: a LogState object (its scratch)
 * belongs to one thread; the buffer is shared.
 */
import { assert } from '../errors.js';

export const W_BEGIN = 0;
export const W_HEAD = 1;
export const W_SAFE_HEAD = 2;
export const W_CLOSED_UNTIL = 3;
export const W_READ_ONLY = 4;
export const W_SAFE_READ_ONLY = 5;
export const W_FLUSHED_UNTIL = 6;
export const W_PERSISTED_BEGIN = 7;
export const W_FLUSH_ERROR_AT = 8;
export const W_FLUSHED_BYTES = 9;
const W_TAIL = 10;
const WORDS64 = 12;

export const I_CLOSER = 0;
export const I_FLUSH_SEQ = 1;
export const I_PAGE_TURNS = 2;
export const I_FLUSH_WRITES = 3;
export const I_PAGES_CLOSED = 4;
export const I_WAIT_FLUSH = 5;
export const I_RETRY_NOW = 6;
export const I_FLUSH_ERRORS = 7;
export const I_SYNC_FLUSH_WAITS = 8;
/** Never written: `pause()` waits on it for its timeout. */
const I_IDLE = 9;
/** The page whose turn is being made, and the token of the thread making it (0: none). */
export const I_TURN_PAGE = 10;
export const I_TURN_OWNER = 11;
const WORDS32 = 16;

/** No flush failed: FLUSH_ERROR_AT holds this. */
export const NO_ERROR_ADDRESS = 2 ** 53 - 1;
const TWO_32 = 4294967296;

export class LogState {
  readonly buffer: SharedArrayBuffer;
  readonly frameCount: number;
  /** Misc Int32 words (I_*). */
  readonly words: Int32Array;
  /** Per slot: the page living in the frame, -1 when none yet. */
  readonly slotPage: Int32Array;
  /** Per slot: bytes of the page known to be on the device (a prefix). */
  readonly flushedOffset: Int32Array;
  /** Per slot: bytes of the page asked to be flushed (a prefix, >= flushedOffset). */
  readonly requestedOffset: Int32Array;
  /** Per slot: 1 while a thread writes (or resets) the page; orders the page's writes. */
  readonly slotBusy: Int32Array;
  /** Per slot: 1 once a write of the page failed; it is not retried. */
  readonly slotFailed: Int32Array;
  /** Per epoch entry: the tail word before its thread's last add, until filled (0n). */
  readonly inflightTail: BigInt64Array;
  /** Per epoch entry: the size that add took. */
  readonly inflightSize: Int32Array;
  /** Page and offset of the last tail read (`addTail`, `loadTail`). */
  tailPage = 0;
  tailOffset = 0;
  private readonly w64: BigInt64Array;
  /** The same 64-bit words, for loadMarker. */
  private readonly f64: Float64Array;
  /** Low half of the tail word, for a cheap "is a page turn in progress" peek. */
  private readonly tailLow: Int32Array;
  private readonly scratch64 = new BigInt64Array(1);
  private readonly scratch32 = new Uint32Array(this.scratch64.buffer);
  private readonly scratchF64 = new Float64Array(this.scratch64.buffer);

  /** Fresh state for `frameCount` frames, or a view over `buffer` (another thread's). */
  constructor(frameCount: number, maxThreads: number, buffer?: SharedArrayBuffer) {
    const entries = maxThreads + 1;
    const bytes = WORDS64 * 8 + entries * 8 + WORDS32 * 4 + 5 * 4 * frameCount + entries * 4;
    this.buffer = buffer ?? new SharedArrayBuffer(bytes);
    assert(this.buffer.byteLength === bytes, 'log state buffer does not match its geometry');
    this.frameCount = frameCount;
    this.w64 = new BigInt64Array(this.buffer, 0, WORDS64);
    this.f64 = new Float64Array(this.buffer, 0, WORDS64);
    this.tailLow = new Int32Array(this.buffer, W_TAIL * 8, 1);
    this.inflightTail = new BigInt64Array(this.buffer, WORDS64 * 8, entries);
    let at = WORDS64 * 8 + entries * 8;
    this.words = new Int32Array(this.buffer, at, WORDS32);
    at += WORDS32 * 4;
    const table = (): Int32Array => {
      const view = new Int32Array(this.buffer, at, frameCount);
      at += 4 * frameCount;
      return view;
    };
    this.slotPage = table();
    this.flushedOffset = table();
    this.requestedOffset = table();
    this.slotBusy = table();
    this.slotFailed = table();
    this.inflightSize = new Int32Array(this.buffer, at, entries);
  }

  /**
   * A fresh log: every marker and the tail at `firstValid`; page 0 in frame 0 with its first
   * `firstValid` bytes counted as flushed (they never hold records).
   */
  initialize(firstValid: number): void {
    for (const word of [W_BEGIN, W_HEAD, W_SAFE_HEAD, W_CLOSED_UNTIL, W_READ_ONLY,
      W_SAFE_READ_ONLY, W_FLUSHED_UNTIL, W_PERSISTED_BEGIN]) {
      this.store(word, firstValid);
    }
    this.store(W_FLUSH_ERROR_AT, NO_ERROR_ADDRESS);
    this.slotPage.fill(-1);
    this.slotPage[0] = 0;
    this.flushedOffset[0] = firstValid;
    this.requestedOffset[0] = firstValid;
    this.storeTail(0, firstValid);
  }

  /**
   * Gives page `page` its frame (whose previous page is closed and zeroed) with nothing
   * flushed or requested, under the slot's flush token so no flush of the old page overlaps.
   */
  openSlot(page: number, token = 1): void {
    const slot = page % this.frameCount;
    for (;;) {
      const held = Atomics.compareExchange(this.slotBusy, slot, 0, token);
      if (held === 0) break;
      Atomics.wait(this.slotBusy, slot, held, 1);
    }
    Atomics.store(this.flushedOffset, slot, 0);
    Atomics.store(this.requestedOffset, slot, 0);
    Atomics.store(this.slotFailed, slot, 0);
    Atomics.store(this.slotPage, slot, page);
    Atomics.store(this.slotBusy, slot, 0);
  }

  /** Atomically reads 64-bit word `word` as a number. */
  load(word: number): number {
    this.scratch64[0] = Atomics.load(this.w64, word);
    return this.scratch32[1]! * TWO_32 + this.scratch32[0]!;
  }

  /**
   * `load` for a marker word (one that only grows while the log is in use: BeginAddress,
   * HeadAddress, …, FlushedUntilAddress), read on every operation. Atomics.load costs ~20 ns
   * in V8 (a BigInt64 one also allocates its BigInt); this is a plain read of the word through
   * a Float64Array, which V8 performs on 64-bit targets as one aligned 8-byte load — a single
   * atomic access on x86-64 and AArch64, so it never tears (markers are below 2^53: their bit
   * pattern is a finite double, never a NaN that could be canonicalized). A plain read may see
   * a marker slightly stale, which callers already allow: they hold epoch protection, and a
   * marker's move takes effect only after every protected thread has refreshed.
   */
  loadMarker(word: number): number {
    this.scratchF64[0] = this.f64[word]!;
    return this.scratch32[1]! * TWO_32 + this.scratch32[0]!;
  }

  store(word: number, value: number): void {
    this.scratch32[0] = value % TWO_32;
    this.scratch32[1] = Math.floor(value / TWO_32);
    Atomics.store(this.w64, word, this.scratch64[0]!);
  }

  /**
   * Raises word `word` to `value` if it is lower. Returns the value it replaced, or -1 when
   * the word was already >= `value` (nothing changed).
   */
  casMax(word: number, value: number): number {
    for (;;) {
      const seen = Atomics.load(this.w64, word);
      this.scratch64[0] = seen;
      const current = this.scratch32[1]! * TWO_32 + this.scratch32[0]!;
      if (current >= value) return -1;
      this.scratch32[0] = value % TWO_32;
      this.scratch32[1] = Math.floor(value / TWO_32);
      if (Atomics.compareExchange(this.w64, word, seen, this.scratch64[0]!) === seen) {
        return current;
      }
    }
  }

  /** Lowers word `word` to `value` if it is higher (only for FLUSH_ERROR_AT). */
  casMin(word: number, value: number): void {
    while (this.load(word) > value) {
      const seen = Atomics.load(this.w64, word);
      this.scratch32[0] = value % TWO_32;
      this.scratch32[1] = Math.floor(value / TWO_32);
      Atomics.compareExchange(this.w64, word, seen, this.scratch64[0]!);
    }
  }

  /** Adds `delta` to a 64-bit counter word (page-level events only: BigInt is slow). */
  add(word: number, delta: number): void {
    Atomics.add(this.w64, word, BigInt(delta));
  }

  /**
   * Adds `size` (a cached BigInt of it) to the tail word; sets tailPage/tailOffset to the
   * values before the add.
   */
  addTail(bigSize: bigint, size: number, entry: number): void {
    this.inflightSize[entry] = size;
    // No call between the add and the note: a terminated worker stops only at a call or a
    // loop back-edge, so an allocation it took is always noted.
    const before = Atomics.add(this.w64, W_TAIL, bigSize);
    this.inflightTail[entry] = before;
    this.scratch64[0] = before;
    this.tailOffset = this.scratch32[0]!;
    this.tailPage = this.scratch32[1]!;
  }

  /** A page turn gave `entry`'s thread the first `size` bytes of `page`. */
  noteTurn(entry: number, page: number, size: number): void {
    this.scratch32[0] = 0;
    this.scratch32[1] = page;
    const start = this.scratch64[0]!;
    this.storeTail(page, size);
    this.inflightTail[entry] = start;
  }

  /** `entry`'s thread has filled its allocation (written enough to be walked). */
  endAllocation(entry: number): void {
    this.inflightTail[entry] = 0n;
  }

  /**
   * The allocation `entry`'s thread took and did not fill, as [address, size] with
   * `pageBytes`-sized pages, or undefined (none, or its add only overshot a full page).
   */
  inflight(entry: number, pageBytes: number): [number, number] | undefined {
    const before = Atomics.load(this.inflightTail, entry);
    if (before === 0n) return undefined;
    this.scratch64[0] = before;
    const offset = this.scratch32[0]!;
    const size = Atomics.load(this.inflightSize, entry);
    if (offset + size > pageBytes) return undefined;
    return [this.scratch32[1]! * pageBytes + offset, size];
  }

  /** Reads the tail word into tailPage/tailOffset. */
  loadTail(): void {
    this.scratch64[0] = Atomics.load(this.w64, W_TAIL);
    this.tailOffset = this.scratch32[0]!;
    this.tailPage = this.scratch32[1]!;
  }

  /** Replaces the tail word if it still holds (page, offset); true when it did. */
  casTail(page: number, offset: number, nextPage: number, nextOffset: number): boolean {
    this.scratch32[0] = offset;
    this.scratch32[1] = page;
    const expected = this.scratch64[0]!;
    this.scratch32[0] = nextOffset;
    this.scratch32[1] = nextPage;
    return Atomics.compareExchange(this.w64, W_TAIL, expected, this.scratch64[0]!) === expected;
  }

  storeTail(page: number, offset: number): void {
    this.scratch32[0] = offset;
    this.scratch32[1] = page;
    Atomics.store(this.w64, W_TAIL, this.scratch64[0]!);
  }

  /** Tail offset alone (may be stale or above pageBytes during a turn): a hint only. */
  peekTailOffset(): number {
    return Atomics.load(this.tailLow, 0) >>> 0;
  }

  count(word: number, delta = 1): void {
    Atomics.add(this.words, word, delta);
  }

  /** Sleeps `ms` (fractions allowed) without the event loop, yielding the core. */
  pause(ms: number): void {
    Atomics.wait(this.words, I_IDLE, 0, ms);
  }

  /** Announces a FlushedUntilAddress or flush-error change to waiting threads. */
  signalFlush(): void {
    Atomics.add(this.words, I_FLUSH_SEQ, 1);
    Atomics.notify(this.words, I_FLUSH_SEQ);
  }
}
