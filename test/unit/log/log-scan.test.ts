import { describe, expect, it } from 'vitest';
import { MemoryDevice } from '../../../src/device/memory-device.js';
import type { HybridLog } from '../../../src/log/hybrid-log.js';
import { availableEngines, selectBinding } from '../../../src/native.js';
import { expectBytes } from '../../support/bytes.js';
import {
  LogModel, openLog, recordBytes, testRecordSize, type TestRecord,
} from '../../support/log-fixture.js';
import { seededPrng } from '../../support/prng.js';

const PAGE = 1024;

/** A log holding several memories' worth of random records: most on the device. */
function filledLog(engine: 'native' | 'js', pages: number): { log: HybridLog; model: LogModel } {
  const prng = seededPrng();
  const device = new MemoryDevice({ segmentBytes: 4 * PAGE, sectorBytes: 512 });
  const log = openLog(device, selectBinding(engine), { pageBytes: PAGE, memoryBytes: 4 * PAGE });
  const model = new LogModel();
  while (log.tailAddress < pages * PAGE) model.appendRandom(log, prng, 1, 240);
  return { log, model };
}

function expectRecord(log: HybridLog, scanned: { page: Uint8Array; offset: number;
  length: number }, record: TestRecord): void {
  expect(scanned.length).toBe(record.size);
  expectBytes(scanned.page.subarray(scanned.offset, scanned.offset + scanned.length),
    recordBytes(record.size, record.seq), `record at ${record.address}`);
}

describe.each(availableEngines())('LogScanner (%s engine)', (engine) => {
  it('returns every record in address order across device and memory, skipping padding',
    () => {
      const { log, model } = filledLog(engine, 20);
      expect(log.headAddress).toBeGreaterThan(10 * PAGE);
      const scanner = log.scan(0, log.tailAddress, testRecordSize);
      for (const record of model.records) {
        expect(scanner.next()).toBe(record.address);
        expectRecord(log, scanner, record);
      }
      expect(scanner.next()).toBe(-1);
    });

  it('scans with asynchronous device reads from an address in the middle', async () => {
    const { log, model } = filledLog(engine, 20);
    const start = model.records.findIndex((r) => r.address >= 3 * PAGE + 100);
    const from = model.records[start]!.address;
    const to = model.records[model.records.length - 3]!.address;
    const scanner = log.scan(from, to, testRecordSize);
    const expected = model.records.slice(start, model.records.length - 3);
    for (const record of expected) {
      expect(await scanner.nextAsync()).toBe(record.address);
      expectRecord(log, scanner, record);
    }
    expect(await scanner.nextAsync()).toBe(-1);
  });

  it('keeps returning the right records while the log evicts the pages being scanned', () => {
    const prng = seededPrng();
    const { log, model } = filledLog(engine, 6);
    const before = [...model.records];
    const scanner = log.scan(0, log.tailAddress, testRecordSize);
    for (const record of before) {
      expect(scanner.next()).toBe(record.address);
      expectRecord(log, scanner, record);
      model.appendRandom(log, prng, 2, 240);
    }
    expect(scanner.next()).toBe(-1);
    expect(log.headAddress).toBeGreaterThan(before[before.length - 1]!.address);
  });

  it('starts at BeginAddress when asked to scan from below it', () => {
    const { log, model } = filledLog(engine, 12);
    const cut = model.records.find((r) => r.address >= 5 * PAGE)!;
    log.shiftBeginAddress(cut.address);
    const scanner = log.scan(0, log.tailAddress, testRecordSize);
    expect(scanner.next()).toBe(cut.address);
  });
});

describe.each(availableEngines())('HybridLog reads below HeadAddress (%s engine)', (engine) => {
  it('reads records back from the device with readAtSync and readAt', async () => {
    const { log, model } = filledLog(engine, 16);
    const onDevice = model.records.filter((r) => r.address + r.size <= log.headAddress);
    expect(onDevice.length).toBeGreaterThan(50);
    const prng = seededPrng();
    for (let i = 0; i < 50; i++) {
      const record = onDevice[prng.int(onDevice.length)]!;
      const dst = new Uint8Array(record.size);
      if (i % 2 === 0) log.readAtSync(record.address, record.size, dst);
      else await log.readAt(record.address, record.size, dst);
      expectBytes(dst, recordBytes(record.size, record.seq), `record at ${record.address}`);
    }
  });

  it('rejects a read that reaches past FlushedUntilAddress', () => {
    const { log } = filledLog(engine, 6);
    const dst = new Uint8Array(64);
    expect(() => log.readAtSync(log.flushedUntilAddress - 8, 64, dst))
      .toThrow(/FlushedUntilAddress/);
  });
});
