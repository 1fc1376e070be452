/**
 * The WAIT_FLUSH work of a hybrid-log checkpoint (digest §7.3), one function per kind:
 *  - fold-over: everything up to the tail becomes read-only and is flushed to the main log;
 *    finalAddress is then durable there. Later updates of those records copy to the tail.
 *  - snapshot: the pages from FlushedUntilAddress to finalAddress are copied to the snapshot
 *    file; the main log is synced below FlushedUntilAddress. Records stay mutable in memory.
 *    The copy clears the Dirty bits below finalAddress: it is the base of later incremental
 *    snapshots (incremental.ts).
 *
 * REQUIRES (from the state machine): phase WAIT_FLUSH, so no session changes a record below
 * finalAddress in place; the copy therefore reads stable bytes, although sessions keep
 * appending v+1 records after finalAddress (in the last page too: those bytes are zeroed in the
 * copy). Called unprotected; copies from frames happen under protection, one page at a time,
 * and a page evicted meanwhile is read back from the main log (it was flushed before it left).
 */
import type { HybridLog } from '../log/hybrid-log.js';
import type { Storage } from '../storage/storage.js';
import { fillChecksums } from '../store/flush-checksums.js';
import type { StoreContext } from '../store/store-context.js';
import { alignedPage, clearDirty, copyPage } from './page-copy.js';
import { SnapshotWriter } from './snapshot-file.js';

/** Writes in flight while copying a snapshot (each with its own page buffer). */
const SNAPSHOT_WRITES_IN_FLIGHT = 4;

/** Fold-over: the main log holds every record below `final`, durably. */
export async function foldOver(log: HybridLog, final: number): Promise<void> {
  log.shiftReadOnlyToTail();
  await log.flushUntilAsync(final);
  await log.device.sync();
}

export interface SnapshotResult {
  /** First address recovery takes from the snapshot (a page start). */
  readonly snapshotStart: number;
}

/** Snapshot: pages [page(FlushedUntil), page(final - 1)] to `checkpoints/<token>/snapshot`. */
export async function writeSnapshot(ctx: StoreContext, storage: Storage, token: string,
  final: number, segmentBytes: number): Promise<SnapshotResult> {
  const log = ctx.log;
  const { geometry } = log;
  const firstPage = geometry.pageOf(log.flushedUntilAddress);
  const snapshotStart = Math.min(geometry.pageStart(firstPage), final);
  const pageCount = final > snapshotStart ? geometry.pageOf(final - 1) - firstPage + 1 : 0;
  await log.device.sync();
  const writer = new SnapshotWriter(storage, {
    token, firstPage, pageCount, pageBytes: log.pageBytes, finalAddress: final,
  }, segmentBytes, log.device.sectorBytes, (d, s) => ctx.binding.crc32c(d, s));
  try {
    const buffers = Array.from({ length: Math.min(pageCount, SNAPSHOT_WRITES_IN_FLIGHT) },
      () => alignedPage(ctx));
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < pageCount; i++) {
      const slot = i % SNAPSHOT_WRITES_IN_FLIGHT;
      if (inFlight[slot] !== undefined) await inFlight[slot];
      const image = buffers[slot]!;
      copyPage(log, firstPage + i, image);
      clearDirty(ctx, firstPage + i, final);
      finishImage(ctx, image, geometry.pageStart(firstPage + i), final);
      inFlight[slot] = writer.writePage(i, image);
    }
    await Promise.all(inFlight);
    await writer.finish();
  } finally {
    writer.close();
  }
  return { snapshotStart };
}

/** Zeroes bytes at and after `final` and fills the record checksums of one page image. */
export function finishImage(ctx: StoreContext, image: Uint8Array, pageStart: number,
  final: number): void {
  const end = Math.min(Math.max(final - pageStart, 0), image.length);
  image.fill(0, end);
  fillChecksums(ctx, image, pageStart, 0, end);
}
