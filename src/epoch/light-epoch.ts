/**
 * LightEpoch: FASTER's epoch protection, kept in one SharedArrayBuffer so that every
 * worker_thread attached to a store shares the same table, epochs and drain list.
 *
 * A thread owns one entry of the table (`acquire()`), publishes the epoch it works in
 * (`protect()` / `refresh()`) and clears it when idle (`unprotect()`). `bumpCurrentEpoch(kind,
 * a, b)` increments CurrentEpoch and defers an action tagged with the prior epoch; the action
 * runs once every protected entry has moved past that epoch. Actions cannot be closures shared
 * between threads, so a deferred action is `(epoch, kind, a, b)` in shared memory and every
 * thread registers the same handler for each kind (`registerAction`); whichever thread drains
 * the list runs it, claimed by compare-and-swap — once, or again on another thread when the
 * thread running it died (drain-list.ts), so every action is idempotent.
 *
 * Layout (Int32 words unless noted; one 64-byte line per table entry, line 0 is the header):
 *   header  [0] CurrentEpoch [1] SafeToReclaimEpoch [2] drain count [3] next owner id
 *           [4] highest entry index ever acquired [5] maxThreads [6] drain slots
 *   entry i (1 <= i <= maxThreads, at int 16*i): [0] localCurrentEpoch (0 = not protected)
 *           [1] owner id (0 = free) [2] reentrancy depth [3] worker_threads threadId
 *           [4..9] phase markers [10] owner liveness word (reserved for reclaiming a dead
 *           worker's entry)
 *   the drain list (drain-list.ts) after the table.
 *
 * Epochs are 32-bit and wrap; they are compared by signed difference, which is exact while no
 * protected entry lags CurrentEpoch by 2^31 bumps (a thread refreshes far more often than
 * that). 0 means "not protected", so CurrentEpoch skips 0 when it wraps. 32-bit words keep
 * protect/unprotect on Int32 Atomics, the cheapest shared operations in V8.
 *
 * Thread rules: one LightEpoch object per thread (create it, or `attach()` to a handle); its
 * methods are called by that thread only. Never block while protected (a protected thread
 * that waits holds back every deferred action); release the epoch before awaiting.
 * Memory order: markers that guard memory (HeadAddress and friends) must be read with Atomics
 * after `protect()`, so a thread that a drain did not see protected reads their new values.
 */
import { threadId } from 'node:worker_threads';
import { assert, invalidArgument } from '../errors.js';
import { DrainList } from './drain-list.js';

/** Phase marker indices (FASTER's EpochPhaseIdx) used by the CPR state machine. */
export const EpochMarker = {
  Prepare: 0,
  InProgress: 1,
  WaitPending: 2,
  WaitFlush: 3,
  CheckpointCompletionCallback: 4,
} as const;
export const MARKER_COUNT = 6;
/** Action kinds are integers in [1, MAX_ACTION_KINDS). Each user of an epoch owns a range. */
export const MAX_ACTION_KINDS = 64;

/** A deferred action's handler; `a` and `b` are numbers (addresses fit exactly). */
export type EpochAction = (a: number, b: number) => void;

export interface LightEpochOptions {
  /** Thread entries (FASTER: max(128, 2 x cores)); default 64, from 1 to 1024. */
  maxThreads?: number;
  /** Deferred-action slots; default 64, from 4 to 4096. */
  drainListSize?: number;
}

/** A structured-cloneable description of a LightEpoch, for `LightEpoch.attach()`. */
export interface LightEpochHandle {
  readonly buffer: SharedArrayBuffer;
  readonly maxThreads: number;
  readonly drainListSize: number;
}

const LINE_INTS = 16;
const H_CURRENT = 0;
const H_SAFE = 1;
const H_DRAIN_COUNT = 2;
const H_NEXT_OWNER = 3;
const H_HIGH_WATER = 4;
const H_TABLE = 5;
const H_DRAIN_SIZE = 6;
const E_LOCAL = 0;
const E_OWNER = 1;
const E_DEPTH = 2;
const E_THREAD = 3;
const E_MARKERS = 4;
const E_LIVENESS = 10;
/** How long a thread waiting for a free drain slot sleeps between attempts. */
const FULL_LIST_WAIT_MS = 1;

export class LightEpoch {
  readonly maxThreads: number;
  readonly drainListSize: number;
  private readonly buffer: SharedArrayBuffer;
  private readonly i32: Int32Array;
  private readonly drainList: DrainList;
  private readonly handlers: (EpochAction | undefined)[] = new Array(MAX_ACTION_KINDS);
  /** Int32 index of this thread's entry, or -1 before acquire(). */
  private base = -1;
  private ownerId = 0;

  /** A new epoch in fresh shared memory, or (with `attach`) a view over an existing one. */
  constructor(options: LightEpochOptions | { attach: LightEpochHandle } = {}) {
    let buffer: SharedArrayBuffer;
    if ('attach' in options) {
      buffer = options.attach.buffer;
      this.maxThreads = options.attach.maxThreads;
      this.drainListSize = options.attach.drainListSize;
      const header = new Int32Array(buffer, 0, LINE_INTS);
      assert(header[H_TABLE] === this.maxThreads && header[H_DRAIN_SIZE] === this.drainListSize,
        'epoch handle does not match its buffer');
    } else {
      this.maxThreads = checkRange('maxThreads', options.maxThreads ?? 64, 1, 1024);
      this.drainListSize = checkRange('drainListSize', options.drainListSize ?? 64, 4, 4096);
      const table = tableBytes(this.maxThreads);
      buffer = new SharedArrayBuffer(table + DrainList.bytesFrom(table, this.drainListSize));
      const header = new Int32Array(buffer, 0, LINE_INTS);
      header[H_CURRENT] = 1;
      header[H_NEXT_OWNER] = 1;
      header[H_TABLE] = this.maxThreads;
      header[H_DRAIN_SIZE] = this.drainListSize;
    }
    this.buffer = buffer;
    this.i32 = new Int32Array(buffer);
    this.drainList = new DrainList(buffer, tableBytes(this.maxThreads), this.drainListSize,
      this.i32, H_DRAIN_COUNT);
  }

  /** A view over an existing epoch (from another thread's `handle()`); no entry acquired yet. */
  static attach(handle: LightEpochHandle): LightEpoch {
    return new LightEpoch({ attach: handle });
  }

  handle(): LightEpochHandle {
    return { buffer: this.buffer, maxThreads: this.maxThreads, drainListSize: this.drainListSize };
  }

  /**
   * Registers this thread's handler for deferred actions of `kind`. Every thread attached to
   * the epoch registers the same kinds; until it has, its drains leave actions of that kind
   * for other threads.
   */
  registerAction(kind: number, handler: EpochAction): void {
    assert(Number.isInteger(kind) && kind > 0 && kind < MAX_ACTION_KINDS, `bad kind ${kind}`);
    assert(this.handlers[kind] === undefined, `epoch action kind ${kind} registered twice`);
    this.handlers[kind] = handler;
  }

  /** Reserves a table entry for this thread. Throws ERR_INVALID_ARGUMENT when all are taken. */
  acquire(): number {
    assert(this.base < 0, 'LightEpoch.acquire() called twice');
    const i32 = this.i32;
    if (this.ownerId === 0) this.ownerId = Atomics.add(i32, H_NEXT_OWNER, 1);
    for (let entry = 1; entry <= this.maxThreads; entry++) {
      const b = entry * LINE_INTS;
      if (Atomics.compareExchange(i32, b + E_OWNER, 0, this.ownerId) !== 0) continue;
      Atomics.store(i32, b + E_LOCAL, 0);
      Atomics.store(i32, b + E_DEPTH, 0);
      Atomics.store(i32, b + E_THREAD, threadId);
      for (let m = 0; m < MARKER_COUNT; m++) Atomics.store(i32, b + E_MARKERS + m, 0);
      raiseHighWater(i32, entry);
      this.base = b;
      return entry;
    }
    throw invalidArgument('maxThreads', `more than ${this.maxThreads} threads`, this.maxThreads);
  }

  /**
   * Frees this thread's entry. Ready deferred actions are run first, so a thread going idle
   * never holds back progress. REQUIRES: acquired and not protected.
   */
  release(): void {
    const b = this.base;
    assert(b > 0, 'LightEpoch.release() without acquire()');
    assert(this.i32[b + E_DEPTH] === 0, 'LightEpoch.release() while protected');
    if (Atomics.load(this.i32, H_DRAIN_COUNT) !== 0) {
      this.protect();
      this.unprotect();
    }
    this.base = -1;
    Atomics.store(this.i32, b + E_OWNER, 0);
  }

  /**
   * This thread's owner id: non-zero, unique among the threads of this epoch, fixed from the
   * first `acquire()` (0 before). Shared tokens record it, so a dead thread's can be freed.
   */
  get owner(): number {
    return this.ownerId;
  }

  /** The table entry this thread holds (0 when none). */
  get entry(): number {
    return this.base > 0 ? this.base / LINE_INTS : 0;
  }

  /** Whether this thread holds an entry. */
  get isAcquired(): boolean {
    return this.base > 0;
  }

  /** Whether this thread is protected (inside protect()/unprotect()). */
  get isProtected(): boolean {
    return this.base > 0 && this.i32[this.base + E_DEPTH] !== 0;
  }

  /**
   * Enters the current epoch (nestable: only the outermost call publishes) and runs ready
   * deferred actions. Cheap: called around every operation. REQUIRES: acquired.
   *
   * Only the publishing store is an Atomics operation (each costs ~20 ns; a plain read ~1 ns):
   * it orders this thread's later reads of guarded state after the publication. CurrentEpoch
   * and the drain count are read plainly: a stale CurrentEpoch publishes an older epoch, which
   * only holds actions back longer, and a stale count only delays draining to the next call.
   */
  protect(): void {
    const i32 = this.i32;
    const b = this.base;
    if (b <= 0) assert(false, 'LightEpoch.protect() before acquire()');
    const depth = i32[b + E_DEPTH]!;
    i32[b + E_DEPTH] = depth + 1;
    if (depth !== 0) return;
    Atomics.store(i32, b + E_LOCAL, i32[H_CURRENT]!);
    if (i32[H_DRAIN_COUNT] !== 0) this.drain();
  }

  /**
   * Leaves the epoch (the outermost call clears the entry). If deferred actions are pending,
   * the outermost call first runs the ready ones while still protected, so an idle thread
   * never stalls them. The clearing store is atomic so it cannot become visible before this
   * thread's reads of guarded memory.
   */
  unprotect(): void {
    const i32 = this.i32;
    const b = this.base;
    const depth = i32[b + E_DEPTH]!;
    if (!(b > 0 && depth > 0)) assert(false, 'LightEpoch.unprotect() without protect()');
    if (depth === 1 && i32[H_DRAIN_COUNT] !== 0) {
      Atomics.store(i32, b + E_LOCAL, Atomics.load(i32, H_CURRENT));
      this.drain();
    }
    i32[b + E_DEPTH] = depth - 1;
    if (depth === 1) Atomics.store(i32, b + E_LOCAL, 0);
  }

  /** Moves this thread to the current epoch and runs ready actions. REQUIRES: protected. */
  refresh(): void {
    const i32 = this.i32;
    const b = this.base;
    if (!(b > 0 && i32[b + E_DEPTH] !== 0)) {
      assert(false, 'LightEpoch.refresh() while not protected');
    }
    Atomics.store(i32, b + E_LOCAL, i32[H_CURRENT]!);
    if (i32[H_DRAIN_COUNT] !== 0) this.drain();
  }

  /**
   * Lets deferred actions make progress from wherever the caller stands: refresh when
   * protected, otherwise a protect/unprotect pair. REQUIRES: acquired.
   */
  progress(): void {
    if (this.isProtected) this.refresh();
    else {
      this.protect();
      this.unprotect();
    }
  }

  /**
   * Increments CurrentEpoch; with `kind` > 0, defers action `kind(a, b)` until every entry
   * protected now has moved past the prior epoch. Then lets ready actions run (the caller's
   * own entry moves to the new epoch if it was protected). Returns the new CurrentEpoch.
   * REQUIRES: acquired.
   */
  bumpCurrentEpoch(kind = 0, a = 0, b = 0): number {
    const prior = this.incrementCurrentEpoch();
    if (kind !== 0) this.pushAction(prior, kind, a, b);
    this.progress();
    return nextEpoch(prior);
  }

  get currentEpoch(): number {
    return Atomics.load(this.i32, H_CURRENT);
  }

  get safeToReclaimEpoch(): number {
    return Atomics.load(this.i32, H_SAFE);
  }

  /** Deferred actions not yet run. */
  get pendingActions(): number {
    return Atomics.load(this.i32, H_DRAIN_COUNT);
  }

  /** Records "this thread has done phase `marker` for `version`". REQUIRES: acquired. */
  mark(marker: number, version: number): void {
    assert(this.base > 0 && marker >= 0 && marker < MARKER_COUNT, 'bad epoch marker');
    Atomics.store(this.i32, this.base + E_MARKERS + marker, version);
  }

  /** True when every protected entry has marked `marker` with `version`. */
  checkIsComplete(marker: number, version: number): boolean {
    assert(marker >= 0 && marker < MARKER_COUNT, 'bad epoch marker');
    const i32 = this.i32;
    const high = Atomics.load(i32, H_HIGH_WATER);
    for (let entry = 1; entry <= high; entry++) {
      const b = entry * LINE_INTS;
      if (Atomics.load(i32, b + E_LOCAL) === 0) continue;
      if (Atomics.load(i32, b + E_MARKERS + marker) !== version) return false;
    }
    return true;
  }

  /** The owner id (0 = free) and worker_threads threadId recorded in table entry `entry`. */
  entryOwner(entry: number): { ownerId: number; threadId: number; liveness: number } {
    assert(entry > 0 && entry <= this.maxThreads, 'bad epoch entry');
    const b = entry * LINE_INTS;
    return {
      ownerId: Atomics.load(this.i32, b + E_OWNER),
      threadId: Atomics.load(this.i32, b + E_THREAD),
      liveness: Atomics.load(this.i32, b + E_LIVENESS),
    };
  }

  /**
   * Whether table entry `entry` is held by owner `ownerId` and protected now (that thread is
   * inside an operation). False when the entry was freed or taken by another thread.
   */
  isProtectedBy(entry: number, ownerId: number): boolean {
    if (entry <= 0 || entry > this.maxThreads) return false;
    const b = entry * LINE_INTS;
    return Atomics.load(this.i32, b + E_OWNER) === ownerId &&
      Atomics.load(this.i32, b + E_LOCAL) !== 0;
  }

  /** Entries held now by the worker_threads thread `threadId` (a dead thread's, to reclaim). */
  entriesOf(threadId: number): { entry: number; ownerId: number }[] {
    const found: { entry: number; ownerId: number }[] = [];
    const high = Atomics.load(this.i32, H_HIGH_WATER);
    for (let entry = 1; entry <= high; entry++) {
      const { ownerId, threadId: t } = this.entryOwner(entry);
      if (ownerId !== 0 && t === threadId && entry * LINE_INTS !== this.base) {
        found.push({ entry, ownerId });
      }
    }
    return found;
  }

  /**
   * Frees the entry of a thread known to be dead (its worker exited), so it no longer holds
   * back deferred actions; an action it was running when it died is made ready to run again.
   * REQUIRES: that thread will never touch the epoch again.
   */
  reclaimEntry(entry: number, ownerId: number): boolean {
    assert(entry > 0 && entry <= this.maxThreads && entry * LINE_INTS !== this.base,
      'bad epoch entry to reclaim');
    const b = entry * LINE_INTS;
    if (Atomics.load(this.i32, b + E_OWNER) !== ownerId) return false;
    this.drainList.requeueClaimedBy(entry);
    Atomics.store(this.i32, b + E_LOCAL, 0);
    Atomics.store(this.i32, b + E_DEPTH, 0);
    return Atomics.compareExchange(this.i32, b + E_OWNER, ownerId, 0) === ownerId;
  }

  /** Increments CurrentEpoch, skipping 0 on wrap; returns the prior value. */
  private incrementCurrentEpoch(): number {
    const i32 = this.i32;
    for (;;) {
      const current = Atomics.load(i32, H_CURRENT);
      if (Atomics.compareExchange(i32, H_CURRENT, current, nextEpoch(current)) === current) {
        return current;
      }
    }
  }

  /** Stores `(epoch, kind, a, b)` in a free drain slot, draining (and waiting) while full. */
  private pushAction(epoch: number, kind: number, a: number, b: number): void {
    assert(this.handlers[kind] !== undefined, `no handler for epoch action kind ${kind}`);
    const list = this.drainList;
    while (!list.tryPush(epoch, kind, a, b)) {
      this.progress();
      if (list.tryPush(epoch, kind, a, b)) return;
      list.waitWhileFull(FULL_LIST_WAIT_MS);
    }
  }

  /** Computes SafeToReclaimEpoch and runs every action whose epoch it covers. */
  private drain(): void {
    const safe = this.computeSafeToReclaimEpoch();
    const list = this.drainList;
    const entry = this.base / LINE_INTS;
    for (let slot = 0; slot < list.size; slot++) {
      if (!list.claim(slot, safe, entry)) continue;
      const { kind, a, b } = list;
      const handler = this.handlers[kind];
      // A thread still setting up (attaching: its store registers the CPR kind last) may
      // drain before it has every handler; it leaves such an action to the other threads.
      if (handler === undefined) {
        list.unclaim(slot);
        continue;
      }
      // Released after the action returns or throws, never by a terminated worker (catch
      // blocks do not run for termination): then reclaimEntry requeues it.
      try {
        handler(a, b);
      } catch (err) {
        list.release(slot);
        throw err;
      }
      list.release(slot);
    }
  }

  /** SafeToReclaimEpoch = (oldest protected localCurrentEpoch, or CurrentEpoch) - 1. */
  private computeSafeToReclaimEpoch(): number {
    const i32 = this.i32;
    let oldest = Atomics.load(i32, H_CURRENT);
    const high = Atomics.load(i32, H_HIGH_WATER);
    for (let entry = 1; entry <= high; entry++) {
      const local = Atomics.load(i32, entry * LINE_INTS + E_LOCAL);
      if (local !== 0 && ((local - oldest) | 0) < 0) oldest = local;
    }
    const safe = (oldest - 1) | 0;
    Atomics.store(i32, H_SAFE, safe);
    return safe;
  }
}

function nextEpoch(epoch: number): number {
  const next = (epoch + 1) | 0;
  return next === 0 ? 1 : next;
}

function raiseHighWater(i32: Int32Array, entry: number): void {
  for (;;) {
    const high = Atomics.load(i32, H_HIGH_WATER);
    if (high >= entry) return;
    if (Atomics.compareExchange(i32, H_HIGH_WATER, high, entry) === high) return;
  }
}

/** Bytes of the header line and the entry table; the drain list follows. */
function tableBytes(maxThreads: number): number {
  return (maxThreads + 1) * LINE_INTS * 4;
}

function checkRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(name, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

