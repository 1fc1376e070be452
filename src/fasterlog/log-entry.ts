/**
 * FasterLog entry format (version 1). Every byte of the log from BeginAddress to the tail
 * belongs to exactly one entry; entries start at multiples of 8 and never cross a page.
 *
 *   0            4            8                          8 + length       align 8
 *   +------------+------------+--------------------------+----------------+
 *   | checksum   | word       | payload (length bytes)   | zeros          |
 *   +------------+------------+--------------------------+----------------+
 *
 *   word (u32 LE):  bits 0-27  payload length (pages are at most 32 MiB)
 *                   bits 28    reserved, zero
 *                   bit  29    PAYLOAD_CHECKED: the checksum covers the payload
 *                   bits 30-31 kind: 1 data, 2 padding, 3 commit record
 *   checksum (u32 LE): CRC32C of the word's 4 bytes followed by the payload when
 *                   PAYLOAD_CHECKED is set, else of the word's 4 bytes alone.
 *
 * Kinds (persisted: never renumber; 0 stays invalid):
 *   - data: a user entry. With `checksum: 'crc32c'` (the default) the payload is checked.
 *   - padding: fills the rest of a page when the next entry does not fit (payload zeros).
 *     Padding is explicit so that a zero word always means "nothing was written here": a
 *     torn write that left a hole can never pass for the end of a page.
 *   - commit record (fast-commit mode): the payload is a commit record (commit-metadata.ts);
 *     always PAYLOAD_CHECKED; iterators never return it.
 *
 * Validation (`checkEntry`) needs only the page image: a zero word is END (no entry), a word
 * with an unknown kind or reserved bit, a length running past the page end, or a checksum
 * mismatch is CORRUPT.
 * Thread rules: pure functions over caller-owned bytes; one scratch per module (JS thread).
 */
import { crc32c as crc32cJs } from '../fallback/crc32c.js';
import type { NativeBinding } from '../native.js';

export const ENTRY_HEADER_BYTES = 8;
export const ENTRY_ALIGNMENT = 8;
export const KIND_DATA = 1;
export const KIND_PADDING = 2;
export const KIND_COMMIT = 3;
export const MAX_ENTRY_LENGTH = (1 << 28) - 1;

const LENGTH_MASK = 0x0fff_ffff;
const RESERVED_BIT = 0x1000_0000;
const PAYLOAD_CHECKED = 0x2000_0000;
const KIND_SHIFT = 30;

/**
 * Below this many bytes, CRC32C in TypeScript beats a call into the binding (whose fixed cost
 * is a few hundred nanoseconds); both give the same value, so the engines still agree.
 */
const SMALL_CRC_BYTES = 256;

/** CRC32C of bytes [start, end) of `bytes` continuing from `crc` (no subarray when small). */
export function crc32cRange(binding: NativeBinding, bytes: Uint8Array, start: number,
  end: number, crc: number): number {
  if (end - start <= SMALL_CRC_BYTES) return crc32cJs(bytes, crc, start, end);
  return binding.crc32c(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end),
    crc);
}

/** The checksum of an entry: CRC32C of its word's 4 bytes, then of the payload if checked. */
export function entryChecksum(binding: NativeBinding, word: number, payload: Uint8Array,
  start: number, end: number): number {
  const crc = wordChecksum(word);
  return end > start ? crc32cRange(binding, payload, start, end, crc) : crc;
}

/**
 * CRC32C of a word's 4 bytes. The last data word and the last other word are remembered:
 * data entries of one size (the common case) share their word, and commit records come
 * between them, so appends mostly skip this.
 */
function wordChecksum(word: number): number {
  const slot = word >>> KIND_SHIFT === KIND_DATA ? 0 : 1;
  if (cachedWords[slot] === word) return cachedCrcs[slot]!;
  writeU32(wordScratch, 0, word);
  const crc = crc32cJs(wordScratch, 0, 0, 4);
  cachedWords[slot] = word;
  cachedCrcs[slot] = crc;
  return crc;
}

/** Below this many bytes, zeroBytes stores byte by byte. */
const WORD_FILL_BYTES = 64;

/**
 * Zeroes bytes [from, to) of `bytes`, four at a time where aligned: a byte-wise `fill` of
 * shared memory (the log's frames) runs about eight times slower than a word-wise one.
 * `words`, if given, is an Int32Array over all of `bytes.buffer` (kept by callers that zero
 * the same frames often, to save making one per call).
 */
export function zeroBytes(bytes: Uint8Array, from: number, to: number,
  words?: Int32Array): void {
  if (to - from < WORD_FILL_BYTES) {
    for (let i = from; i < to; i++) bytes[i] = 0;
    return;
  }
  const base = bytes.byteOffset;
  let start = from;
  while (((base + start) & 3) !== 0) bytes[start++] = 0;
  let end = to;
  while (((base + end) & 3) !== 0) bytes[--end] = 0;
  if (words !== undefined) words.fill(0, (base + start) >>> 2, (base + end) >>> 2);
  else new Int32Array(bytes.buffer, base + start, (end - start) >>> 2).fill(0);
}

/** The `words` argument of zeroBytes for `bytes`. */
export function wordsOf(bytes: Uint8Array): Int32Array {
  return new Int32Array(bytes.buffer, 0, bytes.buffer.byteLength >>> 2);
}

/** checkEntry outcomes other than a size. */
export const ENTRY_END = 0;
export const ENTRY_CORRUPT = -1;

const wordScratch = new Uint8Array(4);
/** wordChecksum's memory: [data, other]; -1 (no word) at first. */
const cachedWords = [-1, -1];
const cachedCrcs = [0, 0];

/** Bytes an entry with `length` payload bytes takes in the log. */
export function entrySize(length: number): number {
  return (ENTRY_HEADER_BYTES + length + ENTRY_ALIGNMENT - 1) & ~(ENTRY_ALIGNMENT - 1);
}

export function readU32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) |
    (bytes[at + 3]! << 24)) >>> 0;
}

export function writeU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff;
  bytes[at + 1] = (value >>> 8) & 0xff;
  bytes[at + 2] = (value >>> 16) & 0xff;
  bytes[at + 3] = (value >>> 24) & 0xff;
}

/** The word of an entry of `kind` with `length` payload bytes. */
export function entryWord(kind: number, length: number, payloadChecked: boolean): number {
  return ((kind << KIND_SHIFT) | (payloadChecked ? PAYLOAD_CHECKED : 0) | length) >>> 0;
}

export function wordKind(word: number): number {
  return word >>> KIND_SHIFT;
}

export function wordLength(word: number): number {
  return word & LENGTH_MASK;
}

/**
 * Checks the entry at `offset` of a page image whose valid bytes end at `limit` (at most the
 * page end). Returns its size in the log, ENTRY_END for a zero word, or ENTRY_CORRUPT.
 * `verifyPayload` false skips the payload checksum (bytes copied from memory, known good).
 */
export function checkEntry(binding: NativeBinding, page: Uint8Array, offset: number,
  limit: number, verifyPayload: boolean): number {
  if (offset + ENTRY_HEADER_BYTES > limit) return ENTRY_CORRUPT;
  const word = readU32(page, offset + 4);
  if (word === 0) return ENTRY_END;
  const kind = word >>> KIND_SHIFT;
  if (kind === 0 || (word & RESERVED_BIT) !== 0) return ENTRY_CORRUPT;
  const length = word & LENGTH_MASK;
  const size = entrySize(length);
  if (offset + size > limit) return ENTRY_CORRUPT;
  const checked = (word & PAYLOAD_CHECKED) !== 0;
  if (kind === KIND_COMMIT && !checked) return ENTRY_CORRUPT;
  if (!verifyPayload && kind !== KIND_COMMIT) return size;
  const start = offset + ENTRY_HEADER_BYTES;
  const crc = entryChecksum(binding, word, page, start, checked ? start + length : start);
  return crc === readU32(page, offset) ? size : ENTRY_CORRUPT;
}
