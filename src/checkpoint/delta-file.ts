/**
 * Delta file (`checkpoints/<token>/delta.dat`) of an incremental snapshot checkpoint (digest
 * §7.3 WAIT_FLUSH, incremental snapshot): the records in [fromAddress, finalAddress) that
 * changed since the previous capture of the snapshot chain (their Dirty bit was set), each
 * with its log address. Recovery lays the base snapshot's pages down, then every delta of the
 * chain in order; the last write of an address wins.
 *
 * Format version 1, little-endian; written whole with Storage.writeFileAtomic:
 *
 *   offset  size  field
 *   0       4     magic 'FKVD' (0x44564B46)
 *   4       4     format version (1)
 *   8       8     total length L
 *   16      4     CRC32C of bytes [0, 16) then [20, L)
 *   20      4     entry count N
 *   24      16    token of the checkpoint
 *   40      8     fromAddress   (a page start)
 *   48      8     finalAddress
 *   56      ...   N entries: 8 log address, 4 record length n (a multiple of 8), 4 zero,
 *                 n record bytes (checksum filled in)
 *
 * Readers check magic, length and CRC before the format version (a damaged version field is
 * damage, not a newer format); every entry must lie in [fromAddress, finalAddress) and inside
 * one page.
 */
import { corruption, FasterError } from '../errors.js';
import { ByteReader, ByteWriter } from './binary.js';
import { tokenBytes, tokenFromBytes } from './naming.js';

export const DELTA_MAGIC = 0x44564b46;
export const DELTA_VERSION = 1;
const HEADER_BYTES = 56;

type Crc = (data: Uint8Array, seed: number) => number;

/**
 * A decoded delta. Entries are parallel arrays over the file's bytes (no object per entry):
 * entry i is the record at log address addresses[i], bytes[recordAt[i], recordAt[i] +
 * lengths[i]) of the file.
 */
export interface Delta {
  readonly token: string;
  readonly fromAddress: number;
  readonly finalAddress: number;
  readonly bytes: Uint8Array;
  readonly count: number;
  readonly addresses: Float64Array;
  readonly recordAt: Float64Array;
  readonly lengths: Uint32Array;
}

/**
 * Accumulates a delta's entries in one growing buffer (records are copied straight into it:
 * no allocation per record), then encodes the file.
 */
export class DeltaWriter {
  private bytes: Uint8Array;
  private view: DataView;
  private length = HEADER_BYTES;
  private count = 0;

  constructor(readonly token: string, readonly fromAddress: number,
    readonly finalAddress: number) {
    this.bytes = new Uint8Array(1 << 16);
    this.view = new DataView(this.bytes.buffer);
    const header = new ByteWriter().u32(DELTA_MAGIC).u32(DELTA_VERSION).u64(0).u32(0).u32(0)
      .raw(tokenBytes(token)).u64(fromAddress).u64(finalAddress).finish();
    this.bytes.set(header);
  }

  /** Adds the record at `address`; `record` is copied. */
  add(address: number, record: Uint8Array): void {
    this.reserve(address, record.length).set(record);
  }

  /**
   * Adds an entry for a record of `size` bytes at `address` and returns its record bytes in
   * the file (zeros), for the caller to fill before the next call.
   */
  reserve(address: number, size: number): Uint8Array {
    const need = this.length + 16 + size;
    if (need > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, need));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    const at = this.length;
    this.view.setUint32(at, address % 4294967296, true);
    this.view.setUint32(at + 4, Math.floor(address / 4294967296), true);
    this.view.setUint32(at + 8, size, true);
    this.view.setUint32(at + 12, 0, true);
    this.length = need;
    this.count++;
    return this.bytes.subarray(at + 16, need);
  }

  get entries(): number {
    return this.count;
  }

  /** The file's bytes (a view of the writer's buffer). */
  finish(crc32c: Crc): Uint8Array {
    const bytes = this.bytes.subarray(0, this.length);
    const view = this.view;
    view.setUint32(8, bytes.length % 4294967296, true);
    view.setUint32(12, Math.floor(bytes.length / 4294967296), true);
    view.setUint32(20, this.count, true);
    view.setUint32(16, deltaCrc(bytes, crc32c), true);
    return bytes;
  }
}

/** Decodes and verifies a delta file read from `path`. */
export function decodeDelta(bytes: Uint8Array, path: string, token: string, pageBytes: number,
  crc32c: Crc): Delta {
  const r = new ByteReader(bytes, path);
  if (bytes.length < HEADER_BYTES || r.u32() !== DELTA_MAGIC) {
    throw corruption(path, 0, 'not a delta file (bad magic)');
  }
  const version = r.u32();
  if (r.u64() !== bytes.length) throw corruption(path, 8, 'length field does not match the file');
  if (r.u32() !== deltaCrc(bytes, crc32c)) throw corruption(path, 16, 'checksum mismatch');
  if (version !== DELTA_VERSION) {
    throw new FasterError('ERR_FORMAT_VERSION', `${path}: delta format version ${version}; ` +
      `this build reads ${DELTA_VERSION}`, { path, offset: 4 });
  }
  const count = r.u32();
  if (tokenFromBytes(r.raw(16)) !== token) {
    throw corruption(path, 24, 'delta of another checkpoint');
  }
  const fromAddress = r.u64();
  const finalAddress = r.u64();
  // Sized by what the file can hold, so a damaged count cannot ask for a huge allocation; a
  // count beyond the bytes fails below where the file ends, as any short read does.
  const room = Math.min(count, Math.floor(r.remaining / 16));
  const addresses = new Float64Array(room);
  const recordAt = new Float64Array(room);
  const lengths = new Uint32Array(room);
  for (let i = 0; i < count; i++) {
    const at = r.offset;
    const address = r.u64();
    const length = r.u32();
    r.u32();
    const offset = address % pageBytes;
    if (address < fromAddress || address + length > finalAddress || length % 8 !== 0 ||
        offset + length > pageBytes) {
      throw corruption(path, at, `entry for address ${address} outside the delta's range`);
    }
    if (length > r.remaining) {
      throw corruption(path, r.offset, `file ends ${length - r.remaining} bytes early`);
    }
    addresses[i] = address;
    recordAt[i] = r.offset;
    lengths[i] = length;
    r.offset += length;
  }
  if (r.remaining !== 0) throw corruption(path, r.offset, 'bytes after the last entry');
  return {
    token, fromAddress, finalAddress, bytes, count, addresses, recordAt, lengths,
  };
}

function deltaCrc(bytes: Uint8Array, crc32c: Crc): number {
  return crc32c(bytes.subarray(20), crc32c(bytes.subarray(0, 16), 0)) >>> 0;
}
