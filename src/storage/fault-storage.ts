/**
 * FaultStorage: a MemoryStorage whose devices are FaultDevices on FaultMedia and whose file
 * operations can fail on demand — the whole persistent world of a store in one object, so a
 * test can cut power across data and metadata at once. Exported from `fasterkv/testing`.
 *
 *  - Files: `writeFileAtomic` and `remove` are durable when they return (they are atomic
 *    renames and unlinks followed by a directory fsync on a real disk), so a power cut keeps
 *    every file as it was last written.
 *  - Devices: `powerCut()` cuts every medium at once (each keeps only its synced writes; with
 *    `tear`, each tears its own last unsynced write, seeded from the one seed), breaks the
 *    writer lock (its holder died) and leaves the storage usable, like a rebooted machine.
 *    Reopening a base name gives a device over the surviving bytes.
 *  - Faults: `failNext` / `failWhen` apply to file operations (`writeFile`, `readFile`,
 *    `remove`, with the storage name as path) and to every device's operations (with
 *    `${baseName}.${segment}` as path), e.g. EROFS everywhere to model a read-only directory.
 * Thread rules: one thread.
 */
import type { Device } from '../device/device.js';
import { FaultDevice } from '../device/fault-device.js';
import {
  FaultInjector, type FailNextRule, type FaultOp, type FaultPredicate,
} from '../device/fault-injector.js';
import { FaultMedium, type PowerCutOptions, type PowerCutReport } from
  '../device/fault-medium.js';
import { validateSectorBytes, validateSegmentBytes } from '../device/geometry.js';
import { invalidArgument } from '../errors.js';
import { Prng, randomSeed } from '../util/prng.js';
import { MemoryStorage, type StoredDevice } from './memory-storage.js';
import type { StorageDeviceOptions } from './storage.js';

export interface FaultStorageOptions {
  /** Names the storage in messages (`fault:<label>`). */
  label?: string;
  /** Delay of every device's async completions; default 0. */
  latencyMs?: number;
}

export interface StoragePowerCutReport {
  readonly seed: number;
  /** Per device base name: what its medium lost. */
  readonly devices: Readonly<Record<string, PowerCutReport>>;
}

export class FaultStorage extends MemoryStorage {
  private readonly injector = new FaultInjector();
  private readonly media = new Map<string, FaultMedium>();
  private readonly latencyMs: number;

  constructor(options: FaultStorageOptions = {}) {
    super(options.label ?? 'fault');
    const latency = options.latencyMs ?? 0;
    if (!Number.isFinite(latency) || latency < 0) {
      throw invalidArgument('latencyMs', 'a finite number >= 0', options.latencyMs);
    }
    this.latencyMs = latency;
  }

  /** Loses power across every device; see the file header. */
  powerCut(options: PowerCutOptions = {}): StoragePowerCutReport {
    const seed = options.seed ?? randomSeed();
    const seeds = new Prng(seed);
    const devices: Record<string, PowerCutReport> = {};
    for (const name of [...this.media.keys()].sort()) {
      const medium = this.media.get(name)!;
      devices[name] = medium.powerCut({ tear: options.tear, seed: seeds.nextU32() });
    }
    this.breakLock();
    return { seed, devices };
  }

  failNext(rule: FailNextRule): void {
    this.injector.failNext(rule);
  }

  failWhen(predicate: FaultPredicate): () => void {
    return this.injector.failWhen(predicate);
  }

  clearFaults(): void {
    this.injector.clear();
  }

  /** Resolves when no device has an async operation in flight. */
  async idle(): Promise<void> {
    for (const medium of this.media.values()) await medium.idle();
  }

  protected override scheme(): string {
    return 'fault';
  }

  protected override fault(op: FaultOp, name: string): void {
    const err = this.injector.check(op, name);
    if (err !== undefined) throw err;
  }

  protected override createDevice(
    baseName: string, options: StorageDeviceOptions, stored: StoredDevice | undefined,
  ): Device {
    let medium = stored as FaultMedium | undefined;
    if (medium === undefined) {
      const sectorBytes = validateSectorBytes(options.sectorBytes);
      medium = new FaultMedium(validateSegmentBytes(options.segmentBytes, sectorBytes),
        sectorBytes);
      this.media.set(baseName, medium);
      this.remember(baseName, medium);
    }
    return new FaultDevice({
      name: baseName, segmentBytes: options.segmentBytes, sectorBytes: options.sectorBytes,
      readOnly: options.readOnly, latencyMs: this.latencyMs,
    }, { medium, injector: this.injector });
  }
}
