/**
 * Log page images of FasterKV records for the replay tests (test/unit/recovery): records laid
 * out from an offset, checksums filled in, the rest of the page zero (padding).
 */
import { FIRST_VALID_ADDRESS } from '../../src/log/address.js';
import { selectBinding } from '../../src/native.js';
import { HI_IN_NEW_VERSION, HI_SEALED, HI_VALID, addressHi, addressLo } from
  '../../src/record/record-info.js';
import {
  OFFSET_KEY_BYTES, OFFSET_VALUE_CAPACITY, RECORD_HEADER_BYTES, recordSize, writeU32,
} from '../../src/record/record-layout.js';
import type { Prng } from './prng.js';

export interface RecordSpec {
  readonly key: string;
  /** Flags of the header's high half; default Valid. */
  readonly flags?: number;
  readonly previous?: number;
  readonly valueCapacity?: number;
}

/**
 * A page image of `pageBytes` at log address `pageStart` holding `records` from offset `start`
 * (at least FIRST_VALID_ADDRESS into the log); returns it, each record's offset and where the
 * records end.
 */
export function pageOf(pageStart: number, records: readonly RecordSpec[], start = 0,
  pageBytes = 64 * 1024): { page: Uint8Array; offsets: number[]; end: number } {
  const page = new Uint8Array(pageBytes);
  const offsets: number[] = [];
  let off = Math.max(start, FIRST_VALID_ADDRESS - pageStart);
  for (const r of records) {
    const key = Buffer.from(r.key);
    const capacity = r.valueCapacity ?? 16;
    const size = recordSize(key.length, capacity);
    if (off + size > pageBytes) break;
    const previous = r.previous ?? 0;
    writeU32(page, off, addressLo(previous));
    writeU32(page, off + 4, addressHi(previous) | (r.flags ?? HI_VALID));
    writeU32(page, off + OFFSET_KEY_BYTES, key.length);
    writeU32(page, off + 16, capacity);
    writeU32(page, off + OFFSET_VALUE_CAPACITY, capacity);
    page.set(key, off + RECORD_HEADER_BYTES);
    page.fill(0x5a, off + RECORD_HEADER_BYTES + ((key.length + 7) & ~7), off + size);
    offsets.push(off);
    off += size;
  }
  selectBinding('js').pageChecksums(page, pageStart, offsets[0] ?? 0, off, false);
  return { page, offsets, end: off };
}

/**
 * `count` random records over `keys` keys: mostly Valid, some Sealed, some InNewVersion, with
 * previous addresses below `maxPrevious` (a record without Valid always has one: an all-zero
 * header word would read as padding).
 */
export function randomRecords(prng: Prng, count: number, keys: number, maxPrevious: number):
  RecordSpec[] {
  const records: RecordSpec[] = [];
  for (let i = 0; i < count; i++) {
    const flags = (prng.int(8) > 0 ? HI_VALID : 0) | (prng.int(4) === 0 ? HI_SEALED : 0) |
      (prng.int(3) === 0 ? HI_IN_NEW_VERSION : 0);
    const previous = prng.int(3) === 0 && (flags & HI_VALID) !== 0 ? 0
      : 64 + 8 * prng.int(maxPrevious / 8);
    records.push({ key: `k${prng.int(keys)}`, flags, previous, valueCapacity: 8 * prng.int(12) });
  }
  return records;
}
