/**
 * The internal operations of FasterKV (digest §4), one thread, one attempt each. They return a
 * status; results travel through the StoreContext's scratch fields. The caller (Session) holds
 * the epoch protected around every call, retries RETRY_NOW at once and RETRY_LATER after an
 * epoch refresh, and handles RECORD_ON_DISK by reading the device unprotected and calling the
 * operation's continuation.
 *
 * Region rules, as FASTER:
 *   read    newest record anywhere in memory; below HeadAddress -> RECORD_ON_DISK
 *   upsert  in place at or above ReadOnlyAddress (value fits its capacity); else append
 *   rmw     in place at or above ReadOnlyAddress (`inPlace`), RETRY_LATER in the fuzzy region
 *           [SafeReadOnly, ReadOnly), copy-update from the immutable region, RECORD_ON_DISK
 *           below HeadAddress, initial update when absent or deleted
 *   delete  tombstone in place at or above ReadOnlyAddress; else append a tombstone record
 * Appends link the new record to the chain head seen at the start and publish it with a CAS on
 * the index slot; the record is written Sealed and not Valid and made Valid only after that CAS
 * (so an unpublished record is never live); a lost CAS leaves it invalid and returns RETRY_NOW.
 * While worker threads share the store, each operation takes its locking form instead
 * (locked-operations.ts: one test of the shared LOCKING word).
 */
import { NOT_FOUND as NO_SLOT, TEMP_INVALID_ADDRESS } from '../index/hash-index.js';
import { FasterError } from '../errors.js';
import { FIRST_VALID_ADDRESS } from '../log/address.js';
import { HI_SEALED, HI_TOMBSTONE, HI_VALID } from '../record/record-info.js';
import { align8, recordSize } from '../record/record-layout.js';
import type { HybridLog } from '../log/hybrid-log.js';
import { lockedDelete, lockedRead, lockedUpsert } from './locked-operations.js';
import type { StoreContext } from './store-context.js';

export const DONE = 0;
export const NOT_FOUND = 1;
export const RECORD_ON_DISK = 2;
export const RETRY_NOW = 3;
export const RETRY_LATER = 4;

/** Finds the newest record of `key`: DONE (foundOffset), NOT_FOUND or RECORD_ON_DISK. */
export function internalRead(ctx: StoreContext, key: Uint8Array, hash: number): number {
  if (ctx.lockWord[0] !== 0) return lockedRead(ctx, key, hash);
  const slot = ctx.index.findTag(hash);
  if (slot === NO_SLOT) return NOT_FOUND;
  const entry = ctx.index.readEntry(slot);
  ctx.seenEntry = entry;
  if (ctx.traceBackForKey(key, entry, 0)) {
    return ctx.rec.isTombstone(ctx.foundOffset) ? NOT_FOUND : DONE;
  }
  return ctx.onDevice(ctx.foundAddress) ? RECORD_ON_DISK : NOT_FOUND;
}

/** Blind write: DONE or RETRY_NOW. `inPlaceOk` is false while CPR forbids in-place updates. */
export function internalUpsert(ctx: StoreContext, key: Uint8Array, hash: number,
  value: Uint8Array, versionFlag: number, inPlaceOk: boolean): number {
  if (ctx.lockWord[0] !== 0) return lockedUpsert(ctx, key, hash, value, versionFlag, inPlaceOk);
  const index = ctx.index;
  const slot = index.findOrCreateTag(hash, ctx.log.beginAddress);
  const entry = index.readEntry(slot);
  const readOnly = ctx.log.readOnlyAddress;
  if (inPlaceOk && ctx.traceBackForKey(key, entry, readOnly)) {
    const off = ctx.foundOffset;
    const rec = ctx.rec;
    if (!rec.isTombstone(off) && value.length <= rec.valueCapacity(off)) {
      rec.writeValueInPlace(off, value);
      return DONE;
    }
  }
  return appendRecord(ctx, key, hash, value, 0, versionFlag, slot, entry);
}

/** Deletes `key`: DONE or RETRY_NOW. A key the index has never seen needs nothing. */
export function internalDelete(ctx: StoreContext, key: Uint8Array, hash: number,
  versionFlag: number, inPlaceOk: boolean): number {
  if (ctx.lockWord[0] !== 0) return lockedDelete(ctx, key, hash, versionFlag, inPlaceOk);
  const index = ctx.index;
  const slot = index.findTag(hash);
  if (slot === NO_SLOT) return DONE;
  const entry = index.readEntry(slot);
  if (ctx.traceBackForKey(key, entry, ctx.log.readOnlyAddress)) {
    const off = ctx.foundOffset;
    if (ctx.rec.isTombstone(off)) return DONE;
    if (inPlaceOk) {
      ctx.rec.setTombstone(off);
      return DONE;
    }
  }
  return appendRecord(ctx, key, hash, null, HI_TOMBSTONE, versionFlag, slot, entry);
}

/**
 * Appends a record with `value` (null for a tombstone) after the chain head `entry` seen in
 * `slot`, and publishes it. DONE, or RETRY_NOW when another thread changed the chain first.
 * With `sealOffset` >= 0 (locking mode: the mutable record at ctx.foundAddress, which the
 * caller holds exclusively), that record is sealed once the new one is published.
 *
 * Epoch refreshes happen only before the address is taken: in page upkeep (due since this
 * thread's last page turn) and in a slow allocation or page turn. From the allocation to the
 * publishing CAS nothing refreshes, so no flush can write the new record's page while the
 * record is unpublished (a flushed unpublished record would be lost to recovery and to disk
 * reads). After a refresh:
 *  - the slot is found again without waiting (an index resize may have moved it); when it
 *    moved, or a grow is being prepared, the record is written but left unpublished (Sealed,
 *    not Valid: garbage that scans and recovery skip) and the operation is RETRY_NOW;
 *  - the source record's page may have been evicted and its frame reused. The source is then
 *    never touched again: no seal, and `ctx.sourceEvicted` tells the caller not to unlock it.
 *    No thread can be waiting for that lock: a waiter is protected in an older epoch, which
 *    would have held the eviction back.
 * Whatever refreshed (here, or an index grow's wait earlier in the attempt), a record is
 * published only while the CPR state word is still the one the attempt began in
 * (`ctx.cprWord`); otherwise it is left unpublished and the operation is RETRY_NOW. A refresh
 * lets a checkpoint's drain complete on another thread: without this, an attempt begun in
 * IN_PROGRESS to PERSISTENCE_CALLBACK could publish an InNewVersion record above the
 * startAddress the next cycle took after that drain, and recovery would undo an operation its
 * session's CPR point counts (state-machine.ts).
 */
export function appendRecord(ctx: StoreContext, key: Uint8Array, hash: number,
  value: Uint8Array | null, flagsHi: number, versionFlag: number, slot: number,
  entry: number, sealOffset = -1): number {
  const capacity = value === null ? 0 : align8(value.length);
  const size = recordSize(key.length, capacity);
  const log = ctx.log;
  if (size > log.pageBytes) throw tooLarge(key, value, log.pageBytes);
  const source = ctx.foundAddress;
  let refreshed = ctx.upkeepDue;
  if (refreshed) {
    ctx.upkeepDue = false;
    ctx.maintenance();
  }
  let address = log.tryAllocate(size);
  const slow = address <= 0;
  if (slow) address = allocateSlow(log, size);
  // Only the thread that turns a page is given its first address; the turn (or the slow
  // allocation) may have refreshed. Upkeep is due at this thread's next append.
  if (slow || (address & ctx.pageMask) === 0) {
    refreshed = true;
    ctx.upkeepDue = true;
  }
  const prev = entry === TEMP_INVALID_ADDRESS || entry < FIRST_VALID_ADDRESS ? 0 : entry;
  const off = log.physicalOffset(address);
  ctx.rec.writeRecord(off, key, value, capacity, prev, flagsHi | versionFlag);
  log.endAllocation();
  if (refreshed) {
    if (sealOffset >= 0 && source < log.headAddress) {
      ctx.sourceEvicted = true;
      sealOffset = -1;
    }
    if (ctx.index.findOrCreateTagWithoutWait(hash, log.beginAddress) !== slot) return RETRY_NOW;
  }
  if (Atomics.load(ctx.cprWords, 0) !== ctx.cprWord) return RETRY_NOW;
  if (!ctx.index.casEntryAddress(slot, entry, address)) return RETRY_NOW;
  // Published with no call in between: a worker terminated here stops only at a call or a
  // loop back-edge, so a linked record is never left unpublished (RecordMemory.publish).
  Atomics.xor(ctx.rec.mem32, (off >> 2) + 1, HI_SEALED | HI_VALID);
  if (sealOffset >= 0) ctx.locks!.seal(sealOffset);
  return DONE;
}

/**
 * log.allocate, after a fast allocation failed. When a failed flush keeps the frame it needs
 * from being freed, the error (ERR_IO) fails this operation only: the failed pages are marked
 * for a new write first, so the next operation that needs a frame writes them again (the
 * device may have recovered, e.g. space was freed after ENOSPC).
 */
function allocateSlow(log: HybridLog, size: number): number {
  try {
    return log.allocate(size);
  } catch (err) {
    if (log.flushErrorAddress !== undefined) log.retryFailedFlushes();
    throw err;
  }
}

function tooLarge(key: Uint8Array, value: Uint8Array | null, pageBytes: number): FasterError {
  return new FasterError('ERR_RECORD_TOO_LARGE',
    `a record of a ${key.length}-byte key and a ${value?.length ?? 0}-byte value does not fit ` +
    `a ${pageBytes}-byte page (24 bytes of header; raise pageBytes)`);
}
