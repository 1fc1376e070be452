/**
 * Twin of native/core/record_checksums.cc: the record checksums of a whole page image in one
 * call (NativeBinding.pageChecksums). Same walk, same checksums, same result encoding.
 */
import { FIRST_VALID_ADDRESS } from '../log/address.js';
import { invalidArgument } from '../errors.js';
import {
  OFFSET_CRC, readU32, recordChecksum, recordSizeAt, writeU32,
} from '../record/record-layout.js';
import { checkBoolean, checkBytes, checkOffset } from './args.js';

/** Walk ends, as encoded in the result (offset * 4 + how). */
const END = 0;
const PADDING = 1;
const BAD_LENGTH = 2;
const MISMATCH = 3;

export function pageChecksums(page: Uint8Array, pageStart: number, from: number, to: number,
  verify: boolean): number {
  checkBytes('page', page);
  checkOffset('pageStart', pageStart);
  checkOffset('from', from);
  checkOffset('to', to);
  checkBoolean('verify', verify);
  if (to > page.length) throw invalidArgument('to', "at most the page's length", to);
  let off = Math.max(from, FIRST_VALID_ADDRESS - pageStart, 0);
  while (off + 8 <= to) {
    if (readU32(page, off) === 0 && readU32(page, off + 4) === 0) return off * 4 + PADDING;
    const size = off + 24 <= page.length ? recordSizeAt(page, off) : 0;
    if (size < 24 || off + size > page.length) return off * 4 + BAD_LENGTH;
    const crc = recordChecksum(page, off, size);
    if (!verify) writeU32(page, off + OFFSET_CRC, crc);
    else if (readU32(page, off + OFFSET_CRC) !== crc) return off * 4 + MISMATCH;
    off += size;
  }
  return off * 4 + END;
}
