/**
 * The internal operations while worker threads share the store (record locking on:
 * store-shared.ts): the same region rules and statuses as operations.ts and internal-rmw.ts,
 * plus what a single thread never needs (digest §4.6, §7.3):
 *
 *  - Records that may change in place (at or above SafeReadOnlyAddress) are read under a
 *    shared lock, which the caller releases after copying the value (`ctx.sharedLocked`).
 *  - In-place updates, tombstones and copy-updates from a mutable record hold its exclusive
 *    lock; a copy-update (or an append that replaces a mutable record) seals the source after
 *    publishing the copy, so a racing in-place update retries on the copy (no lost update).
 *  - Meeting a sealed record means a newer one is (being) published: RETRY_NOW. A lock that
 *    cannot be had is RETRY_LATER: the caller leaves the epoch and tries again.
 *  - CPR shift (FASTER's CPR_SHIFT_DETECTED): a session acting in PREPARE (version v) re-reads
 *    the state word after finding its record and before acting; if the system has moved to
 *    v+1 the attempt ends with CPR_SHIFT and the session refreshes into v+1 first. So a v
 *    operation never acts on a v+1 record (which exists only after the word changed), and a
 *    v record is only ever appended after a v chain head (its CAS checks the head it saw).
 * Thread rules: as operations.ts; REQUIRES: protected.
 */
import { Phase, phaseOf } from '../checkpoint/system-state.js';
import { NOT_FOUND as NO_SLOT } from '../index/hash-index.js';
import { HI_TOMBSTONE } from '../record/record-info.js';
import type { RmwAdapter } from './internal-rmw.js';
import {
  appendRecord, DONE, NOT_FOUND, RECORD_ON_DISK, RETRY_LATER, RETRY_NOW,
} from './operations.js';
import { LOCK_SEALED, LOCKED, type RecordLocks } from './record-locks.js';
import type { StoreContext } from './store-context.js';

/** The session must refresh (it acted in PREPARE and the version moved on), then retry. */
export const CPR_SHIFT = 5;

function cprShifted(ctx: StoreContext): boolean {
  const word = ctx.cprWord;
  return phaseOf(word) === Phase.PREPARE && Atomics.load(ctx.cprWords, 0) !== word;
}

/** Releases the exclusive lock on the source record, unless appendRecord saw it evicted. */
function unlockSource(ctx: StoreContext, locks: RecordLocks, off: number): void {
  if (!ctx.sourceEvicted) {
    locks.unlockExclusive(off);
    return;
  }
  ctx.sourceEvicted = false;
  locks.forget();
}

function lockFailed(status: number): number {
  return status === LOCK_SEALED ? RETRY_NOW : RETRY_LATER;
}

export function lockedRead(ctx: StoreContext, key: Uint8Array, hash: number): number {
  const slot = ctx.index.findTag(hash);
  if (slot === NO_SLOT) return NOT_FOUND;
  const entry = ctx.index.readEntry(slot);
  ctx.seenEntry = entry;
  if (!ctx.traceBackForKey(key, entry, 0)) {
    return ctx.onDevice(ctx.foundAddress) ? RECORD_ON_DISK : NOT_FOUND;
  }
  const off = ctx.foundOffset;
  if (ctx.foundAddress < ctx.log.safeReadOnlyAddress) {
    return ctx.rec.isTombstone(off) ? NOT_FOUND : DONE;
  }
  const locks = ctx.locks!;
  const st = locks.lockShared(off);
  if (st !== LOCKED) return lockFailed(st);
  if (ctx.rec.isTombstone(off)) {
    locks.unlockShared(off);
    return NOT_FOUND;
  }
  ctx.sharedLocked = off;
  return DONE;
}

export function lockedUpsert(ctx: StoreContext, key: Uint8Array, hash: number,
  value: Uint8Array, versionFlag: number, inPlaceOk: boolean): number {
  const index = ctx.index;
  const slot = index.findOrCreateTag(hash, ctx.log.beginAddress);
  const entry = index.readEntry(slot);
  const found = ctx.traceBackForKey(key, entry, ctx.log.readOnlyAddress);
  if (cprShifted(ctx)) return CPR_SHIFT;
  if (!found) return appendRecord(ctx, key, hash, value, 0, versionFlag, slot, entry);
  const off = ctx.foundOffset;
  const locks = ctx.locks!;
  const st = locks.lockExclusive(off);
  if (st !== LOCKED) return lockFailed(st);
  try {
    const rec = ctx.rec;
    if (inPlaceOk && !rec.isTombstone(off) && value.length <= rec.valueCapacity(off)) {
      rec.writeValueInPlace(off, value);
      return DONE;
    }
    return appendRecord(ctx, key, hash, value, 0, versionFlag, slot, entry, off);
  } finally {
    unlockSource(ctx, locks, off);
  }
}

export function lockedDelete(ctx: StoreContext, key: Uint8Array, hash: number,
  versionFlag: number, inPlaceOk: boolean): number {
  const index = ctx.index;
  const slot = index.findTag(hash);
  if (slot === NO_SLOT) return DONE;
  const entry = index.readEntry(slot);
  const found = ctx.traceBackForKey(key, entry, ctx.log.readOnlyAddress);
  if (cprShifted(ctx)) return CPR_SHIFT;
  if (!found) return appendRecord(ctx, key, hash, null, HI_TOMBSTONE, versionFlag, slot, entry);
  const off = ctx.foundOffset;
  const locks = ctx.locks!;
  const st = locks.lockExclusive(off);
  if (st !== LOCKED) return lockFailed(st);
  try {
    if (ctx.rec.isTombstone(off)) return DONE;
    if (inPlaceOk) {
      ctx.rec.setTombstone(off);
      return DONE;
    }
    return appendRecord(ctx, key, hash, null, HI_TOMBSTONE, versionFlag, slot, entry, off);
  } finally {
    unlockSource(ctx, locks, off);
  }
}

export function lockedRmw<I>(ctx: StoreContext, key: Uint8Array, hash: number, input: I,
  fns: RmwAdapter<I>, versionFlag: number, inPlaceOk: boolean): number {
  const log = ctx.log;
  const slot = ctx.index.findOrCreateTag(hash, log.beginAddress);
  const entry = ctx.index.readEntry(slot);
  ctx.seenEntry = entry;
  const found = ctx.traceBackForKey(key, entry, 0);
  if (cprShifted(ctx)) return CPR_SHIFT;
  if (!found) {
    if (ctx.onDevice(ctx.foundAddress)) return RECORD_ON_DISK;
    return appendRecord(ctx, key, hash, fns.initial(input), 0, versionFlag, slot, entry);
  }
  const off = ctx.foundOffset;
  const address = ctx.foundAddress;
  if (address >= log.readOnlyAddress) {
    return rmwMutable(ctx, ctx.locks!, key, hash, input, fns, versionFlag, inPlaceOk, slot,
      entry, off);
  }
  if (address >= log.safeReadOnlyAddress) return RETRY_LATER;
  const value = ctx.rec.isTombstone(off)
    ? fns.initial(input) : fns.update(ctx.rec.valueView(off), input);
  return appendRecord(ctx, key, hash, value, 0, versionFlag, slot, entry);
}

/** RMW of a record in the mutable region, under its exclusive lock. */
function rmwMutable<I>(ctx: StoreContext, locks: RecordLocks, key: Uint8Array, hash: number,
  input: I, fns: RmwAdapter<I>, versionFlag: number, inPlaceOk: boolean, slot: number,
  entry: number, off: number): number {
  const st = locks.lockExclusive(off);
  if (st !== LOCKED) return lockFailed(st);
  try {
    const rec = ctx.rec;
    if (rec.isTombstone(off)) {
      return appendRecord(ctx, key, hash, fns.initial(input), 0, versionFlag, slot, entry, off);
    }
    if (inPlaceOk && fns.inPlace !== undefined && fns.inPlace(rec.valueView(off), input)) {
      rec.markDirty(off);
      return DONE;
    }
    const value = fns.update(rec.valueView(off), input);
    return appendRecord(ctx, key, hash, value, 0, versionFlag, slot, entry, off);
  } finally {
    unlockSource(ctx, locks, off);
  }
}

/** rmwFromDisk's CPR check in locking mode: true when the session must refresh first. */
export function lockedDiskShift(ctx: StoreContext): boolean {
  return cprShifted(ctx);
}
