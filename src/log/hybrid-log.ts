/**
 * HybridLog: FASTER's hybrid-log allocator (AllocatorBase), shared by FasterKV and FasterLog.
 * One logical address space, append-only at the tail; its recent part lives in a circular
 * buffer of page frames (PageFrames), its older part on a Device.
 *
 * Markers (all in shared memory, each moved only upwards by compare-and-swap):
 *   BeginAddress <= HeadAddress <= SafeReadOnlyAddress <= ReadOnlyAddress <= TailAddress,
 *   ClosedUntilAddress <= SafeHeadAddress <= HeadAddress <= FlushedUntilAddress
 *   <= SafeReadOnlyAddress.
 *   [Begin, Head) is on the device, [Head, SafeReadOnly) immutable in memory,
 *   [SafeReadOnly, ReadOnly) the fuzzy region, [ReadOnly, Tail) mutable.
 * Moving ReadOnlyAddress or HeadAddress is FASTER's two-step protocol: CAS the marker, then
 * bump the epoch with a deferred action that runs once every thread has seen it: the
 * read-only action raises SafeReadOnlyAddress and requests the flush of the newly immutable
 * range (LogFlusher); the head action raises SafeHeadAddress and closes pages (LogCloser).
 * On every page turn the owner of the turn shifts ReadOnlyAddress to `readOnlyLagPages` and
 * HeadAddress to `headOffsetLagPages` (capped at FlushedUntilAddress) behind the new page;
 * with `eagerFlush: false` the turn only requests the flush and leaves the write to a caller.
 *
 * Allocation (`tryAllocate`, FASTER's TryAllocate): one atomic add on the tail word
 * {page, offset}. Records never cross a page: a record that does not fit leaves the rest of
 * the page zero (padding, which scanners skip) and the thread whose add started inside the
 * page owns the page turn. The turn needs the frame of page `next - frameCount` closed; if
 * that page is not yet flushed the result is WAIT_FLUSH, if flushed but not closed RETRY_NOW.
 * `allocate` turns both into progress without the event loop: it flushes synchronously and
 * refreshes the epoch (see log-flush.ts for why writes are synchronous). Frames never exceed
 * memoryBytes whatever the data size.
 *
 * Thread rules: one HybridLog object per thread (`attach()` in a worker) over shared state;
 * the thread's LightEpoch must be acquired. `allocate` and reads of in-memory records require
 * the epoch protected; flush and shift calls work protected or not.
 * Stats are page-level shared counters; nothing is counted per record.
 */
import type { Device } from '../device/device.js';
import type { LightEpoch } from '../epoch/light-epoch.js';
import { assert, FasterError, invalidArgument } from '../errors.js';
import type { NativeBinding } from '../native.js';
import { FIRST_VALID_ADDRESS, LogGeometry } from './address.js';
import { LogCloser, type EvictionHook } from './log-eviction.js';
import {
  LogFlusher, tokenOf, type BeforeFlushHook, type FlushFailure, type FlushHook,
} from './log-flush.js';
import {
  I_CLOSER, I_PAGE_TURNS, I_RETRY_NOW, I_SYNC_FLUSH_WAITS, I_TURN_OWNER, I_TURN_PAGE,
  I_WAIT_FLUSH, LogState, NO_ERROR_ADDRESS,
  W_BEGIN, W_CLOSED_UNTIL, W_FLUSH_ERROR_AT, W_FLUSHED_UNTIL, W_HEAD, W_PERSISTED_BEGIN,
  W_READ_ONLY, W_SAFE_HEAD, W_SAFE_READ_ONLY,
} from './log-state.js';
import { LogReader } from './log-read.js';
import { reclaimTokens, takeUnfilled } from './log-reclaim.js';
import { LogScanner, type RecordSizeFn } from './log-scan.js';
import { readStats, type HybridLogStats } from './log-stats.js';
import {
  checkFraction, checkFrames, recordSizeError, type HybridLogAttachOptions,
  type HybridLogHandle, type HybridLogOptions,
} from './log-options.js';
import { PageFrames } from './page-frames.js';

export type { HybridLogStats } from './log-stats.js';
export type { HybridLogAttachOptions, HybridLogHandle, HybridLogOptions } from './log-options.js';

/** tryAllocate outcomes other than an address. */
export const WAIT_FLUSH = 0;
export const RETRY_NOW = -1;

/** Action kinds the log registers, as offsets from `actionKindBase`. */
const ACTION_READ_ONLY = 0;
const ACTION_HEAD = 1;
const ACTION_TRUNCATE = 2;
export const HYBRID_LOG_ACTION_KINDS = 3;

/**
 * A page turn waiting for another thread (to refresh its epoch, or to finish the turn) spins
 * this many times, then sleeps PAUSE_MS between tries so the thread it waits for gets a core.
 */
const SPIN_RETRIES = 32;
const PAUSE_MS = 0.05;
const SIZE_CACHE = 4096;
const bigSizes: bigint[] = Array.from({ length: SIZE_CACHE + 1 }, (_, i) => BigInt(i));

export class HybridLog {
  readonly geometry: LogGeometry;
  readonly frames: PageFrames;
  readonly device: Device;
  readonly epoch: LightEpoch;
  readonly pageBytes: number;
  readonly frameCount: number;
  readonly mutableFraction: number;
  /** Pages behind the tail page that HeadAddress trails (FASTER's HeadOffsetLag). */
  readonly headOffsetLagPages: number;
  /** Pages behind the tail page that ReadOnlyAddress trails (ReadOnlyLag). */
  readonly readOnlyLagPages: number;
  readonly binding: NativeBinding;
  /** Whether page turns write the newly read-only page at once (HybridLogOptions). */
  readonly eagerFlush: boolean;
  /** Whether closing a page zeroes its frame (HybridLogOptions). */
  readonly zeroClosedFrames: boolean;
  /** @internal shared state; for the log's own modules and tests. */
  readonly state: LogState;
  readonly flusher: LogFlusher;
  private readonly closer: LogCloser;
  private readonly actionKindBase: number;
  /** This thread's token in shared tokens (log-flush.ts tokenOf), fixed at construction. */
  private readonly token: number;
  private lazyReader: LogReader | undefined;
  /**
   * The last segment truncation that failed on this thread (it ran in an epoch action, so
   * it cannot throw to the caller); PersistedBeginAddress stays below its address.
   */
  truncateError: FasterError | undefined;

  constructor(options: HybridLogOptions | (HybridLogAttachOptions & { attach: HybridLogHandle })) {
    const { device, binding, epoch } = options;
    const handle = 'attach' in options ? options.attach : undefined;
    const pageBytes = handle?.pageBytes ?? (options as HybridLogOptions).pageBytes;
    this.geometry = new LogGeometry(pageBytes, device.sectorBytes);
    this.pageBytes = pageBytes;
    if (device.segmentBytes < pageBytes) {
      throw invalidArgument('pageBytes', `at most segmentBytes (${device.segmentBytes})`,
        pageBytes);
    }
    if (handle === undefined) {
      const opts = options as HybridLogOptions;
      this.mutableFraction = checkFraction(opts.mutableFraction ?? 0.9);
      this.actionKindBase = opts.actionKindBase ?? 1;
      this.eagerFlush = opts.eagerFlush ?? true;
      this.zeroClosedFrames = opts.zeroClosedFrames ?? true;
      const frameCount = checkFrames(opts.memoryBytes, pageBytes, epoch.maxThreads);
      const alignment = opts.frameAlignment ?? Math.max(4096, device.sectorBytes);
      this.frames = new PageFrames({ frameCount, pageBytes, alignment, binding });
      this.state = new LogState(frameCount, epoch.maxThreads);
      this.state.initialize(FIRST_VALID_ADDRESS);
    } else {
      this.mutableFraction = handle.mutableFraction;
      this.actionKindBase = handle.actionKindBase;
      this.eagerFlush = handle.eagerFlush ?? true;
      this.zeroClosedFrames = handle.zeroClosedFrames ?? true;
      this.frames = new PageFrames({ attach: handle.frames });
      this.state = new LogState(handle.frames.frameCount, epoch.maxThreads, handle.state);
    }
    this.device = device;
    this.binding = binding;
    this.epoch = epoch;
    this.frameCount = this.frames.frameCount;
    this.headOffsetLagPages = this.frameCount - 1;
    this.readOnlyLagPages = Math.floor(this.mutableFraction * this.headOffsetLagPages);
    this.flusher = new LogFlusher(this.state, this.frames, this.geometry, device, epoch);
    this.closer = new LogCloser(this.state, this.frames, this.geometry, this.zeroClosedFrames);
    this.token = tokenOf(epoch);
    this.closer.token = this.token;
    this.registerActions();
  }

  /** This thread's HybridLog over the shared state of `handle` (from another thread). */
  static attach(handle: HybridLogHandle, options: HybridLogAttachOptions): HybridLog {
    return new HybridLog({ ...options, attach: handle });
  }

  handle(): HybridLogHandle {
    return {
      state: this.state.buffer, frames: this.frames.handle(), pageBytes: this.pageBytes,
      mutableFraction: this.mutableFraction, actionKindBase: this.actionKindBase,
      eagerFlush: this.eagerFlush, zeroClosedFrames: this.zeroClosedFrames,
    };
  }

  get beginAddress(): number { return this.state.loadMarker(W_BEGIN); }
  get headAddress(): number { return this.state.loadMarker(W_HEAD); }
  get safeHeadAddress(): number { return this.state.loadMarker(W_SAFE_HEAD); }
  get closedUntilAddress(): number { return this.state.loadMarker(W_CLOSED_UNTIL); }
  get readOnlyAddress(): number { return this.state.loadMarker(W_READ_ONLY); }
  get safeReadOnlyAddress(): number { return this.state.loadMarker(W_SAFE_READ_ONLY); }
  get flushedUntilAddress(): number { return this.state.loadMarker(W_FLUSHED_UNTIL); }
  /** Begin address whose segment truncation has been issued on the device. */
  get persistedBeginAddress(): number { return this.state.loadMarker(W_PERSISTED_BEGIN); }

  /** The next address to be allocated. */
  get tailAddress(): number {
    const state = this.state;
    state.loadTail();
    return state.tailPage * this.pageBytes + Math.min(state.tailOffset, this.pageBytes);
  }

  /** The bytes of every frame; `physicalOffset(address)` indexes them. */
  get memory(): Uint8Array {
    return this.frames.bytes;
  }

  /** Offset in `memory` of an in-memory address. REQUIRES: protected, address >= head. */
  physicalOffset(address: number): number {
    return this.frames.physicalOffset(address);
  }

  /**
   * Reserves `size` bytes at the tail and returns their address, flushing and closing pages
   * synchronously when a frame must be freed first. The bytes are zero. REQUIRES: protected.
   * Throws ERR_RECORD_TOO_LARGE when size > pageBytes, and the first flush error when a
   * failed flush keeps the needed frame from being freed.
   */
  allocate(size: number): number {
    if (!(size > 0 && size <= this.pageBytes && (size | 0) === size)) throw recordSizeError(size, this.pageBytes);
    for (let retries = 0; ; retries++) {
      const address = this.tryAllocate(size);
      if (address > 0) return address;
      if (address === WAIT_FLUSH) this.makeRoomSync();
      this.epoch.refresh();
      if (retries >= SPIN_RETRIES) this.state.pause(PAUSE_MS);
    }
  }

  /**
   * FASTER's TryAllocate: the address of `size` fresh bytes, or WAIT_FLUSH (flush, then
   * retry) or RETRY_NOW (refresh the epoch and retry). REQUIRES: protected, 0 < size <=
   * pageBytes.
   */
  tryAllocate(size: number): number {
    const state = this.state;
    const pageBytes = this.pageBytes;
    if (state.peekTailOffset() > pageBytes) return RETRY_NOW;
    state.addTail(size <= SIZE_CACHE ? bigSizes[size]! : BigInt(size), size, this.epoch.entry);
    const offset = state.tailOffset;
    if (offset + size <= pageBytes) return state.tailPage * pageBytes + offset;
    if (offset > pageBytes) return RETRY_NOW;
    // This thread owns the turn: say so before any call (a call is where V8 may stop a
    // terminated worker), so reclaimThread can undo a turn its owner never finished.
    Atomics.store(state.words, I_TURN_PAGE, state.tailPage);
    Atomics.store(state.words, I_TURN_OWNER, this.token);
    return this.turnPage(state.tailPage, size);
  }

  /** Frees the log tokens the dead thread `token` held (log-reclaim.ts). */
  reclaimThread(token: number): void {
    reclaimTokens(this.state, this.closer, this.pageBytes, token);
  }

  /**
   * Says this thread has written enough of its last allocation for a page walk to step over
   * it (a record header with its lengths). Until then a thread that dies leaves it to
   * `reclaimAllocation`.
   */
  endAllocation(): void {
    this.state.endAllocation(this.epoch.entry);
  }

  /**
   * For a dead thread that held epoch entry `entry` (call before the entry is reclaimed, so
   * the page is still in its frame): the allocation it took and did not fill, if any, is
   * passed to `fill(physicalOffset, size)`, which must make it a walkable filler.
   */
  reclaimAllocation(entry: number, fill: (offset: number, size: number) => void): void {
    const taken = takeUnfilled(this.state, this.pageBytes, this.closedUntilAddress, entry);
    if (taken !== undefined) fill(this.physicalOffset(taken[0]), taken[1]);
  }

  /**
   * Makes ReadOnlyAddress at least `address` (clamped to the tail); the flush of the newly
   * read-only range is requested once every thread has seen it. Returns whether it moved.
   */
  shiftReadOnlyAddress(address: number): boolean {
    return this.shiftReadOnly(Math.min(address, this.tailAddress), false);
  }

  /**
   * FASTER's ShiftReadOnlyToTail: makes everything allocated so far read-only and requested
   * for flushing, including the partial last page. Returns the tail address it covers;
   * `flushUntilSync(tail)` / `flushUntilAsync(tail)` wait for the flush to reach it.
   */
  shiftReadOnlyToTail(): number {
    const tail = this.tailAddress;
    this.shiftReadOnly(tail, false);
    return tail;
  }

  /** Makes HeadAddress at least min(address, FlushedUntilAddress). Returns whether it moved. */
  shiftHeadAddress(address: number): boolean {
    const target = Math.min(address, this.flushedUntilAddress);
    if (this.state.casMax(W_HEAD, target) < 0) return false;
    this.epoch.bumpCurrentEpoch(this.actionKindBase + ACTION_HEAD, target, 0);
    return true;
  }

  /**
   * Makes BeginAddress at least `address`: everything below is logically deleted. Moves
   * ReadOnly and Head up to it first (flushing synchronously as FASTER waits for the flush),
   * so Begin <= Head holds throughout. With `truncate`, segments wholly below `address` are
   * deleted from the device by an epoch action, once no thread can be reading them.
   * REQUIRES: address <= TailAddress; not called from inside an epoch action.
   */
  shiftBeginAddress(address: number, truncate = false): void {
    if (!(Number.isInteger(address) && address >= 0 && address <= this.tailAddress)) {
      throw invalidArgument('address', `an integer from 0 to the tail ${this.tailAddress}`,
        address);
    }
    if (address <= this.beginAddress) return;
    if (address > this.readOnlyAddress) this.shiftReadOnly(address, false);
    if (address > this.headAddress) {
      this.flusher.flushUntilSync(address);
      this.shiftHeadAddress(address);
    }
    this.state.casMax(W_BEGIN, address);
    if (!truncate) return;
    const segment = Math.floor(address / this.device.segmentBytes);
    this.epoch.bumpCurrentEpoch(this.actionKindBase + ACTION_TRUNCATE, segment, address);
  }

  /** Returns once FlushedUntilAddress >= address. See LogFlusher.flushUntilSync. */
  flushUntilSync(address: number): void {
    this.flusher.flushUntilSync(address);
  }

  /** Resolves once FlushedUntilAddress >= address. See LogFlusher.flushUntilAsync. */
  flushUntilAsync(address: number): Promise<number> {
    return this.flusher.flushUntilAsync(address);
  }

  /** Registers a hook run on this thread whenever it advances FlushedUntilAddress. */
  onFlushed(hook: FlushHook): void {
    this.flusher.onFlushed(hook);
  }

  /** Registers a hook run on this thread before each flush write it issues. */
  onBeforeFlush(hook: BeforeFlushHook): void {
    this.flusher.onBeforeFlush(hook);
  }

  /** Registers a hook run on this thread for each range it evicts from memory. */
  onEvicted(hook: EvictionHook): void {
    this.closer.onEvicted(hook);
  }

  /**
   * Copies the `length` bytes at `address` from the device into `dst`: for records below
   * HeadAddress. REQUIRES: address + length <= FlushedUntilAddress. See LogReader.
   */
  readAtSync(address: number, length: number, dst: Uint8Array): void {
    this.reader.readAtSync(address, length, dst);
  }

  /** Asynchronous readAtSync; many may be in flight. Call with the epoch not protected. */
  readAt(address: number, length: number, dst: Uint8Array): Promise<void> {
    return this.reader.readAt(address, length, dst);
  }

  /** A scanner over the records in [from, to), across device and memory. See LogScanner. */
  scan(from: number, to: number, recordSize: RecordSizeFn): LogScanner {
    return new LogScanner(this, from, to, recordSize);
  }

  /** Flush failures seen by this thread, in address order. */
  get flushFailures(): readonly FlushFailure[] {
    return this.flusher.failures;
  }

  /**
   * Forgets flush failures: the failed pages are written again by the next flush covering
   * them (space freed after ENOSPC). FlushedUntil never passes a range before it is written.
   */
  retryFailedFlushes(): void {
    this.flusher.retryFailed();
  }

  /**
   * The FlushedUntilAddress the next page turn needs (capped at ReadOnlyAddress): after
   * WAIT_FLUSH, allocation proceeds once a flush reaches it.
   */
  frameWaitAddress(): number {
    const state = this.state;
    state.loadTail();
    const needed = (state.tailPage + 2 - this.frameCount) * this.pageBytes;
    return Math.min(needed, state.load(W_READ_ONLY));
  }

  /** Lowest failed flush address, or undefined when no flush failed. */
  get flushErrorAddress(): number | undefined {
    const at = this.state.load(W_FLUSH_ERROR_AT);
    return at === NO_ERROR_ADDRESS ? undefined : at;
  }

  stats(): HybridLogStats {
    return readStats(this);
  }

  private get reader(): LogReader {
    this.lazyReader ??= new LogReader(this.device, this.binding, this.geometry,
      () => this.flushedUntilAddress);
    return this.lazyReader;
  }

  private registerActions(): void {
    const base = this.actionKindBase;
    this.epoch.registerAction(base + ACTION_READ_ONLY, (address, eager) => {
      this.onPagesMarkedReadOnly(address, eager !== 0);
    });
    this.epoch.registerAction(base + ACTION_HEAD, (address) => {
      this.closer.onPagesClosed(address);
    });
    this.epoch.registerAction(base + ACTION_TRUNCATE, (segment, address) => {
      try {
        this.device.truncateUntilSegment(segment);
      } catch (err) {
        if (!(err instanceof FasterError)) throw err;
        this.truncateError = err;
        return;
      }
      this.state.casMax(W_PERSISTED_BEGIN, address);
    });
  }

  private shiftReadOnly(address: number, eager: boolean): boolean {
    if (this.state.casMax(W_READ_ONLY, address) < 0) return false;
    this.epoch.bumpCurrentEpoch(this.actionKindBase + ACTION_READ_ONLY, address, eager ? 1 : 0);
    return true;
  }

  /**
   * The read-only epoch action: `newReadOnly` is seen by all; request (and maybe write).
   * Idempotent (it may run again after its thread died in it: drain-list.ts): it requests
   * everything unflushed below `newReadOnly`, not only what its own shift added, so a request
   * lost with a dead thread is made by the next read-only action.
   */
  private onPagesMarkedReadOnly(newReadOnly: number, eager: boolean): void {
    this.state.casMax(W_SAFE_READ_ONLY, newReadOnly);
    this.flusher.requestUnflushed(newReadOnly);
    if (eager) this.flusher.flushRequested(newReadOnly);
  }

  /** The owner of a page turn: shifts markers, checks the frame, opens page `page + 1`. */
  private turnPage(page: number, size: number): number {
    const state = this.state;
    const next = page + 1;
    const nextStart = next * this.pageBytes;
    const readOnly = nextStart - this.readOnlyLagPages * this.pageBytes;
    if (readOnly > 0) this.shiftReadOnly(readOnly, this.eagerFlush);
    const head = nextStart - this.headOffsetLagPages * this.pageBytes;
    if (head > 0) this.shiftHeadAddress(head);
    const frames = this.frameCount;
    let outcome: number;
    if (next >= frames + this.geometry.pageOf(state.load(W_FLUSHED_UNTIL))) {
      outcome = WAIT_FLUSH;
      state.count(I_WAIT_FLUSH);
    } else if (next >= frames + this.geometry.pageOf(state.load(W_CLOSED_UNTIL))) {
      outcome = RETRY_NOW;
      state.count(I_RETRY_NOW);
    } else {
      assert(nextStart + size <= this.geometry.maxAddress, 'log address space exhausted');
      state.openSlot(next, this.token);
      state.noteTurn(this.epoch.entry, next, size);
      Atomics.compareExchange(state.words, I_TURN_OWNER, this.token, 0);
      state.count(I_PAGE_TURNS);
      return nextStart;
    }
    state.storeTail(page, this.pageBytes);
    Atomics.compareExchange(state.words, I_TURN_OWNER, this.token, 0);
    return outcome;
  }

  /** After WAIT_FLUSH: flush synchronously what the next page turn needs. */
  private makeRoomSync(): void {
    const needed = this.frameWaitAddress();
    if (needed <= this.state.load(W_FLUSHED_UNTIL)) return;
    this.state.count(I_SYNC_FLUSH_WAITS);
    this.flusher.flushUntilSync(needed);
  }
}
