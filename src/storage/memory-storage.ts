/**
 * MemoryStorage: a Storage held in process memory (leveldb's memenv), for ephemeral stores and
 * tests. Files are a map from name to bytes; devices are MemoryDevices over one SparseImage per
 * base name, so reopening a base name sees the bytes written before. Nothing survives the
 * process; within it, every contract of storage.ts holds.
 *
 * FaultStorage (fault-storage.ts) extends it: the protected hooks `fault` and `createDevice`
 * are where it injects failures and models power loss.
 * Thread rules: one thread.
 */
import { FasterError } from '../errors.js';
import type { Device } from '../device/device.js';
import type { FaultOp } from '../device/fault-injector.js';
import { parseSegmentFileName, validateSectorBytes, validateSegmentBytes } from
  '../device/geometry.js';
import { MemoryDevice } from '../device/memory-device.js';
import { SparseImage } from '../device/sparse-image.js';
import { validateName, validatePrefix, type Storage, type StorageDeviceOptions } from
  './storage.js';

/** The bytes behind a base name, as far as listing and removal need them. */
export interface StoredDevice {
  segmentNumbers(): number[];
  removeSegment(segment: number): void;
}

export class MemoryStorage implements Storage {
  readonly path: string;
  private readonly files = new Map<string, Uint8Array>();
  private readonly devices = new Map<string, StoredDevice>();
  private lockToken: object | undefined;
  private closed = false;

  /** `label` names the storage in messages (`memory:<label>`). */
  constructor(label = 'memory') {
    this.path = `${this.scheme()}:${label}`;
  }

  openDevice(baseName: string, options: StorageDeviceOptions): Device {
    this.checkOpen();
    validateName(baseName, 'baseName');
    return this.createDevice(baseName, options, this.devices.get(baseName));
  }

  writeFileAtomic(name: string, bytes: Uint8Array): void {
    this.checkOpen();
    validateName(name);
    this.fault('writeFile', name);
    this.files.set(name, bytes.slice());
  }

  readFile(name: string): Uint8Array | undefined {
    this.checkOpen();
    validateName(name);
    this.fault('readFile', name);
    return this.files.get(name)?.slice();
  }

  list(prefix?: string): string[] {
    this.checkOpen();
    const wanted = validatePrefix(prefix);
    const names = [...this.files.keys()];
    for (const [baseName, stored] of this.devices) {
      for (const segment of stored.segmentNumbers()) names.push(`${baseName}.${segment}`);
    }
    return names.filter((n) => n.startsWith(wanted)).sort();
  }

  remove(name: string): void {
    this.checkOpen();
    validateName(name);
    this.fault('remove', name);
    if (this.files.delete(name)) return;
    for (const [baseName, stored] of this.devices) {
      const segment = parseSegmentFileName(baseName, name);
      if (segment !== undefined) stored.removeSegment(segment);
    }
  }

  lock(): () => void {
    this.checkOpen();
    if (this.lockToken !== undefined) {
      throw new FasterError('ERR_LOCKED', `${this.path} is locked: another writer has it open`,
        { path: this.path });
    }
    const token = {};
    this.lockToken = token;
    return () => {
      if (this.lockToken === token) this.lockToken = undefined;
    };
  }

  close(): void {
    this.closed = true;
    this.lockToken = undefined;
  }

  /** Drops the writer lock without its holder's consent (a crashed holder). */
  protected breakLock(): void {
    this.lockToken = undefined;
  }

  /** Scheme of `path`. */
  protected scheme(): string {
    return 'memory';
  }

  /** Throws the injected error for `op` on `name`, if any. No faults here. */
  protected fault(_op: FaultOp, _name: string): void {}

  /**
   * A device over the bytes stored for `baseName` (`stored`, or new bytes registered with
   * `remember`).
   */
  protected createDevice(
    baseName: string, options: StorageDeviceOptions, stored: StoredDevice | undefined,
  ): Device {
    let image = stored as SparseImage | undefined;
    if (image === undefined) {
      const sectorBytes = validateSectorBytes(options.sectorBytes);
      image = new SparseImage(validateSegmentBytes(options.segmentBytes, sectorBytes));
      this.remember(baseName, image);
    }
    return new MemoryDevice({
      name: baseName, segmentBytes: options.segmentBytes, sectorBytes: options.sectorBytes,
      readOnly: options.readOnly,
    }, image);
  }

  protected remember(baseName: string, stored: StoredDevice): void {
    this.devices.set(baseName, stored);
  }

  private checkOpen(): void {
    if (this.closed) throw new FasterError('ERR_CLOSED', `storage ${this.path} is closed`);
  }
}
