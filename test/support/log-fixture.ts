/**
 * A hybrid log over a chosen device for tests, with a toy record format and a model of what
 * was written.
 *
 * Record format (tests only): [u32 size][u32 seq][size - 8 bytes derived from seq]; sizes are
 * multiples of 8 and at least 8, so a zero u32 at a record position means page padding.
 * `LogModel` remembers every record's address, size and seq, and can build the expected bytes
 * of any address range (zeros where nothing was written).
 */
import type { Device } from '../../src/device/device.js';
import { LightEpoch } from '../../src/epoch/light-epoch.js';
import { HybridLog } from '../../src/log/hybrid-log.js';
import type { NativeBinding } from '../../src/native.js';
import type { Prng } from './prng.js';

export interface TestRecord {
  readonly address: number;
  readonly size: number;
  readonly seq: number;
}

export function recordBytes(size: number, seq: number): Uint8Array {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, size, true);
  view.setUint32(4, seq, true);
  for (let i = 8; i < size; i++) bytes[i] = (seq * 31 + i * 7) & 0xff;
  return bytes;
}

/** The scanner's view of the format: the u32 size at `offset`, 0 meaning padding. */
export function testRecordSize(page: Uint8Array, offset: number): number {
  if (offset + 8 > page.length) return 0;
  return new DataView(page.buffer, page.byteOffset).getUint32(offset, true);
}

export class LogModel {
  readonly records: TestRecord[] = [];
  private seq = 1;

  /** Allocates and writes one record of `size` bytes (protecting the epoch around it). */
  append(log: HybridLog, size: number): TestRecord {
    log.epoch.protect();
    try {
      const address = log.allocate(size);
      const seq = this.seq++;
      log.memory.set(recordBytes(size, seq), log.physicalOffset(address));
      const record = { address, size, seq };
      this.records.push(record);
      return record;
    } finally {
      log.epoch.unprotect();
    }
  }

  /** Appends `count` records of random sizes 8..maxSize (multiples of 8). */
  appendRandom(log: HybridLog, prng: Prng, count: number, maxSize = 200): void {
    for (let i = 0; i < count; i++) this.append(log, 8 * (1 + prng.int(maxSize / 8)));
  }

  /** The bytes [from, to) should hold: records where written, zeros elsewhere. */
  image(from: number, to: number): Uint8Array {
    const image = new Uint8Array(to - from);
    for (const record of this.records) {
      if (record.address + record.size <= from || record.address >= to) continue;
      const bytes = recordBytes(record.size, record.seq);
      const start = Math.max(from, record.address);
      const end = Math.min(to, record.address + record.size);
      image.set(bytes.subarray(start - record.address, end - record.address), start - from);
    }
    return image;
  }
}

export interface LogSetup {
  pageBytes: number;
  memoryBytes: number;
  mutableFraction?: number;
  eagerFlush?: boolean;
  zeroClosedFrames?: boolean;
}

/** A new log (and its acquired epoch) over `device`. */
export function openLog(device: Device, binding: NativeBinding, setup: LogSetup): HybridLog {
  const epoch = new LightEpoch();
  epoch.acquire();
  return new HybridLog({ device, binding, epoch, ...setup });
}

/** The marker invariants FASTER keeps; returns the first that fails, or undefined. */
export function markerViolation(log: HybridLog): string | undefined {
  const s = log.stats();
  const chain: Array<[string, number]> = [
    ['begin', s.beginAddress], ['head', s.headAddress], ['safeReadOnly', s.safeReadOnlyAddress],
    ['readOnly', s.readOnlyAddress], ['tail', s.tailAddress],
  ];
  for (let i = 1; i < chain.length; i++) {
    const [lowName, low] = chain[i - 1]!;
    const [highName, high] = chain[i]!;
    if (low > high) return `${lowName} ${low} > ${highName} ${high}`;
  }
  if (s.closedUntilAddress > s.safeHeadAddress) return 'closedUntil > safeHead';
  if (s.safeHeadAddress > s.headAddress) return 'safeHead > head';
  if (s.headAddress > s.flushedUntilAddress) return 'head > flushedUntil';
  if (s.flushedUntilAddress > s.safeReadOnlyAddress) return 'flushedUntil > safeReadOnly';
  return undefined;
}

/** Reads [from, to) from the device, rounding out to sectors. */
export function deviceBytes(device: Device, from: number, to: number): Uint8Array {
  const sector = device.sectorBytes;
  const start = from - (from % sector);
  const end = Math.ceil(to / sector) * sector;
  const buffer = new Uint8Array(end - start);
  device.readSync(buffer, start);
  return buffer.subarray(from - start, to - start);
}
