/**
 * Is a record the newest of its key? FASTER answers through the hash chain, as its Iterate
 * (the "tail-most record" check) and its lookup compaction (CompactionCopyToTail) do: walk the
 * key's chain from its index entry down to the record's address, looking for another record of
 * the same key. Chain links point strictly downwards and never change once published, so the
 * walk sees every record of the key newer than the record.
 *
 * The in-memory part of the walk runs under epoch protection; the part below HeadAddress is
 * read from the device, unprotected (FASTER's rule: never wait for I/O while protected).
 * `to` bounds which records count: records at or above it are skipped (a scan that started
 * when the tail was `to` answers for the log as it was then); compaction passes Infinity.
 * Thread rules: the caller's thread owns `ctx`.
 */
import { FIRST_VALID_ADDRESS } from '../log/address.js';
import { NOT_FOUND as NO_SLOT } from '../index/hash-index.js';
import type { StoreContext } from './store-context.js';

/** The record is the newest of its key (below `to`). */
export const NEWEST = 0;
/** A newer record of the key exists, or the record is not on its key's chain. */
export const SUPERSEDED = 1;
/** The in-memory part found nothing; the chain continues on the device at ctx.foundAddress. */
export const CHECK_DEVICE = 2;

/**
 * Walks the chain that starts at index entry `entry` over records in memory above `address`.
 * NEWEST, SUPERSEDED, or CHECK_DEVICE (ctx.foundAddress = where the device part starts).
 * REQUIRES: protected.
 */
export function newerInMemory(ctx: StoreContext, key: Uint8Array, entry: number,
  address: number, to: number): number {
  if (entry < FIRST_VALID_ADDRESS) return SUPERSEDED;
  const log = ctx.log;
  const rec = ctx.rec;
  const head = log.headAddress;
  let at = entry;
  while (at > address) {
    if (at < head) {
      ctx.foundAddress = at;
      return CHECK_DEVICE;
    }
    const off = log.physicalOffset(at);
    if (at < to && rec.keyEquals(off, key)) return SUPERSEDED;
    at = rec.previousAddress(off);
  }
  return NEWEST;
}

/** Whether the device part of the chain, from `from` down to above `address`, has a newer
 * record of `key` below `to`. Reads the device synchronously. REQUIRES: not protected. */
export function newerOnDeviceSync(ctx: StoreContext, key: Uint8Array, from: number,
  address: number, to: number): boolean {
  let at = from;
  for (;;) {
    const found = ctx.disk.findSync(key, at, address);
    if (found === undefined) return false;
    if (found.address < to) return true;
    at = found.previousAddress;
  }
}

/** As newerOnDeviceSync, with asynchronous reads. */
export async function newerOnDevice(ctx: StoreContext, key: Uint8Array, from: number,
  address: number, to: number): Promise<boolean> {
  let at = from;
  for (;;) {
    const found = await ctx.disk.find(key, at, address);
    if (found === undefined) return false;
    if (found.address < to) return true;
    at = found.previousAddress;
  }
}

/**
 * The protected first step of a check: NEWEST, SUPERSEDED or CHECK_DEVICE for the record of
 * `key` (hash `hash`) at `address`. Sets ctx.seenEntry to the index entry it started from.
 */
export function checkInMemory(ctx: StoreContext, key: Uint8Array, hash: number,
  address: number, to: number): number {
  const epoch = ctx.epoch;
  epoch.protect();
  try {
    const slot = ctx.index.findTag(hash);
    if (slot === NO_SLOT) return SUPERSEDED;
    const entry = ctx.index.readEntry(slot);
    ctx.seenEntry = entry;
    return newerInMemory(ctx, key, entry, address, to);
  } finally {
    epoch.unprotect();
  }
}

/** Whether the record of `key` at `address` is the newest of its key below `to` (sync). */
export function isNewestSync(ctx: StoreContext, key: Uint8Array, hash: number,
  address: number, to: number): boolean {
  const st = checkInMemory(ctx, key, hash, address, to);
  if (st !== CHECK_DEVICE) return st === NEWEST;
  return !newerOnDeviceSync(ctx, key, ctx.foundAddress, address, to);
}

/** As isNewestSync, with asynchronous device reads. */
export async function isNewest(ctx: StoreContext, key: Uint8Array, hash: number,
  address: number, to: number): Promise<boolean> {
  const st = checkInMemory(ctx, key, hash, address, to);
  if (st !== CHECK_DEVICE) return st === NEWEST;
  return !(await newerOnDevice(ctx, key, ctx.foundAddress, address, to));
}
