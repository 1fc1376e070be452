/**
 * The FasterKV record: variable-length key and value, 8-byte aligned, never crossing a page.
 * Persisted format (version 1); all integers little-endian.
 *
 *   offset  size   field
 *   0       8      RecordInfo (record-info.ts)
 *   8       4      crc32c      CRC32C of the checksummed header bits and bytes [12, size);
 *                              filled in when the page is flushed, so every copy on a device or
 *                              in a snapshot carries it; 0 in memory before the first flush
 *   12      4      keyBytes    key length
 *   16      4      valueBytes  current value length (<= valueCapacity)
 *   20      4      valueCapacity  bytes reserved for the value, a multiple of 8
 *   24      K      key, zero-padded to K = align8(keyBytes)
 *   24+K    C      value, zero-padded to C = valueCapacity
 *   size = 24 + K + C
 *
 *   +----------+--------+----------+------------+---------------+---------+-----------+
 *   |RecordInfo| crc32c | keyBytes | valueBytes | valueCapacity | key ... | value ... |
 *   +----------+--------+----------+------------+---------------+---------+-----------+
 *    0          8        12         16           20              24
 *
 * The capacity lets an in-place update change a value's length within its allocation (FASTER's
 * "filler"); a value that outgrows it is copied to the tail. A zero word where a record header
 * should be, or a record that would cross the page end, means "padding: next page".
 */
import { crc32c } from '../fallback/crc32c.js';
import { HI_CHECKSUMMED } from './record-info.js';

export const RECORD_HEADER_BYTES = 24;
export const RECORD_ALIGNMENT = 8;
export const OFFSET_INFO = 0;
export const OFFSET_CRC = 8;
export const OFFSET_KEY_BYTES = 12;
export const OFFSET_VALUE_BYTES = 16;
export const OFFSET_VALUE_CAPACITY = 20;

export function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Bytes a record with these lengths occupies. */
export function recordSize(keyBytes: number, valueCapacity: number): number {
  return RECORD_HEADER_BYTES + align8(keyBytes) + valueCapacity;
}

/** Reads a little-endian uint32 from `bytes` at `offset`. */
export function readU32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) |
    (bytes[offset + 3]! << 24)) >>> 0;
}

export function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value;
  bytes[offset + 1] = value >>> 8;
  bytes[offset + 2] = value >>> 16;
  bytes[offset + 3] = value >>> 24;
}

/** Size of the record at `offset`, from its length fields. */
export function recordSizeAt(bytes: Uint8Array, offset: number): number {
  return recordSize(readU32(bytes, offset + OFFSET_KEY_BYTES),
    readU32(bytes, offset + OFFSET_VALUE_CAPACITY));
}

/**
 * The checksum of the record at `offset`: the checksummed bits of the header word, then bytes
 * [12, size). `crc` is the engine's CRC32C (both engines give the same value).
 */
export function recordChecksum(bytes: Uint8Array, offset: number, size: number,
  crc: (data: Uint8Array, start: number, end: number, seed: number) => number = crcRange): number {
  // The 8 header bytes go through the table-driven TS CRC (same values as the engine's): one
  // engine call per record instead of two, and no view allocated for the header.
  const header = HEADER_SCRATCH;
  for (let i = 0; i < 4; i++) header[i] = bytes[offset + i]!;
  writeU32(header, 4, readU32(bytes, offset + 4) & HI_CHECKSUMMED);
  const seed = crc32c(header, 0, 0, 8);
  return crc(bytes, offset + OFFSET_KEY_BYTES, offset + size, seed);
}

const HEADER_SCRATCH = new Uint8Array(8);

function crcRange(data: Uint8Array, start: number, end: number, seed: number): number {
  return crc32c(data, seed, start, end);
}
