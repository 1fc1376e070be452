/**
 * Fills in each record's CRC32C just before its page range is written to the device, so every
 * durable copy of a record can be verified (record-layout.ts). By then the range is below
 * SafeReadOnlyAddress: no thread changes those records' checksummed bytes any more.
 */
import { OFFSET_CRC, recordChecksum, writeU32 } from '../record/record-layout.js';
import { walkPageRecords } from '../record/record-walk.js';
import type { StoreContext } from './store-context.js';

/**
 * Computes the checksums of the records in page offsets [from, to) of the page starting at
 * logical address `pageStart`, whose bytes are `page`.
 */
export function fillChecksums(ctx: StoreContext, page: Uint8Array, pageStart: number,
  from: number, to: number): void {
  const crc = ctx.checksumRange;
  walkPageRecords(page, pageStart, from, to, (off, size) => {
    writeU32(page, off + OFFSET_CRC, recordChecksum(page, off, size, crc));
  });
}

/** Registers fillChecksums to run before every flush write of the store's log. */
export function installFlushChecksums(ctx: StoreContext): void {
  ctx.log.onBeforeFlush((page, pageStart, from, to) => fillChecksums(ctx, page, pageStart,
    from, to));
}
