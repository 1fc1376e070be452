/**
 * MemoryDevice: a Device whose segments live in memory (a SparseImage), for ephemeral stores
 * and tests. Same contract as FileDevice, with nothing durable beyond the process: `sync` only
 * counts. Several MemoryDevice handles may share one image (MemoryStorage reopens a device that
 * way), so a "reopen" sees the bytes written through the earlier handle.
 *
 * The async forms copy at call time and return an already-settled promise: a memory device has
 * no I/O in flight.
 * Thread rules: one thread; the image is plain memory.
 */
import type { Device, DeviceStats } from './device.js';
import {
  checkAccess, checkSegment, closedError, readOnlyError, validateFlag, validateSectorBytes,
  validateSegmentBytes,
} from './geometry.js';
import { SparseImage } from './sparse-image.js';
import { invalidArgument } from '../errors.js';

export interface MemoryDeviceOptions {
  /** Name in messages; default `'memory'`. */
  name?: string;
  segmentBytes: number;
  /** Default 4096; a power of two from 512 to 65536. */
  sectorBytes?: number;
  /** Refuse writes and truncation (ERR_IO EROFS). Default false. */
  readOnly?: boolean;
}

export class MemoryDevice implements Device {
  readonly name: string;
  readonly sectorBytes: number;
  readonly segmentBytes: number;
  private readonly image: SparseImage;
  private readonly readOnly: boolean;
  private closed = false;
  private reads = 0;
  private writes = 0;
  private syncs = 0;
  private bytesRead = 0;
  private bytesWritten = 0;

  /**
   * `image`, when given, is shared with other handles (MemoryStorage passes it); its segment
   * size must equal `options.segmentBytes`.
   */
  constructor(options: MemoryDeviceOptions, image?: SparseImage) {
    this.name = options.name ?? 'memory';
    this.sectorBytes = validateSectorBytes(options.sectorBytes);
    this.segmentBytes = validateSegmentBytes(options.segmentBytes, this.sectorBytes);
    this.readOnly = validateFlag('readOnly', options.readOnly, false);
    if (image !== undefined && image.segmentBytes !== this.segmentBytes) {
      throw invalidArgument('segmentBytes',
        `${image.segmentBytes}, the segment size device ${this.name} was created with`,
        options.segmentBytes);
    }
    this.image = image ?? new SparseImage(this.segmentBytes);
  }

  writeSync(src: Uint8Array, address: number): void {
    if (this.closed) throw closedError(this);
    checkAccess(this, 'write', address, src.length);
    if (this.readOnly) throw readOnlyError(this, 'pwrite', address);
    this.image.write(src, address);
    this.writes++;
    this.bytesWritten += src.length;
  }

  write(src: Uint8Array, address: number): Promise<void> {
    try {
      this.writeSync(src, address);
    } catch (err) {
      return Promise.reject(err);
    }
    return Promise.resolve();
  }

  readSync(dst: Uint8Array, address: number): void {
    if (this.closed) throw closedError(this);
    checkAccess(this, 'read', address, dst.length);
    this.image.read(dst, address);
    this.reads++;
    this.bytesRead += dst.length;
  }

  read(dst: Uint8Array, address: number): Promise<void> {
    try {
      this.readSync(dst, address);
    } catch (err) {
      return Promise.reject(err);
    }
    return Promise.resolve();
  }

  syncSync(): void {
    if (this.closed) throw closedError(this);
    this.syncs++;
  }

  sync(): Promise<void> {
    try {
      this.syncSync();
    } catch (err) {
      return Promise.reject(err);
    }
    return Promise.resolve();
  }

  truncateUntilSegment(segment: number): void {
    if (this.closed) throw closedError(this);
    checkSegment(this, segment);
    if (this.readOnly) throw readOnlyError(this, 'unlink', undefined);
    this.image.removeBelow(segment);
  }

  segmentRange(): { start: number; end: number } {
    if (this.closed) throw closedError(this);
    return this.image.range();
  }

  sizeBytes(): number {
    if (this.closed) throw closedError(this);
    return this.image.sizeBytes();
  }

  stats(): DeviceStats {
    return {
      kind: 'memory', engine: 'js', direct: false, directFallbackReason: undefined,
      reads: this.reads, writes: this.writes, syncs: this.syncs,
      bytesRead: this.bytesRead, bytesWritten: this.bytesWritten,
    };
  }

  close(): void {
    this.closed = true;
  }
}
