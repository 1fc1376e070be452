/**
 * Record-level locks in the RecordInfo header (FASTER's RecordIsolation, digest §4.6): a
 * shared-lock count (bits 48..53) and an exclusive bit (54) in the hi word of a record, taken
 * only while worker threads share the store (store-shared.ts switches locking on).
 *
 *  - Readers hold a shared lock while they copy a value that may still change in place (a
 *    record at or above SafeReadOnlyAddress), so they never see a torn value.
 *  - Writers hold the exclusive lock for an in-place update, and for a copy-update from a
 *    record that is still mutable: they publish the copy and then seal the source before
 *    unlocking, so an in-place update that was waiting finds the source sealed and retries
 *    on the copy instead of changing a record nobody reads any more (a lost update).
 *  - A sealed record is being (or has been) superseded: whoever meets it retries at once.
 * Locks are spin-limited (FASTER: a failed lock is RETRY_LATER): a thread that cannot get one
 * gives up, leaves the epoch and tries again, so lock waits never hold back the epoch.
 *
 * Each thread records the one lock it holds in its line of the shared activity table
 * (`held`: physical offset * 4 + kind), so the lock of a worker terminated while holding it
 * can be released by another thread (reclaim.ts). The record and the lock change with no
 * function call or loop back-edge between them — the only points where V8 stops a terminated
 * thread — so the table never disagrees with the header.
 * Thread rules: one RecordLocks per thread (its `slot` in `held` is its own).
 */
import {
  HI_LOCK_EXCLUSIVE, HI_LOCK_SHARED_MASK, HI_LOCK_SHARED_ONE, HI_SEALED,
} from '../record/record-info.js';

export const LOCKED = 0;
/** Another thread holds a conflicting lock: retry later (after leaving the epoch). */
export const LOCK_BUSY = 1;
/** The record is sealed (superseded, or not yet published): retry now. */
export const LOCK_SEALED = 2;

export const HELD_SHARED = 1;
export const HELD_EXCLUSIVE = 2;

const SPINS = 256;

export class RecordLocks {
  constructor(
    private readonly mem32: Int32Array,
    /** The shared activity table; this thread's held lock is `held[slot]`. */
    private readonly held: Float64Array,
    private readonly slot: number,
  ) {}

  /** A shared lock on the record at `off`: LOCKED, LOCK_BUSY or LOCK_SEALED. */
  lockShared(off: number): number {
    const m = this.mem32;
    const i = (off >> 2) + 1;
    for (let n = 0; n < SPINS; n++) {
      const h = Atomics.load(m, i);
      if ((h & HI_SEALED) !== 0) return LOCK_SEALED;
      if ((h & HI_LOCK_EXCLUSIVE) !== 0 || (h & HI_LOCK_SHARED_MASK) === HI_LOCK_SHARED_MASK) {
        continue;
      }
      if (Atomics.compareExchange(m, i, h, h + HI_LOCK_SHARED_ONE) === h) {
        this.held[this.slot] = off * 4 + HELD_SHARED;
        return LOCKED;
      }
    }
    return LOCK_BUSY;
  }

  unlockShared(off: number): void {
    Atomics.sub(this.mem32, (off >> 2) + 1, HI_LOCK_SHARED_ONE);
    this.held[this.slot] = 0;
  }

  /**
   * The exclusive lock on the record at `off`, once its readers have left: LOCKED, LOCK_BUSY
   * or LOCK_SEALED.
   */
  lockExclusive(off: number): number {
    const m = this.mem32;
    const i = (off >> 2) + 1;
    let n = 0;
    for (;; n++) {
      if (n === SPINS) return LOCK_BUSY;
      const h = Atomics.load(m, i);
      if ((h & HI_SEALED) !== 0) return LOCK_SEALED;
      if ((h & HI_LOCK_EXCLUSIVE) !== 0) continue;
      if (Atomics.compareExchange(m, i, h, h | HI_LOCK_EXCLUSIVE) === h) {
        this.held[this.slot] = off * 4 + HELD_EXCLUSIVE;
        break;
      }
    }
    for (; n < 4 * SPINS; n++) {
      if ((Atomics.load(m, i) & HI_LOCK_SHARED_MASK) === 0) return LOCKED;
    }
    this.unlockExclusive(off);
    return LOCK_BUSY;
  }

  unlockExclusive(off: number): void {
    Atomics.and(this.mem32, (off >> 2) + 1, ~HI_LOCK_EXCLUSIVE);
    this.held[this.slot] = 0;
  }

  /** Forgets the held lock of a record whose page was evicted while it was held (operations.ts). */
  forget(): void {
    this.held[this.slot] = 0;
  }

  /** Seals the record at `off` (superseded by a published copy). REQUIRES: exclusively locked. */
  seal(off: number): void {
    Atomics.or(this.mem32, (off >> 2) + 1, HI_SEALED);
  }
}

/**
 * Releases the lock a dead thread held (its `held` entry), so the record is usable again. The
 * value of a record it was updating in place may be partly written.
 */
export function releaseHeld(mem32: Int32Array, held: number): void {
  if (held === 0) return;
  const kind = held % 4;
  const i = (held - kind) / 16 + 1;
  if (kind === HELD_SHARED) Atomics.sub(mem32, i, HI_LOCK_SHARED_ONE);
  else if (kind === HELD_EXCLUSIVE) Atomics.and(mem32, i, ~HI_LOCK_EXCLUSIVE);
}
