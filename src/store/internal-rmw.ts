/**
 * Read-modify-write (digest §4.3): in place in the mutable region, RETRY_LATER in the fuzzy
 * region, copy-update from immutable memory, RECORD_ON_DISK below HeadAddress (continued by
 * `rmwFromDisk` once the old record has been read), initial update when the key is absent or
 * deleted. Same conventions as operations.ts; locking mode: locked-operations.ts.
 */
import type { Codec } from '../codec/codecs.js';
import { appendRecord, DONE, RECORD_ON_DISK, RETRY_LATER, RETRY_NOW } from './operations.js';
import { CPR_SHIFT, lockedDiskShift, lockedRmw } from './locked-operations.js';
import type { DiskRecord } from './disk-records.js';
import { copyOut } from './record-memory.js';
import type { RmwFunctions } from './rmw-functions.js';
import type { StoreContext } from './store-context.js';

/** RMW functions with the value codec applied: everything in encoded bytes. */
export interface RmwAdapter<I> {
  initial(input: I): Uint8Array;
  /** `old` may be a view of shared memory, valid only during the call. */
  update(old: Uint8Array, input: I): Uint8Array;
  inPlace: ((value: Uint8Array, input: I) => boolean) | undefined;
}

export function makeRmwAdapter<V, I>(fns: RmwFunctions<V, I>, codec: Codec<V> | undefined):
  RmwAdapter<I> {
  const inPlace = fns.inPlace?.bind(fns);
  if (fns.raw === true || codec === undefined) {
    const f = fns as unknown as RmwFunctions<Uint8Array, I>;
    return {
      initial: (input) => f.initial(input),
      update: (old, input) => f.update(copyOut(old, 0, old.length), input),
      inPlace,
    };
  }
  return {
    initial: (input) => codec.encode(fns.initial(input)),
    update: (old, input) => codec.encode(fns.update(codec.decode(old), input)),
    inPlace,
  };
}

export function internalRmw<I>(ctx: StoreContext, key: Uint8Array, hash: number, input: I,
  fns: RmwAdapter<I>, versionFlag: number, inPlaceOk: boolean): number {
  if (ctx.lockWord[0] !== 0) return lockedRmw(ctx, key, hash, input, fns, versionFlag, inPlaceOk);
  const index = ctx.index;
  const log = ctx.log;
  const slot = index.findOrCreateTag(hash, log.beginAddress);
  const entry = index.readEntry(slot);
  ctx.seenEntry = entry;
  if (!ctx.traceBackForKey(key, entry, 0)) {
    if (ctx.onDevice(ctx.foundAddress)) return RECORD_ON_DISK;
    return appendRecord(ctx, key, hash, fns.initial(input), 0, versionFlag, slot, entry);
  }
  const rec = ctx.rec;
  const off = ctx.foundOffset;
  const address = ctx.foundAddress;
  if (rec.isTombstone(off)) {
    return appendRecord(ctx, key, hash, fns.initial(input), 0, versionFlag, slot, entry);
  }
  if (address >= log.readOnlyAddress) {
    if (inPlaceOk && fns.inPlace !== undefined && fns.inPlace(rec.valueView(off), input)) {
      rec.markDirty(off);
      return DONE;
    }
  } else if (address >= log.safeReadOnlyAddress) {
    return RETRY_LATER;
  }
  const value = fns.update(rec.valueView(off), input);
  return appendRecord(ctx, key, hash, value, 0, versionFlag, slot, entry);
}

/**
 * Continues an RMW whose newest record was on the device: `disk` is what the device held at and
 * below the chain position seen when the operation went pending. If the chain head changed in
 * the meantime, RETRY_NOW (the caller restarts, finding the newer record in memory).
 */
export function rmwFromDisk<I>(ctx: StoreContext, key: Uint8Array, hash: number, input: I,
  fns: RmwAdapter<I>, disk: DiskRecord | undefined, seenEntry: number,
  versionFlag: number): number {
  const slot = ctx.index.findOrCreateTag(hash, ctx.log.beginAddress);
  const entry = ctx.index.readEntry(slot);
  if (entry !== seenEntry) return RETRY_NOW;
  if (ctx.lockWord[0] !== 0 && lockedDiskShift(ctx)) return CPR_SHIFT;
  const value = disk === undefined || disk.tombstone
    ? fns.initial(input) : fns.update(disk.value, input);
  return appendRecord(ctx, key, hash, value, 0, versionFlag, slot, entry);
}
