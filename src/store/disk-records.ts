/**
 * Reading records that live below HeadAddress, from the device: one record at a time, walking a
 * hash chain through PreviousAddress until the key matches or the chain leaves the log.
 * Every record read is verified against its CRC32C; a mismatch is ERR_CORRUPTION naming the
 * segment file and offset. Callers hold NO epoch protection while these run (FASTER's rule:
 * never wait on I/O while protected) and re-check memory afterwards for newer records.
 * BeginAddress may pass a chain address while its read is in flight (compaction truncates the
 * log): a record that reads back as zeros from below BeginAddress ends the chain (it was
 * logically deleted), and is not reported as damage.
 * With a ReadCache (the `readCache` option), each record is looked up there first and every
 * record read and verified from the device is put there.
 */
import { corruption } from '../errors.js';
import { FIRST_VALID_ADDRESS } from '../log/address.js';
import type { HybridLog } from '../log/hybrid-log.js';
import type { NativeBinding } from '../native.js';
import { HI_TOMBSTONE, previousAddressOf } from '../record/record-info.js';
import {
  align8, OFFSET_CRC, OFFSET_KEY_BYTES, OFFSET_VALUE_BYTES, RECORD_HEADER_BYTES, readU32,
  recordChecksum, recordSizeAt,
} from '../record/record-layout.js';
import type { ReadCache } from './read-cache.js';
import { copyOut } from './record-memory.js';

/** A record found on the device. */
export interface DiskRecord {
  readonly address: number;
  readonly tombstone: boolean;
  /** The record's PreviousAddress: where its hash chain continues. */
  readonly previousAddress: number;
  /** The value (unshared memory); empty for tombstones. */
  readonly value: Uint8Array;
}

/** First read size: enough for most records, so one I/O usually suffices. */
const FIRST_READ_BYTES = 512;

export class DiskRecordReader {
  /** Set by the store when the `readCache` option is on. */
  cache: ReadCache | undefined;
  private buf = new Uint8Array(4096);
  private readonly crc: (d: Uint8Array, start: number, end: number, seed: number) => number;

  constructor(private readonly log: HybridLog, binding: NativeBinding) {
    this.crc = (d, start, end, seed) => binding.crc32c(d.subarray(start, end), seed);
  }

  /**
   * The newest record of `key` at or below `address` on the device, or undefined; with
   * `minAddress`, only records above it count (the walk stops at or below it).
   */
  findSync(key: Uint8Array, address: number, minAddress = 0): DiskRecord | undefined {
    while (this.inLog(address) && address > minAddress) {
      const bytes = this.loadSync(address);
      if (bytes === undefined) return undefined;
      const found = this.match(bytes, key, address);
      if (found !== undefined) return found;
      address = previousAddressOf(readU32(bytes, 0), readU32(bytes, 4));
    }
    return undefined;
  }

  /** Asynchronous findSync; many may be in flight (each uses its own buffers). */
  async find(key: Uint8Array, address: number, minAddress = 0):
    Promise<DiskRecord | undefined> {
    while (this.inLog(address) && address > minAddress) {
      const bytes = await this.load(address);
      if (bytes === undefined) return undefined;
      const found = this.match(bytes, key, address);
      if (found !== undefined) return found;
      address = previousAddressOf(readU32(bytes, 0), readU32(bytes, 4));
    }
    return undefined;
  }

  private inLog(address: number): boolean {
    return address >= FIRST_VALID_ADDRESS && address >= this.log.beginAddress;
  }

  private match(bytes: Uint8Array, key: Uint8Array, address: number): DiskRecord | undefined {
    const n = key.length;
    if (readU32(bytes, OFFSET_KEY_BYTES) !== n) return undefined;
    for (let i = 0; i < n; i++) if (bytes[RECORD_HEADER_BYTES + i] !== key[i]) return undefined;
    const hi = readU32(bytes, 4);
    const tombstone = (hi & HI_TOMBSTONE) !== 0;
    const start = RECORD_HEADER_BYTES + align8(n);
    const value = tombstone ? new Uint8Array(0)
      : copyOut(bytes, start, readU32(bytes, OFFSET_VALUE_BYTES));
    return { address, tombstone, previousAddress: previousAddressOf(readU32(bytes, 0), hi), value };
  }

  /** Up to FIRST_READ_BYTES, within the page and below FlushedUntilAddress. */
  private firstReadBytes(address: number): number {
    const pageLeft = this.log.pageBytes - (address % this.log.pageBytes);
    const flushedLeft = this.log.flushedUntilAddress - address;
    return Math.max(RECORD_HEADER_BYTES, Math.min(pageLeft, FIRST_READ_BYTES, flushedLeft));
  }

  /** The record at `address`, verified; undefined when truncated away meanwhile. */
  private loadSync(address: number): Uint8Array | undefined {
    const cached = this.cache?.get(address, this.buf);
    if (cached !== undefined) return cached;
    const first = this.firstReadBytes(address);
    this.ensure(first);
    this.log.readAtSync(address, first, this.buf.subarray(0, first));
    const size = this.checkedSize(this.buf, address);
    if (size === 0) return undefined;
    if (size > first) {
      this.ensure(size);
      this.log.readAtSync(address, size, this.buf.subarray(0, size));
    }
    this.verify(this.buf, address, size);
    this.cache?.put(address, this.buf.subarray(0, size));
    return this.buf;
  }

  private async load(address: number): Promise<Uint8Array | undefined> {
    const cached = this.cache?.get(address);
    if (cached !== undefined) return cached;
    const first = this.firstReadBytes(address);
    let bytes = new Uint8Array(first);
    await this.log.readAt(address, first, bytes);
    const size = this.checkedSize(bytes, address);
    if (size === 0) return undefined;
    if (size > first) {
      bytes = new Uint8Array(size);
      await this.log.readAt(address, size, bytes);
    }
    this.verify(bytes, address, size);
    this.cache?.put(address, bytes.subarray(0, size));
    return bytes;
  }

  /**
   * The record's size, checked to lie within its page; 0 for the zeros of a segment truncated
   * since the walk reached `address` (now below BeginAddress); else ERR_CORRUPTION.
   */
  private checkedSize(bytes: Uint8Array, address: number): number {
    const size = recordSizeAt(bytes, 0);
    const pageLeft = this.log.pageBytes - (address % this.log.pageBytes);
    const zero = readU32(bytes, 0) === 0 && readU32(bytes, 4) === 0;
    if (zero && address < this.log.beginAddress) return 0;
    if (zero || size > pageLeft) {
      throw recordDamage(this.log, address, `no valid record header (size ${size})`);
    }
    return size;
  }

  private verify(bytes: Uint8Array, address: number, size: number): void {
    const stored = readU32(bytes, OFFSET_CRC);
    if (recordChecksum(bytes, 0, size, this.crc) !== stored) {
      throw recordDamage(this.log, address, 'record checksum mismatch');
    }
  }

  private ensure(size: number): void {
    if (this.buf.length < size) this.buf = new Uint8Array(Math.max(size, this.buf.length * 2));
  }
}

/** ERR_CORRUPTION for the log record at `address`, naming its segment file and offset. */
export function recordDamage(log: HybridLog, address: number, what: string): Error {
  const device = log.device;
  const segment = Math.floor(address / device.segmentBytes);
  return corruption(`${device.name}.${segment}`, address % device.segmentBytes,
    `${what} (log address ${address})`);
}
