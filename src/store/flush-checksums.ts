/**
 * Fills in each record's CRC32C just before its page range is written to the device, so every
 * durable copy of a record can be verified (record-layout.ts). By then the range is below
 * SafeReadOnlyAddress: no thread changes those records' checksummed bytes any more.
 * A zero header word marks page padding: the rest of the page holds no record.
 */
import { FIRST_VALID_ADDRESS } from '../log/address.js';
import { OFFSET_CRC, recordChecksum, recordSizeAt, writeU32 } from '../record/record-layout.js';
import type { StoreContext } from './store-context.js';

/**
 * Computes the checksums of the records in page offsets [from, to) of the page starting at
 * logical address `pageStart`, whose bytes are `page`.
 */
export function fillChecksums(ctx: StoreContext, page: Uint8Array, pageStart: number,
  from: number, to: number): void {
  const mem32 = new Int32Array(page.buffer, page.byteOffset, page.byteLength >> 2);
  const crc = ctx.checksumRange;
  let off = Math.max(from, FIRST_VALID_ADDRESS - pageStart, 0);
  while (off + 8 <= to) {
    if (mem32[off >> 2] === 0 && mem32[(off >> 2) + 1] === 0) return;
    const size = recordSizeAt(page, off);
    if (size <= 0 || off + size > page.length) return;
    writeU32(page, off + OFFSET_CRC, recordChecksum(page, off, size, crc));
    off += size;
  }
}

/** Registers fillChecksums to run before every flush write of the store's log. */
export function installFlushChecksums(ctx: StoreContext): void {
  ctx.log.onBeforeFlush((page, pageStart, from, to) => fillChecksums(ctx, page, pageStart,
    from, to));
}
