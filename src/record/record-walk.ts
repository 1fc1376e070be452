/**
 * Walking the records of one log page image: from an offset, record after record, until page
 * padding (a zero header word), the end of the range, or a record whose length fields do not
 * fit the page. Used to fill checksums before a flush and to verify pages read from a device.
 * The engine's pageChecksums (NativeBinding) walks the same way and checksums every record of
 * the walk in one call; `decodeWalk` reads its result.
 */
import { FIRST_VALID_ADDRESS } from '../log/address.js';
import { readU32, recordSizeAt } from './record-layout.js';

/** How a walk ended, and the page offset where it stopped. */
export interface WalkEnd {
  /** 'end': reached `to`; 'padding': the rest of the page is padding; 'bad-length': the
   * record at `offset` claims a size that leaves its page (damage). */
  readonly how: 'end' | 'padding' | 'bad-length';
  readonly offset: number;
}

/**
 * Calls `visit(offset, size)` for each record in page offsets [from, to) of the page image
 * `page` that starts at logical address `pageStart`, and says how the walk ended.
 */
export function walkPageRecords(page: Uint8Array, pageStart: number, from: number, to: number,
  visit: (offset: number, size: number) => void): WalkEnd {
  let off = Math.max(from, FIRST_VALID_ADDRESS - pageStart, 0);
  while (off + 8 <= to) {
    if (readU32(page, off) === 0 && readU32(page, off + 4) === 0) {
      return { how: 'padding', offset: off };
    }
    const size = off + 24 <= page.length ? recordSizeAt(page, off) : 0;
    if (size < 24 || off + size > page.length) return { how: 'bad-length', offset: off };
    visit(off, size);
    off += size;
  }
  return { how: 'end', offset: off };
}

/** How an engine pageChecksums walk ended: a WalkEnd, or 'mismatch' at the first record whose
 * stored checksum differs from its bytes (verify mode). */
export interface ChecksumWalkEnd {
  readonly how: WalkEnd['how'] | 'mismatch';
  readonly offset: number;
}

const HOWS = ['end', 'padding', 'bad-length', 'mismatch'] as const;

/** Decodes the result of NativeBinding.pageChecksums (offset * 4 + how). */
export function decodeWalk(result: number): ChecksumWalkEnd {
  return { how: HOWS[result % 4]!, offset: Math.floor(result / 4) };
}
