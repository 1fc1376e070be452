/**
 * FaultDevice: an in-memory Device for tests that models durability and failure (FASTER's
 * SimulatedFlakyDevice, leveldb's FaultInjectionTestEnv). Exported from `fasterkv/testing`.
 *
 *  - Durability: writes are durable only once a sync that started after they completed has
 *    completed (FaultMedium). `powerCut({ tear, seed })` loses everything else, optionally
 *    tearing the last unsynced write; afterwards the device is usable again, like a rebooted
 *    machine.
 *  - Crashed owners: an async operation issued before a power cut never settles and never
 *    lands, like a callback in a process that died. `idle()` waits for such operations to
 *    drain, so a test can show that they left no trace.
 *  - Injected faults: `failNext` / `failWhen` make reads, writes, syncs or truncation fail with
 *    ERR_IO and a chosen errno, exactly as FileDevice reports an OS refusal; a failed write or
 *    sync changes nothing, and the device keeps working.
 *  - `latencyMs` delays async completions (0: the next turn of the event loop), so many
 *    operations can be in flight.
 * Thread rules: one thread.
 */
import type { Device, DeviceStats } from './device.js';
import { FaultInjector, type FailNextRule, type FaultOp, type FaultPredicate } from
  './fault-injector.js';
import { FaultMedium, type PowerCutOptions, type PowerCutReport } from './fault-medium.js';
import {
  checkAccess, checkSegment, closedError, readOnlyError, segmentFileName, validateFlag,
  validateSectorBytes, validateSegmentBytes,
  DeviceCounters,
} from './geometry.js';
import { FasterError, invalidArgument } from '../errors.js';

export interface FaultDeviceOptions {
  /** Name in messages; segment "files" are `${name}.${n}`. Default `'fault'`. */
  name?: string;
  segmentBytes: number;
  /** Default 4096; a power of two from 512 to 65536. */
  sectorBytes?: number;
  /** Refuse writes and truncation (ERR_IO EROFS). Default false. */
  readOnly?: boolean;
  /** Delay of each async completion in milliseconds; default 0 (next event-loop turn). */
  latencyMs?: number;
}

/** A medium and injector shared by several handles (FaultStorage uses it). */
export interface FaultDeviceShared {
  readonly medium: FaultMedium;
  readonly injector: FaultInjector;
}

export class FaultDevice implements Device {
  readonly name: string;
  readonly sectorBytes: number;
  readonly segmentBytes: number;
  private readonly readOnly: boolean;
  private readonly latencyMs: number;
  private readonly medium: FaultMedium;
  private readonly injector: FaultInjector;
  private closed = false;
  private readonly counters = new DeviceCounters();

  constructor(options: FaultDeviceOptions, shared?: FaultDeviceShared) {
    this.name = options.name ?? 'fault';
    this.sectorBytes = validateSectorBytes(options.sectorBytes);
    this.segmentBytes = validateSegmentBytes(options.segmentBytes, this.sectorBytes);
    this.readOnly = validateFlag('readOnly', options.readOnly, false);
    const latency = options.latencyMs ?? 0;
    if (!Number.isFinite(latency) || latency < 0) {
      throw invalidArgument('latencyMs', 'a finite number >= 0', options.latencyMs);
    }
    this.latencyMs = latency;
    this.medium = shared?.medium ?? new FaultMedium(this.segmentBytes, this.sectorBytes);
    this.injector = shared?.injector ?? new FaultInjector();
    if (this.medium.segmentBytes !== this.segmentBytes ||
        this.medium.sectorBytes !== this.sectorBytes) {
      throw invalidArgument('segmentBytes and sectorBytes',
        `${this.medium.segmentBytes} and ${this.medium.sectorBytes}, the geometry device ` +
        `${this.name} was created with`, [options.segmentBytes, options.sectorBytes].join('/'));
    }
  }

  writeSync(src: Uint8Array, address: number): void {
    this.checkUsable('write', address, src.length);
    this.throwIfFault('write', address);
    this.medium.write(src, address);
    this.account('write', src.length);
  }

  write(src: Uint8Array, address: number): Promise<void> {
    return this.later('write', address, src.length, () => {
      this.medium.write(src, address);
      this.account('write', src.length);
    });
  }

  readSync(dst: Uint8Array, address: number): void {
    this.checkUsable('read', address, dst.length);
    this.throwIfFault('read', address);
    this.medium.current.read(dst, address);
    this.account('read', dst.length);
  }

  read(dst: Uint8Array, address: number): Promise<void> {
    return this.later('read', address, dst.length, () => {
      this.medium.current.read(dst, address);
      this.account('read', dst.length);
    });
  }

  syncSync(): void {
    if (this.closed) throw closedError(this);
    this.throwIfFault('sync', undefined);
    this.medium.makeDurable(this.medium.syncPoint());
    this.account('sync', 0);
  }

  sync(): Promise<void> {
    const point = this.medium.syncPoint();
    return this.later('sync', undefined, 0, () => {
      this.medium.makeDurable(point);
      this.account('sync', 0);
    });
  }

  truncateUntilSegment(segment: number): void {
    if (this.closed) throw closedError(this);
    checkSegment(this, segment);
    if (this.readOnly) throw readOnlyError(this, 'unlink', undefined);
    const fault = this.injector.check('truncate', this.name);
    if (fault !== undefined) throw fault;
    this.medium.removeBelow(segment);
  }

  segmentRange(): { start: number; end: number } {
    if (this.closed) throw closedError(this);
    return this.medium.current.range();
  }

  sizeBytes(): number {
    if (this.closed) throw closedError(this);
    return this.medium.current.sizeBytes();
  }

  stats(): DeviceStats {
    return {
      kind: 'fault', engine: 'js', direct: false, directFallbackReason: undefined,
      ...this.counters.snapshot(),
    };
  }

  close(): void {
    this.closed = true;
  }

  /** Loses power: drops every unsynced write (tearing the last with `tear`). */
  powerCut(options?: PowerCutOptions): PowerCutReport {
    return this.medium.powerCut(options);
  }

  /** Fails the next `count` operations of a kind with ERR_IO `errno`. */
  failNext(rule: FailNextRule): void {
    this.injector.failNext(rule);
  }

  /** Fails every operation for which `predicate` returns an errno; returns a remover. */
  failWhen(predicate: FaultPredicate): () => void {
    return this.injector.failWhen(predicate);
  }

  clearFaults(): void {
    this.injector.clear();
  }

  /** Completed writes that no completed sync covers yet (what a power cut would lose). */
  unsyncedWrites(): number {
    return this.medium.unsyncedCount();
  }

  /** Resolves when no async operation is in flight (orphans of a power cut included). */
  idle(): Promise<void> {
    return this.medium.idle();
  }

  private checkUsable(op: 'read' | 'write', address: number, length: number): void {
    if (this.closed) throw closedError(this);
    checkAccess(this, op, address, length);
    if (op === 'write' && this.readOnly) throw readOnlyError(this, 'pwrite', address);
  }

  private throwIfFault(op: FaultOp, address: number | undefined): void {
    const fault = this.faultFor(op, address);
    if (fault !== undefined) throw fault;
  }

  private faultFor(op: FaultOp, address: number | undefined): FasterError | undefined {
    if (address === undefined) return this.injector.check(op, this.name);
    const segment = Math.floor(address / this.segmentBytes);
    return this.injector.check(op, segmentFileName(this.name, segment),
      address - segment * this.segmentBytes);
  }

  /**
   * Runs `apply` after the latency, unless a fault was injected at issue time (reject) or a
   * power cut happened meanwhile (never settles).
   */
  private later(
    op: 'read' | 'write' | 'sync', address: number | undefined, length: number,
    apply: () => void,
  ): Promise<void> {
    let fault: FasterError | undefined;
    try {
      if (op === 'sync') {
        if (this.closed) throw closedError(this);
      } else {
        this.checkUsable(op, address!, length);
      }
      fault = this.faultFor(op, address);
    } catch (err) {
      return Promise.reject(err);
    }
    const generation = this.medium.generation;
    this.medium.begin();
    return new Promise((resolve, reject) => {
      const complete = (): void => {
        this.medium.end();
        if (generation !== this.medium.generation) return;
        if (fault !== undefined) return reject(fault);
        apply();
        resolve();
      };
      if (this.latencyMs > 0) setTimeout(complete, this.latencyMs);
      else setImmediate(complete);
    });
  }

  private account(kind: 'read' | 'write' | 'sync', bytes: number): void {
    this.counters.count(kind, bytes);
  }
}
