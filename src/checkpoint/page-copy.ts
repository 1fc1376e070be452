/**
 * Page-level helpers of the snapshot captures (log-checkpoint.ts, incremental.ts): copying a
 * log page out of memory or from the main log, and walking a page's Dirty records in its frame.
 * Every frame access happens under epoch protection, one page at a time; a page that left
 * memory is read back from the main log, where it was flushed before it left.
 */
import { FIRST_VALID_ADDRESS } from '../log/address.js';
import type { HybridLog } from '../log/hybrid-log.js';
import { HI_DIRTY } from '../record/record-info.js';
import {
  OFFSET_CRC, RECORD_HEADER_BYTES, recordChecksum, recordSize, writeU32,
} from '../record/record-layout.js';
import type { StoreContext } from '../store/store-context.js';

/**
 * Copies page `page` of the log into `dst`: the part below HeadAddress from the main log
 * (flushed, since HeadAddress <= FlushedUntilAddress), the rest from its frame under epoch
 * protection (read from the device instead if HeadAddress passed it meanwhile).
 */
export function copyPage(log: HybridLog, page: number, dst: Uint8Array): void {
  const { geometry, frames } = log;
  const pageStart = geometry.pageStart(page);
  let diskUntil = 0;
  for (;;) {
    log.epoch.protect();
    let memoryFrom: number;
    try {
      memoryFrom = Math.min(log.pageBytes, Math.max(0, log.headAddress - pageStart));
      if (memoryFrom <= diskUntil) {
        if (memoryFrom < log.pageBytes) {
          const start = frames.slotOffset(page % log.frameCount);
          dst.set(frames.bytes.subarray(start + memoryFrom, start + log.pageBytes), memoryFrom);
        }
        return;
      }
    } finally {
      log.epoch.unprotect();
    }
    const lo = geometry.sectorFloor(diskUntil);
    log.device.readSync(dst.subarray(lo, geometry.sectorCeil(memoryFrom)), pageStart + lo);
    diskUntil = memoryFrom;
  }
}

/** A pageBytes buffer aligned for O_DIRECT. */
export function alignedPage(ctx: StoreContext): Uint8Array {
  const pageBytes = ctx.log.pageBytes;
  const raw = new Uint8Array(new ArrayBuffer(pageBytes + 4096));
  const skip = ctx.binding.alignmentOffset(raw, 4096);
  return raw.subarray(skip, skip + pageBytes);
}

/** Clears Dirty on the records of `page` below `final` (after a full snapshot copied them). */
export function clearDirty(ctx: StoreContext, page: number, final: number): void {
  visitDirty(ctx, page, final, undefined);
}

/**
 * Visits one Dirty record: its log address and its bytes `page[offset, offset + size)`, valid
 * only during the call (a frame under protection, or a page image).
 */
export type Visit = (address: number, page: Uint8Array, offset: number, size: number) => void;

/**
 * Under protection: for each Dirty record of `page` below `final` in its frame, clears Dirty
 * and (with `visit`) hands it over. False when the page has left memory.
 */
export function visitDirty(ctx: StoreContext, page: number, final: number,
  visit: Visit | undefined): boolean {
  const { log, rec } = ctx;
  const pageStart = log.geometry.pageStart(page);
  const pageBytes = log.pageBytes;
  log.epoch.protect();
  try {
    if (pageStart + pageBytes <= log.headAddress) return false;
    const base = log.frames.slotOffset(page % log.frameCount);
    const frame = log.frames.bytes.subarray(base, base + pageBytes);
    const to = Math.min(final - pageStart, pageBytes);
    // walkPageRecords over the frame's Int32 words: the same records, without a call and
    // four byte loads per field (this runs over every record of every captured page).
    const mem32 = rec.mem32;
    const word0 = base / 4;
    let off = Math.max(0, FIRST_VALID_ADDRESS - pageStart);
    while (off + 8 <= to) {
      const w = word0 + off / 4;
      const hi = mem32[w + 1]!;
      if (mem32[w] === 0 && hi === 0) break;
      const size = off + RECORD_HEADER_BYTES <= pageBytes
        ? recordSize(mem32[w + 3]! >>> 0, mem32[w + 5]! >>> 0) : 0;
      if (size < RECORD_HEADER_BYTES || off + size > pageBytes) break;
      if ((hi & HI_DIRTY) !== 0) {
        if (visit !== undefined) visit(pageStart + off, frame, off, size);
        Atomics.and(mem32, w + 1, ~HI_DIRTY);
      }
      off += size;
    }
    return true;
  } finally {
    log.epoch.unprotect();
  }
}

/**
 * Copies the record `bytes[off, off + size)` into `dst` (exactly `size` bytes) and fills in
 * the copy's checksum, with one engine call.
 */
export function copyChecksummed(ctx: StoreContext, bytes: Uint8Array, off: number, size: number,
  dst: Uint8Array): void {
  dst.set(bytes.subarray(off, off + size));
  // A one-record walk from offset 0 (a pageStart past FIRST_VALID_ADDRESS starts it there).
  const end = ctx.binding.pageChecksums(dst, FIRST_VALID_ADDRESS, 0, size, false);
  if (end !== size * 4) writeU32(dst, OFFSET_CRC, recordChecksum(dst, 0, size, ctx.checksumRange));
}
