/**
 * Commit records (format version 1): what one FasterLog commit makes durable. The same bytes
 * are the payload of a commit-record entry in the log (fast-commit mode) and the body of a
 * commit-metadata record (commit-store.ts), so a record's checksum identifies it wherever it
 * lies.
 *
 *   offset size field
 *    0     4   magic "FLCR" (0x52434c46 LE)
 *    4     2   format version (1)
 *    6     2   flags: bit 0 ANCHOR (written at open over the recovered state, not a commit)
 *    8     4   length of the record in bytes
 *   12     4   checksum: CRC32C of bytes [0, 12) followed by bytes [16, length)
 *   16     8   commit number
 *   24     8   begin address
 *   32     8   until address (committed-until: every entry below it is committed)
 *   40     8   previous until address (where the previous commit ended)
 *   48     4   previous checksum (the record this one follows; 0 for the first)
 *   52     4   writer nonce (random per writer open)
 *   56     8   time (milliseconds since 1970)
 *   64     4   named iterator count n
 *   68     4   cookie length (0xffffffff: no cookie)
 *   72     1   log2(page size)     the log's geometry, fixed when it is created
 *   73     1   log2(segment size)
 *   74     6   reserved, zero
 *   80     ..  n x { u64 completed-until address, u16 name length, UTF-8 name }
 *          ..  cookie bytes
 * Integers are little-endian; u64 values are below 2^53.
 *
 * The chain: each record names the checksum of the record it follows. Recovery accepts a
 * commit record found in the log only if it follows the last accepted one, so stale records
 * left past the tail by an earlier life (a torn tail, a recovery to an older commit) can never
 * be taken for new ones: every writer open starts the chain afresh from an ANCHOR record whose
 * nonce and time make its checksum unique.
 * Assertions pair around persistence: `encodeCommitRecord` asserts its fields, and
 * `decodeCommitRecord` re-checks the same invariants after the checksum matched.
 */
import { assert, FasterError } from '../errors.js';
import type { NativeBinding } from '../native.js';
import { crc32cRange, readU32, writeU32 } from './log-entry.js';

export const COMMIT_RECORD_MAGIC = 0x52434c46;
export const COMMIT_RECORD_VERSION = 1;
export const COMMIT_HEADER_BYTES = 80;
const FLAG_ANCHOR = 1;
const NO_COOKIE = 0xffffffff;
const TWO_32 = 2 ** 32;
/** Limits that keep a commit record within 16 KiB (and so within a ring slot). */
export const MAX_ITERATOR_NAME_BYTES = 128;
export const MAX_ITERATORS = 64;
export const MAX_COOKIE_BYTES = 4096;

export interface CommitRecord {
  readonly commitNumber: number;
  readonly beginAddress: number;
  readonly untilAddress: number;
  readonly previousUntilAddress: number;
  readonly previousChecksum: number;
  readonly writerNonce: number;
  readonly timeMs: number;
  readonly anchor: boolean;
  /** Named iterators and their completed-until addresses. */
  readonly iterators: ReadonlyMap<string, number>;
  readonly cookie: Uint8Array | undefined;
  readonly pageBytes: number;
  readonly segmentBytes: number;
}

/** A decoded record with its identity in the chain. */
export interface DecodedCommit extends CommitRecord {
  readonly checksum: number;
  readonly length: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
/** UTF-8 of recently encoded iterator names: every commit encodes the same few names. */
const encodedNames = new Map<string, Uint8Array>();

function utf8(name: string): Uint8Array {
  let bytes = encodedNames.get(name);
  if (bytes === undefined) {
    if (encodedNames.size >= 4 * MAX_ITERATORS) encodedNames.clear();
    bytes = encoder.encode(name);
    encodedNames.set(name, bytes);
  }
  return bytes;
}

/** Bytes `record` encodes to. */
export function commitRecordLength(iterators: ReadonlyMap<string, number>,
  cookie: Uint8Array | undefined): number {
  let length = COMMIT_HEADER_BYTES + (cookie?.length ?? 0);
  for (const name of iterators.keys()) length += 10 + utf8(name).length;
  return length;
}

/** Encodes `record` at `at` of `target`; returns the record's checksum. */
export function encodeCommitRecord(binding: NativeBinding, record: CommitRecord,
  target: Uint8Array, at: number): number {
  const length = commitRecordLength(record.iterators, record.cookie);
  assert(record.beginAddress <= record.untilAddress &&
    record.previousUntilAddress <= record.untilAddress, 'commit record addresses out of order');
  assert(record.iterators.size <= MAX_ITERATORS && (record.cookie?.length ?? 0) <=
    MAX_COOKIE_BYTES, 'commit record beyond its limits');
  assert(at + length <= target.length, 'commit record does not fit its target');
  const pageBits = Math.log2(record.pageBytes);
  const segmentBits = Math.log2(record.segmentBytes);
  assert(Number.isInteger(pageBits) && Number.isInteger(segmentBits) &&
    pageBits <= segmentBits, 'commit record geometry');
  const view = scratchView(length);
  view.setUint32(0, COMMIT_RECORD_MAGIC, true);
  view.setUint32(4, COMMIT_RECORD_VERSION | ((record.anchor ? FLAG_ANCHOR : 0) << 16), true);
  view.setUint32(8, length, true);
  setU64(view, 16, record.commitNumber);
  setU64(view, 24, record.beginAddress);
  setU64(view, 32, record.untilAddress);
  setU64(view, 40, record.previousUntilAddress);
  view.setUint32(48, record.previousChecksum, true);
  view.setUint32(52, record.writerNonce, true);
  setU64(view, 56, record.timeMs);
  view.setUint32(64, record.iterators.size, true);
  view.setUint32(68, record.cookie === undefined ? NO_COOKIE : record.cookie.length, true);
  view.setUint32(72, pageBits | (segmentBits << 8), true);
  view.setUint32(76, 0, true);
  const bytes = scratch;
  let p = COMMIT_HEADER_BYTES;
  for (const [name, address] of record.iterators) {
    const name8 = utf8(name);
    assert(name8.length > 0 && name8.length <= MAX_ITERATOR_NAME_BYTES, 'bad iterator name');
    setU64(view, p, address);
    view.setUint16(p + 8, name8.length, true);
    bytes.set(name8, p + 10);
    p += 10 + name8.length;
  }
  if (record.cookie !== undefined) bytes.set(record.cookie, p);
  const checksum = recordChecksum(binding, bytes, 0, length);
  view.setUint32(12, checksum, true);
  target.set(length === bytes.length ? bytes : bytes.subarray(0, length), at);
  return checksum;
}

/** A record is built in a private scratch (DataView stores, one copy into the target). */
let scratch = new Uint8Array(1024);
let scratchDataView = new DataView(scratch.buffer);

function scratchView(length: number): DataView {
  if (scratch.length < length) {
    scratch = new Uint8Array(Math.max(length, 2 * scratch.length));
    scratchDataView = new DataView(scratch.buffer);
  }
  return scratchDataView;
}

function setU64(view: DataView, at: number, value: number): void {
  view.setUint32(at, value % TWO_32, true);
  view.setUint32(at + 4, Math.floor(value / TWO_32), true);
}

/**
 * Decodes the record at `at` of `bytes` (whose valid bytes end at `limit`). Returns the record,
 * or a string saying why the bytes are not a valid record. A valid record of a newer format
 * version throws ERR_FORMAT_VERSION naming `where`.
 */
export function decodeCommitRecord(binding: NativeBinding, bytes: Uint8Array, at: number,
  limit: number, where: string): DecodedCommit | string {
  if (at + COMMIT_HEADER_BYTES > limit) return 'truncated header';
  if (readU32(bytes, at) !== COMMIT_RECORD_MAGIC) return 'bad magic';
  const length = readU32(bytes, at + 8);
  if (length < COMMIT_HEADER_BYTES || at + length > limit) return `bad length ${length}`;
  const checksum = readU32(bytes, at + 12);
  if (recordChecksum(binding, bytes, at, length) !== checksum) return 'checksum mismatch';
  const version = bytes[at + 4]! | (bytes[at + 5]! << 8);
  if (version !== COMMIT_RECORD_VERSION) {
    throw new FasterError('ERR_FORMAT_VERSION', `${where} holds a commit record of format ` +
      `version ${version}; this version reads version ${COMMIT_RECORD_VERSION}`);
  }
  return decodeBody(bytes, at, length, checksum);
}

function decodeBody(bytes: Uint8Array, at: number, length: number,
  checksum: number): DecodedCommit | string {
  const count = readU32(bytes, at + 64);
  const cookieLength = readU32(bytes, at + 68);
  const iterators = new Map<string, number>();
  let p = at + COMMIT_HEADER_BYTES;
  const end = at + length;
  for (let i = 0; i < count; i++) {
    if (p + 10 > end) return 'iterators run past the record';
    const nameLength = bytes[p + 8]! | (bytes[p + 9]! << 8);
    if (p + 10 + nameLength > end) return 'iterator name runs past the record';
    let name: string;
    try {
      name = decoder.decode(bytes.subarray(p + 10, p + 10 + nameLength));
    } catch {
      return 'iterator name is not UTF-8';
    }
    iterators.set(name, readU64(bytes, p));
    p += 10 + nameLength;
  }
  let cookie: Uint8Array | undefined;
  if (cookieLength !== NO_COOKIE) {
    if (p + cookieLength !== end) return 'cookie does not end the record';
    cookie = bytes.slice(p, end);
  } else if (p !== end) {
    return 'bytes after the last field';
  }
  const record: DecodedCommit = {
    commitNumber: readU64(bytes, at + 16), beginAddress: readU64(bytes, at + 24),
    untilAddress: readU64(bytes, at + 32), previousUntilAddress: readU64(bytes, at + 40),
    previousChecksum: readU32(bytes, at + 48), writerNonce: readU32(bytes, at + 52),
    timeMs: readU64(bytes, at + 56), anchor: (bytes[at + 6]! & FLAG_ANCHOR) !== 0,
    iterators, cookie, pageBytes: 2 ** bytes[at + 72]!, segmentBytes: 2 ** bytes[at + 73]!,
    checksum, length,
  };
  if (!(record.pageBytes <= record.segmentBytes && record.segmentBytes <= 2 ** 40)) {
    return 'bad geometry';
  }
  if (!(record.beginAddress <= record.untilAddress &&
      record.previousUntilAddress <= record.untilAddress)) {
    return 'addresses out of order';
  }
  return record;
}

function recordChecksum(binding: NativeBinding, bytes: Uint8Array, at: number,
  length: number): number {
  const crc = crc32cRange(binding, bytes, at, at + 12, 0);
  return crc32cRange(binding, bytes, at + 16, at + length, crc);
}

export function writeU64(bytes: Uint8Array, at: number, value: number): void {
  writeU32(bytes, at, value % TWO_32);
  writeU32(bytes, at + 4, Math.floor(value / TWO_32));
}

export function readU64(bytes: Uint8Array, at: number): number {
  return readU32(bytes, at + 4) * TWO_32 + readU32(bytes, at);
}
