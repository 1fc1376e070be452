/**
 * StoreShared: the store-wide words that the threads of one FasterKV store (the owner and the
 * stores attached in worker_threads) agree on, in one SharedArrayBuffer.
 *
 *   Int32 words  [0] LOCKING  0 off, 1 switching on, 2 on: operations lock records when it
 *                              is not 0 (record-locks.ts)
 *                [1] ATTACHED stores attached on other threads and not yet closed
 *                [2] CLOSING  1 once the owner began closing: attaching is refused
 *                [3] LOCK_DRAINED  number of the last drained locking-switch action
 *   held         one 64-byte line per epoch table entry (its Float64 at `heldIndex(entry)`):
 *                the record lock that entry's thread holds (record-locks.ts), for reclaiming
 *                a dead thread's lock. A line each (64 bytes apart, so no two share a cache
 *                line whatever the buffer's alignment) because every locked operation writes
 *                its thread's word twice: packed, the words of threads on different cores
 *                shared one line, which then moved between the cores on every operation
 *                (false sharing; README "FasterKV across worker threads" has the measurements).
 *   roles        Int32 per epoch table entry: what the entry's thread is to the store (ROLE_*),
 *                so the one thread that reclaims a dead entry claims it first (reclaim.ts)
 *
 * Record locking costs two atomic operations per operation, so a store that only one thread
 * uses takes none: locking is switched on (never off again) when the first store attaches,
 * and the attaching thread waits until every operation that began without locks has ended —
 * it sets LOCKING, then bumps the epoch with LOCKING_ACTION_KIND and waits for that action to
 * drain: the action runs only once every thread protected before the bump has left the
 * epoch, and an operation reads LOCKING after it protects.
 * Thread rules: any thread; every thread of the store registers the locking action.
 */
import type { LightEpoch } from '../epoch/light-epoch.js';
import { assert } from '../errors.js';

/** Epoch action kinds in use by a store: 1-3 HybridLog, 8 CPR, 9 index growth, 10 this. */
export const LOCKING_ACTION_KIND = 10;

export const W_LOCKING = 0;
const LOCKING_OFF = 0;
const LOCKING_SWITCHING = 1;
const LOCKING_ON = 2;
const W_ATTACHED = 1;
const W_CLOSING = 2;
const W_LOCK_DRAINED = 3;
const HEADER_BYTES = 64;
/** Float64 words per `held` entry: a cache line. */
const HELD_STRIDE = 8;

/** roles: no store object, the owner's, an attached store's, being reclaimed. */
export const ROLE_NONE = 0;
export const ROLE_OWNER = 1;
export const ROLE_ATTACHED = 2;
export const ROLE_RECLAIMING = 3;
const WAIT_MS = 1;

export class StoreShared {
  readonly buffer: SharedArrayBuffer;
  /** The header words; `words[W_LOCKING]` is read by every operation. */
  readonly words: Int32Array;
  /** Per epoch entry, at `heldIndex(entry)`: the record lock its thread holds (0: none). */
  readonly held: Float64Array;
  /** Per epoch entry: ROLE_*. */
  readonly roles: Int32Array;

  /** Fresh words for an epoch of `maxThreads` entries, or a view over `buffer`. */
  constructor(maxThreads: number, buffer?: SharedArrayBuffer) {
    const entries = maxThreads + 1;
    const heldBytes = entries * HELD_STRIDE * 8;
    const bytes = HEADER_BYTES + heldBytes + entries * 4;
    this.buffer = buffer ?? new SharedArrayBuffer(bytes);
    assert(this.buffer.byteLength === bytes, 'StoreShared: buffer does not match the epoch');
    this.words = new Int32Array(this.buffer, 0, HEADER_BYTES / 4);
    this.held = new Float64Array(this.buffer, HEADER_BYTES, entries * HELD_STRIDE);
    this.roles = new Int32Array(this.buffer, HEADER_BYTES + heldBytes, entries);
  }

  /** The index in `held` of epoch table entry `entry`'s word. */
  heldIndex(entry: number): number {
    return entry * HELD_STRIDE;
  }

  /** Registers this thread's handler of the locking-switch action. */
  registerActions(epoch: LightEpoch): void {
    epoch.registerAction(LOCKING_ACTION_KIND, (n) => {
      Atomics.store(this.words, W_LOCK_DRAINED, n);
      Atomics.notify(this.words, W_LOCK_DRAINED);
    });
  }

  get locking(): boolean {
    return Atomics.load(this.words, W_LOCKING) !== 0;
  }

  /**
   * Switches record locking on and returns once no operation that began without it is still
   * running (another thread may be doing the switch: then waits for it). REQUIRES: the epoch
   * acquired and not protected.
   */
  enableLocking(epoch: LightEpoch): void {
    const words = this.words;
    if (Atomics.compareExchange(words, W_LOCKING, LOCKING_OFF, LOCKING_SWITCHING) !==
        LOCKING_OFF) {
      while (Atomics.load(words, W_LOCKING) !== LOCKING_ON) {
        epoch.progress();
        Atomics.wait(words, W_LOCKING, LOCKING_SWITCHING, WAIT_MS);
      }
      return;
    }
    const n = (Atomics.load(words, W_LOCK_DRAINED) + 1) | 0;
    epoch.bumpCurrentEpoch(LOCKING_ACTION_KIND, n, 0);
    while (Atomics.load(words, W_LOCK_DRAINED) !== n) {
      epoch.progress();
      Atomics.wait(words, W_LOCK_DRAINED, Atomics.load(words, W_LOCK_DRAINED), WAIT_MS);
    }
    Atomics.store(words, W_LOCKING, LOCKING_ON);
    Atomics.notify(words, W_LOCKING);
  }

  /** Counts an attached store in; false when the owner is closing (the store is closed). */
  enter(): boolean {
    Atomics.add(this.words, W_ATTACHED, 1);
    if (Atomics.load(this.words, W_CLOSING) === 0) return true;
    this.leave();
    return false;
  }

  leave(): void {
    Atomics.sub(this.words, W_ATTACHED, 1);
    Atomics.notify(this.words, W_ATTACHED);
  }

  get attached(): number {
    return Atomics.load(this.words, W_ATTACHED);
  }

  /** Whether the owner began closing. */
  get closing(): boolean {
    return Atomics.load(this.words, W_CLOSING) !== 0;
  }

  /** The owner begins closing: no store attaches from now on. */
  beginClosing(): void {
    Atomics.store(this.words, W_CLOSING, 1);
  }
}
