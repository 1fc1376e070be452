import { describe, expect, it } from 'vitest';
import type { Device } from '../../../src/device/device.js';
import { FaultDevice } from '../../../src/device/fault-device.js';
import { MemoryDevice } from '../../../src/device/memory-device.js';
import { LightEpoch } from '../../../src/epoch/light-epoch.js';
import { FasterError } from '../../../src/errors.js';
import {
  HybridLog, RETRY_NOW, WAIT_FLUSH,
} from '../../../src/log/hybrid-log.js';
import { availableEngines, selectBinding } from '../../../src/native.js';
import { expectBytes } from '../../support/bytes.js';
import {
  deviceBytes, LogModel, markerViolation, openLog, recordBytes, testRecordSize,
} from '../../support/log-fixture.js';
import { seededPrng } from '../../support/prng.js';

const PAGE = 1024;
const SECTOR = 512;
const SEGMENT = 4 * PAGE;

function memoryDevice(): MemoryDevice {
  return new MemoryDevice({ segmentBytes: SEGMENT, sectorBytes: SECTOR });
}

/** A device whose async forms throw: proves a workload never used them. */
function syncOnly(device: Device): Device {
  const refuse = (): Promise<void> => {
    throw new Error('async device call in a sync-only workload');
  };
  return Object.assign(Object.create(device) as Device, { write: refuse, read: refuse,
    sync: refuse });
}

describe.each(availableEngines())('HybridLog (%s engine)', (engine) => {
  const binding = selectBinding(engine);

  describe.each([0, 0.5, 1])('with mutableFraction %s', (mutableFraction) => {
    it('allocates through many page turns keeping records on one page and markers ordered',
      () => {
        const prng = seededPrng();
        const log = openLog(memoryDevice(), binding,
          { pageBytes: PAGE, memoryBytes: 4 * PAGE, mutableFraction });
        const model = new LogModel();
        let end = 64;
        for (let i = 0; i < 3000; i++) {
          const { address, size } = model.append(log, 8 * (1 + prng.int(25)));
          expect(address).toBeGreaterThanOrEqual(end);
          expect((address % PAGE) + size).toBeLessThanOrEqual(PAGE);
          end = address + size;
          const violation = markerViolation(log);
          if (violation !== undefined) expect.fail(`after record ${i}: ${violation}`);
        }
        expect(log.stats().pageTurns).toBeGreaterThan(20 * log.frameCount);
        expect(log.frameCount * PAGE).toBeLessThanOrEqual(4 * PAGE);
      });

    it('completes a sync-only workload 50 times larger than memory', () => {
      const prng = seededPrng();
      const device = memoryDevice();
      const log = openLog(syncOnly(device), binding,
        { pageBytes: PAGE, memoryBytes: 2 * PAGE, mutableFraction });
      const model = new LogModel();
      while (log.tailAddress < 100 * PAGE) model.appendRandom(log, prng, 1);
      const tail = log.shiftReadOnlyToTail();
      log.flushUntilSync(tail);
      expectBytes(deviceBytes(device, 64, tail), model.image(64, tail), 'device image');
    });
  });

  it('puts exactly the written bytes on the device once the flush reaches the tail', () => {
    const prng = seededPrng();
    const device = memoryDevice();
    const log = openLog(device, binding, { pageBytes: PAGE, memoryBytes: 8 * PAGE });
    const model = new LogModel();
    model.appendRandom(log, prng, 400);
    const tail = log.shiftReadOnlyToTail();
    log.flushUntilSync(tail);
    expect(log.flushedUntilAddress).toBe(tail);
    expectBytes(deviceBytes(device, 64, tail), model.image(64, tail), 'device image');
    expect(log.stats().flushedBytes).toBeGreaterThanOrEqual(tail - 64);
  });

  it('evicts only flushed pages and keeps every record at or above HeadAddress in memory',
    () => {
      const prng = seededPrng();
      const log = openLog(memoryDevice(), binding, { pageBytes: PAGE, memoryBytes: 4 * PAGE });
      const model = new LogModel();
      for (let round = 0; round < 60; round++) {
        model.appendRandom(log, prng, 20);
        const head = log.headAddress;
        expect(head).toBeLessThanOrEqual(log.flushedUntilAddress);
        log.epoch.protect();
        for (const record of model.records) {
          if (record.address < head) continue;
          const at = log.physicalOffset(record.address);
          expectBytes(log.memory.subarray(at, at + record.size),
            recordBytes(record.size, record.seq), `record at ${record.address}`);
        }
        const tail = log.tailAddress;
        if (tail % PAGE !== 0) {
          const rest = log.memory.subarray(log.physicalOffset(tail),
            log.physicalOffset(tail) + PAGE - (tail % PAGE));
          expect(rest.every((byte) => byte === 0), 'bytes past the tail are zero').toBe(true);
        }
        log.epoch.unprotect();
      }
      expect(log.stats().pagesClosed).toBeGreaterThan(0);
    });

  it('flushes requested pages itself when an allocation needs their frame', () => {
    const prng = seededPrng();
    const device = memoryDevice();
    const log = openLog(syncOnly(device), binding,
      { pageBytes: PAGE, memoryBytes: 4 * PAGE, mutableFraction: 1 });
    const model = new LogModel();
    for (let round = 0; round < 10; round++) {
      while (log.tailAddress < (round + 1) * 10 * PAGE + PAGE / 2) {
        model.appendRandom(log, prng, 1);
      }
      log.shiftReadOnlyToTail();
    }
    model.appendRandom(log, prng, 100);
    expect(log.stats().syncFlushWaits).toBeGreaterThan(0);
    const tail = log.shiftReadOnlyToTail();
    log.flushUntilSync(tail);
    expectBytes(deviceBytes(device, 64, tail), model.image(64, tail), 'device image');
  });

  it('reports WAIT_FLUSH, then RETRY_NOW, while another thread holds back the epoch', () => {
    const device = memoryDevice();
    const log = openLog(device, binding,
      { pageBytes: PAGE, memoryBytes: 4 * PAGE, mutableFraction: 0 });
    const otherEpoch = LightEpoch.attach(log.epoch.handle());
    const other = HybridLog.attach(log.handle(), { device, binding, epoch: otherEpoch });
    otherEpoch.acquire();
    otherEpoch.protect();
    log.epoch.protect();
    let outcome = 0;
    for (let i = 0; i < 1000; i++) {
      outcome = log.tryAllocate(256);
      if (outcome <= 0) break;
    }
    expect(outcome).toBe(WAIT_FLUSH);
    expect(log.safeReadOnlyAddress).toBe(64);
    otherEpoch.refresh();
    expect(other.safeReadOnlyAddress).toBeGreaterThan(64);
    expect(log.tryAllocate(256)).toBe(RETRY_NOW);
    otherEpoch.refresh();
    expect(log.tryAllocate(256)).toBe(4 * PAGE);
    log.epoch.unprotect();
    otherEpoch.unprotect();
  });

  it('stops FlushedUntilAddress at a failed write and lets no later range pass it', () => {
    const prng = seededPrng();
    const device = new FaultDevice({ segmentBytes: SEGMENT, sectorBytes: SECTOR });
    const failedPages = new Set([5, 7]);
    device.failWhen(({ op, path, offset }) => {
      const segment = Number(path.slice(path.lastIndexOf('.') + 1));
      const page = Math.floor((segment * SEGMENT + (offset ?? 0)) / PAGE);
      return op === 'write' && failedPages.has(page) ? 'EIO' : undefined;
    });
    const log = openLog(device, binding,
      { pageBytes: PAGE, memoryBytes: 4 * PAGE, mutableFraction: 0 });
    const model = new LogModel();
    let thrown: unknown;
    try {
      for (let i = 0; i < 5000; i++) model.appendRandom(log, prng, 1);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(FasterError);
    expect((thrown as FasterError).code).toBe('ERR_IO');
    expect((thrown as FasterError).errno).toBe('EIO');
    expect(log.flushedUntilAddress).toBe(5 * PAGE);
    expect(log.flushErrorAddress).toBe(5 * PAGE);
    expect(log.flushFailures.map((f) => f.from)).toEqual([5 * PAGE, 7 * PAGE]);
    expect(log.headAddress).toBeLessThanOrEqual(5 * PAGE);
    for (const page of [6, 8]) {
      expectBytes(deviceBytes(device, page * PAGE, (page + 1) * PAGE),
        model.image(page * PAGE, (page + 1) * PAGE), `page ${page}, written after the failure`);
    }
    log.epoch.protect();
    expect(() => log.allocate(PAGE)).toThrow(FasterError);
    log.epoch.unprotect();
    expect(() => log.flushUntilSync(log.readOnlyAddress)).toThrow(/EIO/);
  });

  it('flushes a growing partial last page so the device always holds the flushed prefix',
    async () => {
      const prng = seededPrng();
      const device = memoryDevice();
      const log = openLog(device, binding, { pageBytes: 4 * PAGE, memoryBytes: 16 * PAGE });
      const model = new LogModel();
      const seen: number[] = [];
      log.onFlushed((until) => seen.push(until));
      for (let round = 0; round < 12; round++) {
        model.appendRandom(log, prng, 1 + prng.int(6), 96);
        const tail = log.shiftReadOnlyToTail();
        await log.flushUntilAsync(tail);
        expect(log.flushedUntilAddress).toBe(tail);
        expectBytes(deviceBytes(device, 64, tail), model.image(64, tail), `round ${round}`);
      }
      expect(seen.length).toBeGreaterThan(0);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
    });

  it('runs before-flush hooks over each range in order, and their edits reach the device', () => {
    const prng = seededPrng();
    const device = memoryDevice();
    const log = openLog(device, binding, { pageBytes: PAGE, memoryBytes: 4 * PAGE });
    const model = new LogModel();
    const ranges: Array<[number, number]> = [];
    log.onBeforeFlush((page, pageStart, from, to) => {
      ranges.push([pageStart + from, pageStart + to]);
      for (let off = Math.max(from, 64 - pageStart); off < to;) {
        const size = testRecordSize(page, off);
        if (size === 0) break;
        for (let i = 4; i < 8; i++) page[off + i] = page[off + i]! ^ 0xff;
        off += size;
      }
    });
    model.appendRandom(log, prng, 300);
    const tail = log.shiftReadOnlyToTail();
    log.flushUntilSync(tail);
    expect(ranges[0]![0]).toBe(64);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBe(ranges[i - 1]![1]);
    expect(ranges[ranges.length - 1]![1]).toBe(tail);
    const expected = model.image(0, tail);
    for (const { address } of model.records) {
      for (let i = address + 4; i < address + 8; i++) expected[i] = expected[i]! ^ 0xff;
    }
    expectBytes(deviceBytes(device, 64, tail), expected.subarray(64), 'device image');
  });

  it('shifts BeginAddress and truncates only whole segments below it', () => {
    const prng = seededPrng();
    const device = memoryDevice();
    const log = openLog(device, binding, { pageBytes: PAGE, memoryBytes: 4 * PAGE });
    const model = new LogModel();
    while (log.tailAddress < 5 * SEGMENT) model.appendRandom(log, prng, 1);
    const cut = model.records.find((r) => r.address > 2 * SEGMENT + PAGE)!.address;
    log.shiftBeginAddress(cut, true);
    expect(log.beginAddress).toBe(cut);
    expect(log.headAddress).toBeGreaterThanOrEqual(cut);
    expect(log.persistedBeginAddress).toBe(cut);
    expect(device.segmentRange().start).toBe(2);
    expect(deviceBytes(device, 0, SEGMENT).every((b) => b === 0)).toBe(true);
    expectBytes(deviceBytes(device, 2 * SEGMENT, cut), model.image(2 * SEGMENT, cut),
      'the segment holding the new begin address');
    expect(markerViolation(log)).toBeUndefined();
    log.shiftBeginAddress(log.tailAddress, true);
    expect(log.beginAddress).toBe(log.tailAddress);
    expect(markerViolation(log)).toBeUndefined();
  });

  it('keeps a failed segment truncation for the caller and PersistedBeginAddress behind', () => {
    const prng = seededPrng();
    const device = new FaultDevice({ segmentBytes: SEGMENT, sectorBytes: SECTOR });
    const log = openLog(device, binding, { pageBytes: PAGE, memoryBytes: 4 * PAGE });
    const model = new LogModel();
    while (log.tailAddress < 3 * SEGMENT) model.appendRandom(log, prng, 1);
    device.failNext({ op: 'truncate', errno: 'EACCES' });
    log.shiftBeginAddress(2 * SEGMENT, true);
    expect(log.beginAddress).toBe(2 * SEGMENT);
    expect(log.persistedBeginAddress).toBe(64);
    expect(log.truncateError?.errno).toBe('EACCES');
    expect(device.segmentRange().start).toBe(0);
  });

  it('refuses records larger than a page and bad sizes', () => {
    const log = openLog(memoryDevice(), binding, { pageBytes: PAGE, memoryBytes: 2 * PAGE });
    log.epoch.protect();
    expect(() => log.allocate(PAGE + 8)).toThrow(expect.objectContaining({
      code: 'ERR_RECORD_TOO_LARGE' }));
    expect(() => log.allocate(0)).toThrow(expect.objectContaining({
      code: 'ERR_INVALID_ARGUMENT' }));
    expect(log.allocate(PAGE)).toBe(PAGE);
    log.epoch.unprotect();
  });

  it('refuses too little memory, a bad fraction and pages beyond the segment size', () => {
    const device = memoryDevice();
    const bad = [
      { pageBytes: PAGE, memoryBytes: PAGE },
      { pageBytes: PAGE, memoryBytes: 4 * PAGE, mutableFraction: 1.5 },
      { pageBytes: 2 * SEGMENT, memoryBytes: 4 * SEGMENT },
      { pageBytes: 1000, memoryBytes: 4000 },
    ];
    for (const setup of bad) {
      expect(() => openLog(device, binding, setup)).toThrow(expect.objectContaining({
        code: 'ERR_INVALID_ARGUMENT' }));
    }
  });
});
