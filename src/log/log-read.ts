/**
 * LogReader: reads records of the hybrid log back from the device, for records below
 * HeadAddress (FASTER's PENDING reads). Device reads are sector-aligned, so the reader reads
 * the sectors covering [address, address + length) into an aligned scratch buffer and copies
 * the record out.
 *
 * REQUIRES for every read: address + length <= FlushedUntilAddress (the bytes are on the
 * device; true of any record below HeadAddress) and address >= BeginAddress (segments below
 * may be truncated; their bytes read as zeros).
 * Thread rules: one LogReader per thread. The sync form reuses one scratch buffer; each async
 * read holds its own buffer (from a pool) until it completes, so many may be in flight.
 */
import type { Device } from '../device/device.js';
import { assert, invalidArgument } from '../errors.js';
import type { NativeBinding } from '../native.js';
import type { LogGeometry } from './address.js';

/** Memory alignment of read buffers (suits O_DIRECT). */
const READ_ALIGNMENT = 4096;
/**
 * Async reads of up to this many bytes (a record's first read spans one or two sectors) take
 * their aligned buffer from a pool instead of allocating and zeroing a new one per read.
 */
const POOLED_BYTES = 8192;
/** Buffers the pool keeps: enough for the reads a session usually has in flight. */
const POOL_MAX = 64;

export class LogReader {
  private scratch: Uint8Array = new Uint8Array(0);
  /** Free aligned buffers of POOLED_BYTES for async reads (a buffer is in one read at a time). */
  private readonly pool: Uint8Array[] = [];

  constructor(
    private readonly device: Device,
    private readonly binding: NativeBinding,
    private readonly geometry: LogGeometry,
    private readonly flushedUntil: () => number,
  ) {}

  /** Copies the `length` bytes at `address` from the device into `dst` (from its start). */
  readAtSync(address: number, length: number, dst: Uint8Array): void {
    const { from, to } = this.span(address, length, dst);
    if (this.scratch.length < to - from) this.scratch = this.alignedBuffer(to - from);
    const buffer = this.scratch.subarray(0, to - from);
    this.device.readSync(buffer, from);
    dst.set(buffer.subarray(address - from, address - from + length));
  }

  /** Asynchronous readAtSync; `dst` must stay untouched until the promise settles. */
  async readAt(address: number, length: number, dst: Uint8Array): Promise<void> {
    const { from, to } = this.span(address, length, dst);
    const pooled = to - from <= POOLED_BYTES;
    const whole = pooled ? this.pool.pop() ?? this.alignedBuffer(POOLED_BYTES)
      : this.alignedBuffer(to - from);
    const buffer = pooled ? whole.subarray(0, to - from) : whole;
    try {
      await this.device.read(buffer, from);
      dst.set(buffer.subarray(address - from, address - from + length));
    } finally {
      if (pooled && this.pool.length < POOL_MAX) this.pool.push(whole);
    }
  }

  /** The sector-aligned device range covering the record; validates the request. */
  private span(address: number, length: number, dst: Uint8Array): { from: number; to: number } {
    if (!(Number.isSafeInteger(address) && address >= 0)) {
      throw invalidArgument('address', 'a non-negative integer', address);
    }
    if (!(Number.isInteger(length) && length >= 0 && length <= dst.length)) {
      throw invalidArgument('length', `an integer from 0 to dst.length (${dst.length})`, length);
    }
    assert(address + length <= this.flushedUntil(),
      `read of [${address}, ${address + length}) beyond FlushedUntilAddress`);
    const from = this.geometry.sectorFloor(address);
    const to = Math.max(from + this.geometry.sectorBytes,
      this.geometry.sectorCeil(address + length));
    return { from, to };
  }

  private alignedBuffer(length: number): Uint8Array {
    const raw = new Uint8Array(new ArrayBuffer(length + READ_ALIGNMENT));
    const skip = this.binding.alignmentOffset(raw, READ_ALIGNMENT);
    return raw.subarray(skip, skip + length);
  }
}
