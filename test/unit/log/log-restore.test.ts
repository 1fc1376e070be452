import { describe, expect, it } from 'vitest';
import { MemoryDevice } from '../../../src/device/memory-device.js';
import { restoreLog } from '../../../src/log/log-restore.js';
import { availableEngines, selectBinding } from '../../../src/native.js';
import { expectBytes } from '../../support/bytes.js';
import {
  deviceBytes, LogModel, markerViolation, openLog, testRecordSize,
} from '../../support/log-fixture.js';
import { seededPrng } from '../../support/prng.js';

const PAGE = 1024;

describe.each(availableEngines())('restoreLog (%s engine)', (engine) => {
  const binding = selectBinding(engine);
  const setup = { pageBytes: PAGE, memoryBytes: 4 * PAGE };

  describe.each([
    ['mid-page', 0], ['at a page boundary', 1],
  ] as const)('with the tail %s', (_, boundary) => {
    it('continues after the restored tail, ignoring stale bytes past it on the device', () => {
      const prng = seededPrng();
      const device = new MemoryDevice({ segmentBytes: 4 * PAGE, sectorBytes: 512 });
      const first = openLog(device, binding, setup);
      const model = new LogModel();
      while (first.tailAddress < 9 * PAGE + PAGE / 3) model.appendRandom(first, prng, 1);
      if (boundary === 1) model.append(first, 10 * PAGE - first.tailAddress);
      const tail = first.shiftReadOnlyToTail();
      first.flushUntilSync(tail);
      const sector = tail - (tail % 512);
      const stale = deviceBytes(device, sector, sector + 512).slice();
      stale.fill(0xee, tail - sector);
      device.writeSync(stale, sector);

      const log = openLog(device, binding, setup);
      restoreLog(log, 64, tail);
      expect(markerViolation(log)).toBeUndefined();
      expect(log.tailAddress).toBe(tail);
      if (boundary === 0) {
        const at = log.physicalOffset(tail);
        const rest = log.memory.subarray(at, at + PAGE - (tail % PAGE));
        expect(rest.every((byte) => byte === 0), 'the frame past the tail is zero').toBe(true);
      }
      model.appendRandom(log, prng, 200);
      const end = log.shiftReadOnlyToTail();
      log.flushUntilSync(end);
      expectBytes(deviceBytes(device, 64, end), model.image(64, end), 'device image');
      const scanner = log.scan(0, end, testRecordSize);
      for (const record of model.records) expect(scanner.next()).toBe(record.address);
      expect(scanner.next()).toBe(-1);
    });
  });

  it('keeps BeginAddress when it lies inside the tail page', () => {
    const prng = seededPrng();
    const device = new MemoryDevice({ segmentBytes: 4 * PAGE, sectorBytes: 512 });
    const first = openLog(device, binding, setup);
    const model = new LogModel();
    while (first.tailAddress < 5 * PAGE + PAGE / 2) model.appendRandom(first, prng, 1);
    const tail = first.shiftReadOnlyToTail();
    first.flushUntilSync(tail);
    const begin = model.records.find((r) => r.address > 5 * PAGE)!.address;
    const log = openLog(device, binding, setup);
    restoreLog(log, begin, tail);
    expect(log.beginAddress).toBe(begin);
    expect(log.headAddress).toBe(begin);
    const scanner = log.scan(0, tail, testRecordSize);
    expect(scanner.next()).toBe(begin);
  });

  it('refuses a tail below the begin address', () => {
    const device = new MemoryDevice({ segmentBytes: 4 * PAGE, sectorBytes: 512 });
    const log = openLog(device, binding, setup);
    expect(() => restoreLog(log, 4096, 2048)).toThrow(expect.objectContaining({
      code: 'ERR_INVALID_ARGUMENT' }));
  });
});
