import { describe, expect, it } from 'vitest';
import { FaultDevice } from '../../../src/device/fault-device.js';
import { MemoryDevice } from '../../../src/device/memory-device.js';
import { FasterError } from '../../../src/errors.js';
import { WAIT_FLUSH } from '../../../src/log/hybrid-log.js';
import { availableEngines, selectBinding } from '../../../src/native.js';
import { expectBytes } from '../../support/bytes.js';
import { deviceBytes, LogModel, markerViolation, openLog } from '../../support/log-fixture.js';
import { seededPrng } from '../../support/prng.js';

const PAGE = 1024;
const SECTOR = 512;
const SEGMENT = 4 * PAGE;

describe.each(availableEngines())('HybridLog without eager flushes (%s engine)', (engine) => {
  const binding = selectBinding(engine);
  const setup = { pageBytes: PAGE, memoryBytes: 4 * PAGE, mutableFraction: 0, eagerFlush: false };

  it('writes nothing on page turns and reports WAIT_FLUSH once every frame is taken', () => {
    const device = new MemoryDevice({ segmentBytes: SEGMENT, sectorBytes: SECTOR });
    const log = openLog(device, binding, setup);
    log.epoch.protect();
    let outcome = 0;
    for (let i = 0; i < 100 && outcome >= 0; i++) {
      outcome = log.tryAllocate(256);
      if (outcome === WAIT_FLUSH) break;
    }
    log.epoch.unprotect();
    expect(outcome).toBe(WAIT_FLUSH);
    expect(device.stats().writes).toBe(0);
    expect(log.flushedUntilAddress).toBe(64);
    expect(log.frameWaitAddress()).toBe(PAGE);
    expect(log.tailAddress).toBe(4 * PAGE);
  });

  it('allocates again once a flush reaches frameWaitAddress()', () => {
    const prng = seededPrng();
    const device = new MemoryDevice({ segmentBytes: SEGMENT, sectorBytes: SECTOR });
    const log = openLog(device, binding, setup);
    const model = new LogModel();
    for (let i = 0; i < 2000; i++) {
      log.epoch.protect();
      const blocked = log.tryAllocate(8) === WAIT_FLUSH;
      log.epoch.unprotect();
      if (blocked) log.flushUntilSync(log.frameWaitAddress());
      model.appendRandom(log, prng, 1);
      const violation = markerViolation(log);
      if (violation !== undefined) expect.fail(`after record ${i}: ${violation}`);
    }
    expect(log.stats().pageTurns).toBeGreaterThan(4 * log.frameCount);
    const tail = log.shiftReadOnlyToTail();
    log.flushUntilSync(tail);
    expectBytes(deviceBytes(device, 64, tail), model.image(64, tail), 'device image');
  });

  it('writes a failed page again after retryFailedFlushes(), and only then passes it', () => {
    const prng = seededPrng();
    const device = new FaultDevice({ segmentBytes: SEGMENT, sectorBytes: SECTOR });
    const log = openLog(device, binding, setup);
    const model = new LogModel();
    model.appendRandom(log, prng, 8);
    device.failNext({ op: 'write', errno: 'ENOSPC', count: Infinity });
    const failedAt = log.shiftReadOnlyToTail();
    expect(() => log.flushUntilSync(failedAt)).toThrow(FasterError);
    expect(log.flushErrorAddress).toBe(64);
    model.appendRandom(log, prng, 8);
    device.clearFaults();
    const tail = log.shiftReadOnlyToTail();
    expect(() => log.flushUntilSync(tail)).toThrow(/ENOSPC/);
    expect(log.flushedUntilAddress).toBe(64);

    log.retryFailedFlushes();
    expect(log.flushErrorAddress).toBeUndefined();
    log.flushUntilSync(tail);
    expect(log.flushedUntilAddress).toBe(tail);
    expectBytes(deviceBytes(device, 64, tail), model.image(64, tail), 'device image');
  });
});

describe.each(availableEngines())('HybridLog with zeroClosedFrames: false (%s engine)',
  (engine) => {
    const binding = selectBinding(engine);

    it('hands a page the frame as its previous page left it; the default zeroes it', () => {
      for (const zeroClosedFrames of [false, true]) {
        const device = new MemoryDevice({ segmentBytes: SEGMENT, sectorBytes: SECTOR });
        const log = openLog(device, binding, { pageBytes: PAGE, memoryBytes: 2 * PAGE,
          mutableFraction: 0, zeroClosedFrames });
        const model = new LogModel();
        while (log.tailAddress < 2 * PAGE + 16) model.append(log, 16);
        const tail = log.shiftReadOnlyToTail();
        log.flushUntilSync(tail);
        log.epoch.protect();
        const address = log.allocate(8);
        expect(address).toBe(2 * PAGE + 16);
        const at = log.physicalOffset(address + 64);
        const leftover = log.memory.subarray(at, at + 64);
        log.epoch.unprotect();
        expect(leftover.some((b) => b !== 0), `zeroClosedFrames ${zeroClosedFrames}`)
          .toBe(!zeroClosedFrames);
      }
    });
  });
