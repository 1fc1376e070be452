/**
 * SharedMemoryDevice: a Device over one SharedArrayBuffer, so that several worker threads,
 * each with its own device object, write to and read from the same bytes (tests of a log
 * shared between threads). Plain copies, sector-checked; no durability model, no segments
 * beyond bookkeeping. Create it in one thread and pass `buffer` to the others.
 */
import type { Device, DeviceStats } from '../../src/device/device.js';

export class SharedMemoryDevice implements Device {
  readonly name = 'shared-memory';
  readonly bytes: Uint8Array;

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly sectorBytes: number,
    readonly segmentBytes: number,
  ) {
    this.bytes = new Uint8Array(buffer);
  }

  writeSync(src: Uint8Array, address: number): void {
    this.check(address, src.length);
    this.bytes.set(src, address);
  }

  async write(src: Uint8Array, address: number): Promise<void> {
    this.writeSync(src, address);
  }

  readSync(dst: Uint8Array, address: number): void {
    this.check(address, dst.length);
    dst.set(this.bytes.subarray(address, address + dst.length));
  }

  async read(dst: Uint8Array, address: number): Promise<void> {
    this.readSync(dst, address);
  }

  syncSync(): void {}

  async sync(): Promise<void> {}

  truncateUntilSegment(segment: number): void {
    this.bytes.fill(0, 0, Math.min(segment * this.segmentBytes, this.bytes.length));
  }

  segmentRange(): { start: number; end: number } {
    return { start: 0, end: Math.ceil(this.bytes.length / this.segmentBytes) };
  }

  sizeBytes(): number {
    return this.bytes.length;
  }

  stats(): DeviceStats {
    return { kind: 'memory', engine: 'js', direct: false, directFallbackReason: undefined,
      reads: 0, writes: 0, syncs: 0, bytesRead: 0, bytesWritten: 0 };
  }

  close(): void {}

  private check(address: number, length: number): void {
    if (address % this.sectorBytes !== 0 || length % this.sectorBytes !== 0 ||
        address + length > this.bytes.length) {
      throw new Error(`unaligned or out-of-range device access at ${address} (+${length})`);
    }
  }
}
