/**
 * Where recovery takes the log pages at and after a checkpoint's snapshotStart (log-replay.ts):
 * nowhere for fold-over (the main log holds everything up to finalAddress); the snapshot file
 * for a snapshot; for an incremental snapshot, the base snapshot's page (zeros past its end)
 * overlaid with the records of every delta of the chain in order, the last write of an address
 * winning. Delta records below snapshotStart are ignored: the main log holds those pages whole.
 * Every byte handed out has been verified (snapshot page CRCs, delta file CRCs). Snapshot pages
 * are read asynchronously, so recovery reads ahead of its replay (page-reads.ts).
 */
import type { CheckpointMetadata } from '../checkpoint/checkpoint-metadata.js';
import { decodeDelta, type Delta } from '../checkpoint/delta-file.js';
import { deltaName } from '../checkpoint/naming.js';
import { SnapshotReader } from '../checkpoint/snapshot-file.js';
import { corruption } from '../errors.js';
import type { Storage } from '../storage/storage.js';
import type { PageSource } from './log-replay.js';

type Crc = (data: Uint8Array, seed: number) => number;

export interface OpenPageSource {
  readonly source: PageSource;
  /** Reads and verifies the chain's delta files; REQUIRES: before the first overlayDeltas. */
  loadDeltas(): void;
  close(): void;
}

/** The first address a checkpoint's log range takes from its snapshot; finalAddress if none. */
export function sourceSnapshotStart(meta: CheckpointMetadata): number {
  return meta.snapshot ? meta.snapshotStart : meta.finalAddress;
}

/**
 * Opens the snapshot of `meta` (reading and verifying its header) when it has one. The delta
 * files of an incremental chain are read by `loadDeltas`, so that a caller can start reading
 * pages first.
 */
export function pageSource(storage: Storage, meta: CheckpointMetadata, sectorBytes: number,
  crc32c: Crc): OpenPageSource {
  if (!meta.snapshot) {
    return {
      source: {
        snapshotStart: sourceSnapshotStart(meta), readSnapshotPage: () => Promise.resolve(),
        overlayDeltas: () => undefined,
      },
      loadDeltas: () => undefined,
      close: () => undefined,
    };
  }
  const baseToken = meta.incremental ? meta.baseToken : meta.token;
  const reader = new SnapshotReader(storage, baseToken, meta.segmentBytes, sectorBytes, crc32c);
  try {
    const { layout } = reader;
    const matches = layout.pageBytes === meta.pageBytes && (meta.incremental ||
      (layout.finalAddress === meta.finalAddress && (layout.pageCount === 0 ||
        layout.firstPage * meta.pageBytes === meta.snapshotStart)));
    if (!matches) {
      throw corruption(`checkpoints/${baseToken}/snapshot.0`, 0,
        `snapshot does not match the metadata of checkpoint ${meta.token}`);
    }
  } catch (err) {
    reader.close();
    throw err;
  }
  const { layout } = reader;
  let overlay: { deltas: Delta[]; byPage: Map<number, number[]> } | undefined;
  const pageBytes = meta.pageBytes;
  const readSnapshotPage = async (page: number, dst: Uint8Array): Promise<void> => {
    const i = page - layout.firstPage;
    if (i >= 0 && i < layout.pageCount) await reader.readPageAsync(i, dst);
    else dst.fill(0);
  };
  const overlayDeltas = (page: number, dst: Uint8Array): void => {
    const entries = overlay?.byPage.get(page);
    if (entries === undefined) return;
    for (let k = 0; k < entries.length; k += 2) {
      const d = overlay!.deltas[entries[k]!]!;
      const e = entries[k + 1]!;
      const at = d.recordAt[e]!;
      dst.set(d.bytes.subarray(at, at + d.lengths[e]!), d.addresses[e]! - page * pageBytes);
    }
  };
  return {
    source: { snapshotStart: meta.snapshotStart, readSnapshotPage, overlayDeltas },
    loadDeltas: () => {
      if (meta.incremental) overlay = loadDeltas(storage, meta, crc32c);
    },
    close: () => reader.close(),
  };
}

/**
 * The delta records of the chain at or after snapshotStart, by page, in chain order: for each
 * page, pairs (index into `deltas`, entry number).
 */
function loadDeltas(storage: Storage, meta: CheckpointMetadata, crc32c: Crc):
  { deltas: Delta[]; byPage: Map<number, number[]> } {
  const deltas: Delta[] = [];
  const byPage = new Map<number, number[]>();
  for (const token of meta.deltaTokens) {
    const name = deltaName(token);
    const bytes = storage.readFile(name);
    if (bytes === undefined) throw corruption(name, 0, 'delta file missing');
    const delta = decodeDelta(bytes, name, token, meta.pageBytes, crc32c);
    if (delta.finalAddress > meta.finalAddress) {
      throw corruption(name, 48, `delta ends after checkpoint ${meta.token}`);
    }
    const d = deltas.push(delta) - 1;
    let page = -1;
    let list: number[] | undefined;
    for (let e = 0; e < delta.count; e++) {
      const address = delta.addresses[e]!;
      if (address < meta.snapshotStart) continue;
      const p = Math.floor(address / meta.pageBytes);
      if (p !== page) {
        page = p;
        list = byPage.get(p);
        if (list === undefined) byPage.set(p, list = []);
      }
      list!.push(d, e);
    }
  }
  return { deltas, byPage };
}
