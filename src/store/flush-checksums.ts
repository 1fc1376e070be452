/**
 * Fills in each record's CRC32C just before its page range is written to the device, so every
 * durable copy of a record can be verified (record-layout.ts). By then the range is below
 * SafeReadOnlyAddress: no thread changes those records' checksummed bytes any more.
 */
import type { StoreContext } from './store-context.js';

/**
 * Computes the checksums of the records in page offsets [from, to) of the page starting at
 * logical address `pageStart`, whose bytes are `page`: one engine call for the whole range
 * (NativeBinding.pageChecksums walks the records as walkPageRecords does).
 */
export function fillChecksums(ctx: StoreContext, page: Uint8Array, pageStart: number,
  from: number, to: number): void {
  ctx.binding.pageChecksums(page, pageStart, from, Math.min(to, page.length), false);
}

/** Registers fillChecksums to run before every flush write of the store's log. */
export function installFlushChecksums(ctx: StoreContext): void {
  ctx.log.onBeforeFlush((page, pageStart, from, to) => fillChecksums(ctx, page, pageStart,
    from, to));
}
