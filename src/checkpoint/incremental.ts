/**
 * Incremental snapshots (digest §7.3, §7.5): after a full snapshot (the chain's base), a
 * checkpoint can write only the records that changed since the chain's previous capture — the
 * records with the Dirty bit in [page(FlushedUntil), finalAddress) — into a delta file. Every
 * record is created Dirty and every in-place change sets Dirty (record-memory.ts); a capture,
 * full or incremental, clears it on the records below its finalAddress that it captured.
 *
 * Why that suffices: recovery of delta i takes the main log below its snapshotStart (flushed,
 * synced and immutable before i), and for each page from there on the base snapshot's image
 * (or zeros past it) overlaid with every delta of the chain in order. A record in such a page
 * changed only while in memory, and each change is captured by the first capture after it
 * (that capture's range still covers the page, since FlushedUntilAddress only grows); a record
 * created after the base is captured the same way. Records captured mid-version-switch
 * (InNewVersion in [startAddress, finalAddress)) are undone by the replay, as for a snapshot.
 * A failed capture may have cleared Dirty bits without persisting them: the chain ends there
 * and the next incremental request takes a full snapshot (checkpoint.ts).
 *
 * REQUIRES: as log-checkpoint.ts (phase WAIT_FLUSH, unprotected caller). Pages are walked in
 * their frames under epoch protection; a page evicted meanwhile is read back from the main log.
 */
import { HI_DIRTY } from '../record/record-info.js';
import { readU32 } from '../record/record-layout.js';
import { walkPageRecords } from '../record/record-walk.js';
import type { Storage } from '../storage/storage.js';
import type { StoreContext } from '../store/store-context.js';
import { DeltaWriter } from './delta-file.js';
import type { SnapshotResult } from './log-checkpoint.js';
import { deltaName } from './naming.js';
import { alignedPage, copyChecksummed, copyPage, visitDirty, type Visit } from './page-copy.js';

/** A full snapshot and the incremental checkpoints taken on it since, oldest first. */
export interface SnapshotChain {
  readonly baseToken: string;
  readonly deltaTokens: readonly string[];
}

/** Deltas allowed on one base; the next incremental request then takes a full snapshot. */
export const MAX_DELTAS = 16;

/** Writes `checkpoints/<token>/delta.dat` with the dirty records below `final`. */
export async function writeDelta(ctx: StoreContext, storage: Storage, token: string,
  final: number): Promise<SnapshotResult & { records: number }> {
  const log = ctx.log;
  const { geometry } = log;
  const snapshotStart = Math.min(geometry.pageStart(geometry.pageOf(log.flushedUntilAddress)),
    final);
  await log.device.sync();
  const writer = new DeltaWriter(token, snapshotStart, final);
  const add: Visit = (address, bytes, off, size) =>
    copyChecksummed(ctx, bytes, off, size, writer.reserve(address, size));
  let scratch: Uint8Array | undefined;
  for (let page = geometry.pageOf(snapshotStart); geometry.pageStart(page) < final; page++) {
    if (!visitDirty(ctx, page, final, add)) {
      scratch ??= alignedPage(ctx);
      copyPage(log, page, scratch);
      visitImage(scratch, geometry.pageStart(page), final, add);
    }
  }
  storage.writeFileAtomic(deltaName(token), writer.finish((d, s) => ctx.binding.crc32c(d, s)));
  return { snapshotStart, records: writer.entries };
}

/** The Dirty records of a page image read back from the device. */
function visitImage(image: Uint8Array, pageStart: number, final: number, visit: Visit): void {
  const to = Math.min(final - pageStart, image.length);
  walkPageRecords(image, pageStart, 0, to, (off, size) => {
    if ((readU32(image, off + 4) & HI_DIRTY) !== 0) visit(pageStart + off, image, off, size);
  });
}
