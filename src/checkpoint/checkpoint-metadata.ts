/**
 * Checkpoint metadata (`checkpoints/<token>/info.dat`): what one checkpoint holds and what
 * recovery needs (FASTER's HybridLogRecoveryInfo and IndexRecoveryInfo in one file, digest
 * §7.6). Written with Storage.writeFileAtomic only after every file it describes is durable,
 * so a checkpoint whose metadata exists and verifies is complete.
 *
 * Format version 1, little-endian; 8-byte fields hold integers below 2^53:
 *
 *   offset  size  field
 *   0       4     magic 'FKVC' (0x43564B46)
 *   4       4     format version (1)
 *   8       4     total length L
 *   12      4     CRC32C of bytes [0, 12) then [16, L)
 *   16      16    token (UUID bytes)
 *   32      8     sequence: 1 + the highest sequence of the store's earlier checkpoints
 *   40      8     version v: operations of version v are in the checkpoint (log checkpoints);
 *                 the current version for an index-only checkpoint
 *   48      8     createdAt, milliseconds since 1970
 *   56      4     flags: bit 0 log, bit 1 snapshot (else fold-over), bit 2 index, bit 3 incremental
 *   60      4     pageBytes of the log
 *   64      8     segmentBytes of the log's segment files
 *   72      8     beginAddress       log begin when the checkpoint started (PREPARE)
 *   80      8     startAddress       tail at PREPARE: start of the fuzzy region
 *   88      8     finalAddress       tail at WAIT_FLUSH: the log ends here
 *   96      8     snapshotStart      snapshot: first address taken from the snapshot file
 *                                    (a page start); fold-over: finalAddress
 *   104     8     headAddress        HeadAddress at WAIT_FLUSH (informational)
 *   112     8     indexStartAddress  tail before the index dump (replay starts here)
 *   120     8     indexFinalAddress  tail after the index dump
 *   128     8     indexBytes         length of index.dat
 *   136     16    indexToken         the index checkpoint recovery pairs with (zeros: none)
 *   152     16    baseToken          incremental: the snapshot the deltas apply to (zeros: none)
 *   168     4     D: incremental checkpoints applied on the base, oldest first, this one last
 *   172     16*D  their tokens
 *   ...     4     S: sessions; then per session:
 *                   4 id length n, n bytes UTF-8 id, 8 CPR point (serial),
 *                   4 E, E x 8 excluded serials (ascending)
 *
 * Readers check the magic, the length and the CRC before the format version, so a damaged
 * version field reads as damage; every later format version keeps these four fields.
 * Paired checks: the encoder asserts the address order begin <= start <= final and
 * indexStart <= indexFinal; the decoder checks the same after the CRC and reports a violation
 * as ERR_CORRUPTION.
 */
import { assert, corruption, FasterError } from '../errors.js';
import { ByteReader, ByteWriter } from './binary.js';
import { tokenBytes, tokenFromBytes } from './naming.js';

export const METADATA_MAGIC = 0x43564b46;
export const METADATA_VERSION = 1;
const HEADER_BYTES = 16;
const MAX_ID_BYTES = 1024;

const F_LOG = 1;
const F_SNAPSHOT = 2;
const F_INDEX = 4;
const F_INCREMENTAL = 8;

export interface SessionPoint {
  readonly id: string;
  /** The CPR point: every operation with a serial up to it is in the checkpoint... */
  readonly serial: number;
  /** ...except these, which were pending at the version switch and belong to v+1. */
  readonly excluded: readonly number[];
}

export interface CheckpointMetadata {
  readonly token: string;
  readonly sequence: number;
  readonly version: number;
  readonly createdAtMs: number;
  readonly log: boolean;
  readonly snapshot: boolean;
  readonly index: boolean;
  readonly incremental: boolean;
  readonly pageBytes: number;
  readonly segmentBytes: number;
  readonly beginAddress: number;
  readonly startAddress: number;
  readonly finalAddress: number;
  readonly snapshotStart: number;
  readonly headAddress: number;
  readonly indexStartAddress: number;
  readonly indexFinalAddress: number;
  readonly indexBytes: number;
  /** '' when none. */
  readonly indexToken: string;
  /** '' when none. */
  readonly baseToken: string;
  readonly deltaTokens: readonly string[];
  readonly sessions: readonly SessionPoint[];
}

type Crc = (data: Uint8Array, seed: number) => number;

const NO_TOKEN = new Uint8Array(16);

export function encodeMetadata(m: CheckpointMetadata, crc32c: Crc): Uint8Array {
  assert(m.beginAddress <= m.startAddress && m.startAddress <= m.finalAddress &&
    m.snapshotStart <= m.finalAddress && m.indexStartAddress <= m.indexFinalAddress,
  'checkpoint metadata addresses out of order');
  const w = new ByteWriter();
  w.u32(METADATA_MAGIC).u32(METADATA_VERSION).u32(0).u32(0);
  w.raw(tokenBytes(m.token)).u64(m.sequence).u64(m.version).u64(m.createdAtMs);
  w.u32(flagsOf(m)).u32(m.pageBytes).u64(m.segmentBytes);
  for (const a of [m.beginAddress, m.startAddress, m.finalAddress, m.snapshotStart,
    m.headAddress, m.indexStartAddress, m.indexFinalAddress, m.indexBytes]) w.u64(a);
  w.raw(m.indexToken === '' ? NO_TOKEN : tokenBytes(m.indexToken));
  w.raw(m.baseToken === '' ? NO_TOKEN : tokenBytes(m.baseToken));
  w.u32(m.deltaTokens.length);
  for (const t of m.deltaTokens) w.raw(tokenBytes(t));
  w.u32(m.sessions.length);
  for (const s of m.sessions) {
    w.string(s.id).u64(s.serial).u32(s.excluded.length);
    for (const e of s.excluded) w.u64(e);
  }
  w.patchU32(8, w.length);
  const bytes = w.finish();
  new DataView(bytes.buffer).setUint32(12, metadataCrc(bytes, crc32c), true);
  return bytes;
}

/** Decodes and verifies metadata read from `path`. ERR_CORRUPTION / ERR_FORMAT_VERSION. */
export function decodeMetadata(bytes: Uint8Array, path: string, crc32c: Crc):
  CheckpointMetadata {
  const r = new ByteReader(bytes, path);
  if (bytes.length < HEADER_BYTES || r.u32() !== METADATA_MAGIC) {
    throw corruption(path, 0, 'not checkpoint metadata (bad magic)');
  }
  const version = r.u32();
  if (r.u32() !== bytes.length) throw corruption(path, 8, 'length field does not match the file');
  if (r.u32() !== metadataCrc(bytes, crc32c)) throw corruption(path, 12, 'checksum mismatch');
  // After the checksum: a damaged version field is damage, not a newer format.
  if (version !== METADATA_VERSION) {
    throw new FasterError('ERR_FORMAT_VERSION', `${path}: checkpoint metadata format version ` +
      `${version}; this build reads ${METADATA_VERSION}`, { path, offset: 4 });
  }
  const m = readBody(r);
  if (r.remaining !== 0) throw corruption(path, r.offset, 'bytes after the last session');
  checkOrder(m, path);
  return m;
}

function readBody(r: ByteReader): CheckpointMetadata {
  const token = tokenFromBytes(r.raw(16));
  const sequence = r.u64();
  const version = r.u64();
  const createdAtMs = r.u64();
  const flags = r.u32();
  const pageBytes = r.u32();
  const segmentBytes = r.u64();
  const [beginAddress, startAddress, finalAddress, snapshotStart, headAddress,
    indexStartAddress, indexFinalAddress, indexBytes] = Array.from({ length: 8 }, () => r.u64());
  const indexToken = optionalToken(r.raw(16));
  const baseToken = optionalToken(r.raw(16));
  const deltaTokens = Array.from({ length: r.count(16) }, () => tokenFromBytes(r.raw(16)));
  const sessions: SessionPoint[] = [];
  for (let n = r.count(16); n > 0; n--) {
    const id = r.string(MAX_ID_BYTES);
    const serial = r.u64();
    const excluded = Array.from({ length: r.count(8) }, () => r.u64());
    sessions.push({ id, serial, excluded });
  }
  return {
    token, sequence, version, createdAtMs, pageBytes, segmentBytes,
    log: (flags & F_LOG) !== 0, snapshot: (flags & F_SNAPSHOT) !== 0,
    index: (flags & F_INDEX) !== 0, incremental: (flags & F_INCREMENTAL) !== 0,
    beginAddress: beginAddress!, startAddress: startAddress!, finalAddress: finalAddress!,
    snapshotStart: snapshotStart!, headAddress: headAddress!,
    indexStartAddress: indexStartAddress!, indexFinalAddress: indexFinalAddress!,
    indexBytes: indexBytes!, indexToken, baseToken, deltaTokens, sessions,
  };
}

function checkOrder(m: CheckpointMetadata, path: string): void {
  const ordered = m.beginAddress <= m.startAddress && m.startAddress <= m.finalAddress &&
    m.snapshotStart <= m.finalAddress && m.indexStartAddress <= m.indexFinalAddress;
  const kinds = (m.log || m.index) && (!m.snapshot || m.log) && (!m.incremental || m.snapshot);
  const pageOk = isPowerOfTwo(m.pageBytes) && isPowerOfTwo(m.segmentBytes) &&
    m.segmentBytes >= m.pageBytes;
  if (!ordered || !kinds || !pageOk || m.version < 1) {
    throw corruption(path, HEADER_BYTES, 'fields are inconsistent');
  }
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

function flagsOf(m: CheckpointMetadata): number {
  return (m.log ? F_LOG : 0) | (m.snapshot ? F_SNAPSHOT : 0) | (m.index ? F_INDEX : 0) |
    (m.incremental ? F_INCREMENTAL : 0);
}

function optionalToken(bytes: Uint8Array): string {
  return bytes.every((b) => b === 0) ? '' : tokenFromBytes(bytes);
}

function metadataCrc(bytes: Uint8Array, crc32c: Crc): number {
  return crc32c(bytes.subarray(HEADER_BYTES), crc32c(bytes.subarray(0, 12), 0)) >>> 0;
}
