/**
 * The Device contract (src/device/device.ts), checked on every implementation: FileDevice on
 * each available engine, MemoryDevice and FaultDevice.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Device } from '../../../src/device/device.js';
import { FaultDevice } from '../../../src/device/fault-device.js';
import { FaultInjector } from '../../../src/device/fault-injector.js';
import { FaultMedium } from '../../../src/device/fault-medium.js';
import { FileDevice } from '../../../src/device/file-device.js';
import { MemoryDevice } from '../../../src/device/memory-device.js';
import { SparseImage } from '../../../src/device/sparse-image.js';
import { availableEngines, selectBinding } from '../../../src/native.js';
import { expectBytes } from '../../support/bytes.js';
import { seededPrng } from '../../support/prng.js';
import { tempDir } from '../../support/temp-dir.js';

const SECTOR = 4096;
const SEGMENT = 4 * SECTOR;

interface Opened {
  device: Device;
  /** A new handle over the same bytes (a reopen after close). */
  reopen(): Device;
  /** Bytes the segment files occupy on disk, for file devices. */
  diskBytes?(): number;
}

interface Subject {
  label: string;
  open(segmentBytes: number): Opened;
}

const subjects: Subject[] = [
  ...availableEngines().map((engine): Subject => ({
    label: `FileDevice(${engine})`,
    open(segmentBytes) {
      const dir = tempDir();
      const make = (): Device => new FileDevice({
        dir, baseName: 'dev', segmentBytes, binding: selectBinding(engine),
      });
      return { device: make(), reopen: make, diskBytes: () => diskBytes(dir) };
    },
  })),
  {
    label: 'MemoryDevice',
    open(segmentBytes) {
      const image = new SparseImage(segmentBytes);
      const make = (): Device => new MemoryDevice({ name: 'mem', segmentBytes }, image);
      return { device: make(), reopen: make };
    },
  },
  {
    label: 'FaultDevice',
    open(segmentBytes) {
      const shared = { medium: new FaultMedium(segmentBytes, SECTOR),
        injector: new FaultInjector() };
      const make = (): Device => new FaultDevice({ name: 'flt', segmentBytes }, shared);
      return { device: make(), reopen: make };
    },
  },
];

function diskBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) total += statSync(join(dir, name)).size;
  return total;
}

/** `sectors` sectors whose every byte encodes its own address, so misplaced bytes show. */
function pattern(address: number, sectors: number, salt = 1): Uint8Array {
  const bytes = new Uint8Array(sectors * SECTOR);
  for (let i = 0; i < bytes.length; i += 4) {
    const v = ((address + i) * 2654435761 + salt) >>> 0;
    bytes[i] = v & 0xff;
    bytes[i + 1] = (v >>> 8) & 0xff;
    bytes[i + 2] = (v >>> 16) & 0xff;
    bytes[i + 3] = (v >>> 24) & 0xff;
  }
  return bytes;
}

function readBack(device: Device, address: number, sectors: number): Uint8Array {
  const dst = new Uint8Array(sectors * SECTOR).fill(0xee);
  device.readSync(dst, address);
  return dst;
}

describe.each(subjects)('$label', (subject) => {
  it('reads back what writeSync wrote', () => {
    const { device } = subject.open(SEGMENT);
    device.writeSync(pattern(0, 2), 0);
    device.writeSync(pattern(SECTOR * 3, 1), SECTOR * 3);
    expectBytes(readBack(device, 0, 2), pattern(0, 2));
    expectBytes(readBack(device, SECTOR * 3, 1), pattern(SECTOR * 3, 1));
    device.close();
  });

  it('reads back what the async write wrote, through the async read', async () => {
    const { device } = subject.open(SEGMENT);
    await device.write(pattern(SECTOR, 2), SECTOR);
    const dst = new Uint8Array(2 * SECTOR);
    await device.read(dst, SECTOR);
    expectBytes(dst, pattern(SECTOR, 2));
    device.close();
  });

  it('reads zeros where nothing was written: holes, past the end, missing segments', async () => {
    const { device } = subject.open(SEGMENT);
    expectBytes(readBack(device, 0, 1), new Uint8Array(SECTOR));
    device.writeSync(pattern(2 * SECTOR, 1), 2 * SECTOR);
    expectBytes(readBack(device, 0, 2), new Uint8Array(2 * SECTOR));
    expectBytes(readBack(device, 3 * SECTOR, 1), new Uint8Array(SECTOR));
    expectBytes(readBack(device, 7 * SEGMENT, 2), new Uint8Array(2 * SECTOR));
    const dst = new Uint8Array(SECTOR).fill(9);
    await device.read(dst, 5 * SEGMENT);
    expectBytes(dst, new Uint8Array(SECTOR));
    device.close();
  });

  it('splits writes and reads that span segment boundaries', async () => {
    const { device } = subject.open(SEGMENT);
    const start = SEGMENT - SECTOR;
    const span = pattern(start, 6);
    device.writeSync(span, start);
    expectBytes(readBack(device, start, 6), span);
    const asyncSpan = pattern(3 * SEGMENT - 2 * SECTOR, 9, 7);
    await device.write(asyncSpan, 3 * SEGMENT - 2 * SECTOR);
    const dst = new Uint8Array(9 * SECTOR);
    await device.read(dst, 3 * SEGMENT - 2 * SECTOR);
    expectBytes(dst, asyncSpan);
    expect(device.segmentRange()).toEqual({ start: 0, end: 5 });
    const intoMissing = new Uint8Array(SEGMENT + 2 * SECTOR).fill(1);
    await device.read(intoMissing, 5 * SEGMENT - 2 * SECTOR);
    expectBytes(intoMissing.subarray(0, SECTOR), asyncSpan.subarray(8 * SECTOR));
    expectBytes(intoMissing.subarray(SECTOR), new Uint8Array(SEGMENT + SECTOR));
    device.close();
  });

  it('serves many async reads in flight at once', async () => {
    const { device } = subject.open(SEGMENT);
    const sectors = 64;
    device.writeSync(pattern(0, sectors), 0);
    const prng = seededPrng();
    const order = Array.from({ length: sectors }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = prng.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const buffers = order.map(() => new Uint8Array(SECTOR));
    await Promise.all(order.map((s, i) => device.read(buffers[i]!, s * SECTOR)));
    order.forEach((s, i) => expectBytes(buffers[i]!, pattern(s * SECTOR, 1)));
    const writes = order.map((s) => device.write(pattern(s * SECTOR, 1, 3), s * SECTOR));
    await Promise.all(writes);
    expectBytes(readBack(device, 0, sectors), pattern(0, sectors, 3));
    device.close();
  });

  it('reports segments and size, and truncation frees the segments below', () => {
    const opened = subject.open(SEGMENT);
    const { device } = opened;
    expect(device.segmentRange()).toEqual({ start: 0, end: 0 });
    expect(device.sizeBytes()).toBe(0);
    device.writeSync(pattern(0, 16), 0);
    device.syncSync();
    expect(device.segmentRange()).toEqual({ start: 0, end: 4 });
    expect(device.sizeBytes()).toBe(4 * SEGMENT);
    expect(opened.diskBytes?.() ?? 4 * SEGMENT).toBe(4 * SEGMENT);
    device.truncateUntilSegment(2);
    expect(device.segmentRange()).toEqual({ start: 2, end: 4 });
    expect(device.sizeBytes()).toBe(2 * SEGMENT);
    expect(opened.diskBytes?.() ?? 2 * SEGMENT).toBe(2 * SEGMENT);
    expectBytes(readBack(device, 0, 8), new Uint8Array(8 * SECTOR));
    expectBytes(readBack(device, 2 * SEGMENT, 8), pattern(2 * SEGMENT, 8));
    device.truncateUntilSegment(1);
    expect(device.segmentRange()).toEqual({ start: 2, end: 4 });
    device.truncateUntilSegment(9);
    expect(device.segmentRange()).toEqual({ start: 0, end: 0 });
    expect(opened.diskBytes?.() ?? 0).toBe(0);
    device.close();
  });

  it('shows the same bytes and segments to a reopened device', async () => {
    const opened = subject.open(SEGMENT);
    opened.device.writeSync(pattern(SEGMENT, 6), SEGMENT);
    await opened.device.sync();
    opened.device.close();
    const again = opened.reopen();
    expect(again.segmentRange()).toEqual({ start: 1, end: 3 });
    expectBytes(readBack(again, SEGMENT, 6), pattern(SEGMENT, 6));
    expectBytes(readBack(again, 0, 4), new Uint8Array(4 * SECTOR));
    again.close();
  });

  it('counts operations in stats()', async () => {
    const { device } = subject.open(SEGMENT);
    device.writeSync(pattern(0, 1), 0);
    await device.write(pattern(SECTOR, 2), SECTOR);
    device.readSync(new Uint8Array(SECTOR), 0);
    device.syncSync();
    await device.sync();
    const stats = device.stats();
    expect(stats).toMatchObject({ writes: 2, bytesWritten: 3 * SECTOR, reads: 1,
      bytesRead: SECTOR, syncs: 2 });
    device.close();
  });

  it('refuses misaligned, negative and non-integer addresses and lengths', async () => {
    const { device } = subject.open(SEGMENT);
    const sector = new Uint8Array(SECTOR);
    const bad: [Uint8Array, number][] = [
      [sector, 100], [sector, -SECTOR], [sector, 0.5], [new Uint8Array(100), 0],
      [sector, Number.NaN], [sector, 2 ** 48],
    ];
    for (const [buf, address] of bad) {
      const calls = [() => device.writeSync(buf, address), () => device.readSync(buf, address)];
      for (const call of calls) {
        expect(call).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
        expect(call).toThrow(device.name);
      }
      await expect(device.write(buf, address)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT', message: expect.stringContaining(String(address)) });
      await expect(device.read(buf, address)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT' });
    }
    expect(() => device.truncateUntilSegment(-1)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    device.close();
  });

  it('fails every operation with ERR_CLOSED after close(), which is idempotent', async () => {
    const { device } = subject.open(SEGMENT);
    device.writeSync(pattern(0, 1), 0);
    device.close();
    device.close();
    const closed = expect.objectContaining({ code: 'ERR_CLOSED' });
    const buf = new Uint8Array(SECTOR);
    expect(() => device.writeSync(buf, 0)).toThrow(closed);
    expect(() => device.readSync(buf, 0)).toThrow(closed);
    expect(() => device.syncSync()).toThrow(closed);
    expect(() => device.truncateUntilSegment(1)).toThrow(closed);
    expect(() => device.segmentRange()).toThrow(closed);
    expect(() => device.sizeBytes()).toThrow(closed);
    await expect(device.write(buf, 0)).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    await expect(device.read(buf, 0)).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    await expect(device.sync()).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });
});
