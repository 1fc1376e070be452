/**
 * ProcessStorage: one process's handle on a Storage, for in-process crash tests. `kill()`
 * models the process dying: from then on every call through this handle — file writes and
 * removals, device reads, writes and syncs, on devices opened before or after — throws
 * ERR_CLOSED, so a store object that outlives its simulated death (its pending checkpoint, its
 * async operations) can never touch the storage the next "process" recovers from. With a
 * FaultStorage underneath, cut power first, then kill: async device operations issued before
 * the cut never settle at all.
 */
import type { Device, DeviceStats } from '../../src/device/device.js';
import { FasterError } from '../../src/errors.js';
import type { Storage, StorageDeviceOptions } from '../../src/storage/storage.js';

export class ProcessStorage implements Storage {
  private dead = false;

  constructor(private readonly base: Storage) {}

  get path(): string {
    return this.base.path;
  }

  kill(): void {
    this.dead = true;
  }

  check(): void {
    if (this.dead) throw new FasterError('ERR_CLOSED', 'the process using this storage died');
  }

  openDevice(baseName: string, options: StorageDeviceOptions): Device {
    this.check();
    return new ProcessDevice(this, this.base.openDevice(baseName, options));
  }

  writeFileAtomic(name: string, bytes: Uint8Array): void {
    this.check();
    this.base.writeFileAtomic(name, bytes);
  }

  readFile(name: string): Uint8Array | undefined {
    this.check();
    return this.base.readFile(name);
  }

  list(prefix?: string): string[] {
    this.check();
    return this.base.list(prefix);
  }

  remove(name: string): void {
    this.check();
    this.base.remove(name);
  }

  lock(): () => void {
    this.check();
    return this.base.lock();
  }

  close(): void {
    if (!this.dead) this.base.close();
  }
}

class ProcessDevice implements Device {
  constructor(private readonly owner: ProcessStorage, private readonly device: Device) {}

  get name(): string { return this.device.name; }
  get sectorBytes(): number { return this.device.sectorBytes; }
  get segmentBytes(): number { return this.device.segmentBytes; }

  writeSync(src: Uint8Array, address: number): void {
    this.owner.check();
    this.device.writeSync(src, address);
  }

  async write(src: Uint8Array, address: number): Promise<void> {
    this.owner.check();
    await this.device.write(src, address);
  }

  readSync(dst: Uint8Array, address: number): void {
    this.owner.check();
    this.device.readSync(dst, address);
  }

  async read(dst: Uint8Array, address: number): Promise<void> {
    this.owner.check();
    await this.device.read(dst, address);
  }

  syncSync(): void {
    this.owner.check();
    this.device.syncSync();
  }

  async sync(): Promise<void> {
    this.owner.check();
    await this.device.sync();
  }

  truncateUntilSegment(segment: number): void {
    this.owner.check();
    this.device.truncateUntilSegment(segment);
  }

  segmentRange(): { start: number; end: number } {
    this.owner.check();
    return this.device.segmentRange();
  }

  sizeBytes(): number {
    return this.device.sizeBytes();
  }

  stats(): DeviceStats {
    return this.device.stats();
  }

  close(): void {
    this.device.close();
  }
}
