/**
 * Log replay (digest §8.1 step 8): rebuilds the hash index over the log range
 * [recoverFrom, finalAddress) of a checkpoint, page by page, in address order.
 *
 * For each Valid record (Sealed or not: a copy-update by one of several threads seals its
 * source, and that copy may be one this replay undoes): if it is marked InNewVersion and lies at or after the checkpoint's
 * startAddress, it belongs to version v+1 and is undone — marked invalid, and its hash slot
 * pointed back at its previous address when that lies below recoverFrom (a previous address at
 * or above recoverFrom was replayed already and holds the slot). Every other record is redone:
 * its slot points at it. Records below recoverFrom are covered by the loaded index image.
 *
 * Sources: the main log below the checkpoint's snapshotStart (for fold-over, up to
 * finalAddress), the snapshot file from there on. Pages from the snapshot are written into the
 * main log (the recovered store continues from them), and main-log pages with undone records
 * are written back, so a later checkpoint that replays this range again does not redo a v+1
 * record. The main log is synced at the end. Pages are read ahead (page-reads.ts): the next
 * pages' reads and the previous pages' write-backs run on the I/O threads while a page is
 * replayed here. Rewriting bytes that a checkpoint trusts is safe:
 * the bytes other than the Valid and Sealed bits are rewritten unchanged, so a torn write of
 * them leaves the old or the new state, and recovery is idempotent.
 *
 * Every record replayed is verified against its CRC32C; inside [recoverFrom, finalAddress)
 * records are contiguous except for zero padding at a page's end, so a zero header before the
 * last page's end, non-zero bytes after padding, or a record running past finalAddress is
 * ERR_CORRUPTION naming the segment file and offset.
 *
 * Two walks do this. The engine's (NativeBinding.indexReplayPage, one call per page) verifies
 * and replays the records of a well-formed page; it stops at the first record it cannot judge
 * alone (damage, or an index request it cannot serve), and `referenceReplay` below, the record
 * by record definition of all of the above, takes the page over from that record, so the
 * errors and their order are those of checking record by record. NEEDS_MEMORY is served here
 * (the arena grows) and the engine's walk resumes.
 * Thread rules: single-threaded, before the store is published.
 */
import type { Device } from '../device/device.js';
import { corruption } from '../errors.js';
import { keyHashAt } from '../fallback/key-hash.js';
import type { HashIndex } from '../index/hash-index.js';
import type { NativeBinding, ReplayAddresses } from '../native.js';
import { FIRST_VALID_ADDRESS } from '../log/address.js';
import {
  HI_IN_NEW_VERSION, HI_SEALED, HI_VALID, previousAddressOf,
} from '../record/record-info.js';
import {
  OFFSET_CRC, OFFSET_KEY_BYTES, RECORD_HEADER_BYTES, readU32, recordChecksum, recordSizeAt,
  writeU32,
} from '../record/record-layout.js';
import { decodeWalk } from '../record/record-walk.js';
import type { CheckpointMetadata } from '../checkpoint/checkpoint-metadata.js';
import type { PageReads } from './page-reads.js';

type CrcRange = (data: Uint8Array, start: number, end: number, seed: number) => number;

/** Where page images come from at and after snapshotStart (page-source.ts). */
export interface PageSource {
  /** First address the snapshot provides (a page start); finalAddress when none. */
  readonly snapshotStart: number;
  /** Reads the snapshot's image of `page` into `dst` and verifies it. */
  readSnapshotPage(page: number, dst: Uint8Array): Promise<void>;
  /** Lays what the incremental chain changed in `page` over its image in `dst`. */
  overlayDeltas(page: number, dst: Uint8Array): void;
}

export interface ReplayInput {
  readonly meta: CheckpointMetadata;
  readonly device: Device;
  readonly index: HashIndex;
  readonly recoverFrom: number;
  readonly source: PageSource;
  readonly crc: CrcRange;
  /** The engine's NativeBinding.pageChecksums. */
  readonly pageChecksums: (page: Uint8Array, pageStart: number, from: number, to: number,
    verify: boolean) => number;
  /** The engine's NativeBinding.indexReplayPage. */
  readonly indexReplayPage: NativeBinding['indexReplayPage'];
  /** The pages of `replayRange(meta, recoverFrom, source.snapshotStart)`, being read. */
  readonly reads: PageReads;
}

/** The pages a replay reads: from the page of min(recoverFrom, snapshotStart) to the final. */
export function replayRange(meta: CheckpointMetadata, recoverFrom: number,
  snapshotStart: number): { firstPage: number; pageCount: number } {
  const firstPage = Math.floor(Math.min(recoverFrom, snapshotStart) / meta.pageBytes);
  const endPage = Math.ceil(meta.finalAddress / meta.pageBytes);
  return { firstPage, pageCount: Math.max(0, endPage - firstPage) };
}

/**
 * Replays the checkpoint's log range; returns the bytes of log replayed. On an error, returns
 * (rejects) only once no read or write of `input.reads` is in flight.
 */
export async function replayLog(input: ReplayInput): Promise<number> {
  const { meta, device, source, reads } = input;
  const pageBytes = meta.pageBytes;
  const final = meta.finalAddress;
  const walk: EngineWalk = {
    arena: new Uint8Array(input.index.memory),
    addresses: {
      recoverFrom: input.recoverFrom, startAddress: meta.startAddress,
      beginAddress: meta.beginAddress,
    },
  };
  try {
    for (let i = 0; i < reads.pageCount; i++) {
      const pageStart = (reads.firstPage + i) * pageBytes;
      const buf = await reads.take(i);
      const fromSnapshot = pageStart >= source.snapshotStart;
      if (fromSnapshot) source.overlayDeltas(pageStart / pageBytes, buf);
      const to = Math.min(final - pageStart, pageBytes);
      buf.fill(0, to);
      const from = Math.max(input.recoverFrom, pageStart, FIRST_VALID_ADDRESS) - pageStart;
      const changed = from < to && replayPage(input, walk, buf, pageStart, from, to);
      const sector = device.sectorBytes;
      reads.release(i, fromSnapshot || changed ? Math.ceil(to / sector) * sector : 0);
    }
  } catch (err) {
    throw (await reads.settle()) ?? err;
  }
  const writeError = await reads.settle();
  if (writeError !== undefined) throw writeError;
  await device.sync();
  return Math.max(0, final - input.recoverFrom);
}

/** What the engine's walk needs besides the page: the arena and the checkpoint's addresses. */
interface EngineWalk {
  readonly arena: Uint8Array;
  readonly addresses: ReplayAddresses;
}

/** How an engine indexReplayPage walk ended (NativeBinding.indexReplayPage). */
export interface ReplayEnd {
  readonly how: 'done' | 'stopped' | 'needs-split' | 'needs-memory' | 'corrupt';
  readonly offset: number;
  /** The walk wrote the page (cleared Valid or Sealed on a record). */
  readonly changed: boolean;
}

const REPLAY_HOWS = ['done', 'stopped', 'needs-split', 'needs-memory', 'corrupt'] as const;

/** Decodes the result of NativeBinding.indexReplayPage (offset * 16 + how * 2 + changed). */
export function decodeReplay(result: number): ReplayEnd {
  return {
    how: REPLAY_HOWS[Math.floor(result / 2) % 8]!, offset: Math.floor(result / 16),
    changed: result % 2 === 1,
  };
}

/**
 * Replays records at page offsets [from, to) with the engine's walk, handing the page to the
 * reference walk from the first record the engine stopped at; true when a record was undone
 * or unsealed (the page changed).
 */
function replayPage(input: ReplayInput, walk: EngineWalk, buf: Uint8Array, pageStart: number,
  from: number, to: number): boolean {
  let changed = false;
  let off = from;
  let grownAt = -1;
  for (;;) {
    const end = decodeReplay(input.indexReplayPage(walk.arena, buf, pageStart, off, to,
      walk.addresses));
    changed ||= end.changed;
    if (end.how === 'done') return changed;
    off = end.offset;
    if (end.how !== 'needs-memory' || grownAt === off) break;
    // The arena grows (by doubling) and the walk resumes at the record that needed it; a
    // second request at the same record goes to the reference, whose façade call reports why.
    input.index.maintain();
    grownAt = off;
  }
  return referenceReplay(input, buf, pageStart, off, to) || changed;
}

/**
 * The reference walk: replays records at page offsets [from, to) one at a time through the
 * HashIndex façade, checking everything the header describes; true when it undid or unsealed
 * one (the page changed).
 */
function referenceReplay(input: ReplayInput, buf: Uint8Array, pageStart: number, from: number,
  to: number): boolean {
  const { meta, crc } = input;
  // Records before where the engine's verifying walk stopped have matching checksums.
  const verifiedUntil = decodeWalk(input.pageChecksums(buf, pageStart, from, to, true)).offset;
  let changed = false;
  let off = from;
  while (off < to) {
    const lo = readU32(buf, off);
    const hi = readU32(buf, off + 4);
    if (lo === 0 && hi === 0) {
      checkPadding(input, buf, pageStart, off, to);
      return changed;
    }
    const size = off + RECORD_HEADER_BYTES <= to ? recordSizeAt(buf, off) : Infinity;
    if (off + size > to) throw damaged(input, pageStart + off, 'record runs past the end');
    if (off >= verifiedUntil &&
        recordChecksum(buf, off, size, crc) !== readU32(buf, off + OFFSET_CRC)) {
      throw damaged(input, pageStart + off, 'record checksum mismatch');
    }
    if ((hi & HI_VALID) !== 0) {
      const address = pageStart + off;
      const keyBytes = readU32(buf, off + OFFSET_KEY_BYTES);
      const keyAt = off + RECORD_HEADER_BYTES;
      const slot = input.index.findOrCreateTag(keyHashAt(buf, keyAt, keyAt + keyBytes),
        meta.beginAddress);
      if ((hi & HI_IN_NEW_VERSION) !== 0 && address >= meta.startAddress) {
        writeU32(buf, off + 4, (hi & ~HI_VALID) | HI_SEALED);
        changed = true;
        const prev = previousAddressOf(lo, hi);
        if (prev < input.recoverFrom) setEntry(input.index, slot, prev);
      } else {
        // Sealed only says a copy superseded it while threads shared the store; the copy is
        // replayed after it (or undone), so the record counts, and is unsealed for readers.
        if ((hi & HI_SEALED) !== 0) {
          writeU32(buf, off + 4, hi & ~HI_SEALED);
          changed = true;
        }
        setEntry(input.index, slot, address);
      }
    }
    off += size;
  }
  return changed;
}

/** A zero header: legal only as padding that runs to the end of a page before the last. */
function checkPadding(input: ReplayInput, buf: Uint8Array, pageStart: number, off: number,
  to: number): void {
  if (to < buf.length && pageStart + to === input.meta.finalAddress) {
    throw damaged(input, pageStart + off, 'zero bytes where records should be');
  }
  for (let i = off; i < to; i++) {
    if (buf[i] !== 0) throw damaged(input, pageStart + i, 'bytes after page padding');
  }
}

function setEntry(index: HashIndex, slot: number, address: number): void {
  const current = index.readEntry(slot);
  if (address < FIRST_VALID_ADDRESS) {
    index.clearIfAddress(slot, current);
  } else if (current !== address) {
    index.casEntryAddress(slot, current, address);
  }
}

function damaged(input: ReplayInput, address: number, what: string) {
  const fromSnapshot = address >= input.source.snapshotStart;
  const segmentBytes = input.meta.segmentBytes;
  const path = fromSnapshot
    ? `snapshot of checkpoint ${input.meta.token}, log address ${address}`
    : `${input.device.name}.${Math.floor(address / segmentBytes)}`;
  return corruption(path, fromSnapshot ? address : address % segmentBytes, what);
}
