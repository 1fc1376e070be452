import { describe, expect, it } from 'vitest';
import { LightEpoch } from '../../../src/epoch/light-epoch.js';
import { HybridLog } from '../../../src/log/hybrid-log.js';
import { jsBinding } from '../../../src/fallback/index.js';
import { markerViolation, testRecordSize } from '../../support/log-fixture.js';
import { seededPrng } from '../../support/prng.js';
import { SharedMemoryDevice } from '../../support/shared-memory-device.js';
import { startTsWorker } from '../../support/ts-worker.js';

const PAGE = 1024;
const SECTOR = 512;
const COUNT = 1500;

describe('HybridLog shared by worker threads', () => {
  it('gives two appending workers disjoint records that all reach the device intact',
    async () => {
      const seed = seededPrng().seed;
      const device = new SharedMemoryDevice(new SharedArrayBuffer(2 << 20), SECTOR, 8 * PAGE);
      const epoch = new LightEpoch();
      epoch.acquire();
      const log = new HybridLog({ device, binding: jsBinding, epoch, pageBytes: PAGE,
        memoryBytes: 4 * PAGE, mutableFraction: 0.5 });
      const addresses = new SharedArrayBuffer(8 * 2 * COUNT);
      const start = new SharedArrayBuffer(4);
      const run = (worker: number): Promise<number> => new Promise((done, fail) => {
        const thread = startTsWorker(new URL('./hybrid-log.worker.ts', import.meta.url), {
          epochHandle: epoch.handle(), logHandle: log.handle(),
          deviceBuffer: device.buffer, sectorBytes: SECTOR, segmentBytes: 8 * PAGE, worker,
          workers: 2, count: COUNT, seed: seed + worker, addresses, start,
        });
        thread.on('error', fail);
        thread.on('exit', done);
      });
      expect(await Promise.all([run(0), run(1)])).toEqual([0, 0]);

      const tail = log.shiftReadOnlyToTail();
      log.flushUntilSync(tail);
      expect(markerViolation(log)).toBeUndefined();
      expect(log.headAddress).toBeGreaterThan(100 * PAGE);
      expect(log.stats().pageTurns).toBeGreaterThan(100);

      const given = new Float64Array(addresses);
      const seen = new Map<number, number>();
      const scanner = log.scan(0, tail, testRecordSize);
      for (let address = scanner.next(); address >= 0; address = scanner.next()) {
        const view = new DataView(scanner.page.buffer, scanner.page.byteOffset);
        const tag = view.getUint32(scanner.offset + 4, true);
        for (let b = 8; b < scanner.length; b++) {
          if (scanner.page[scanner.offset + b] !== ((tag * 7 + b) & 0xff)) {
            expect.fail(`record ${tag.toString(16)} at ${address} is damaged at byte ${b}`);
          }
        }
        const worker = tag >>> 24;
        const index = tag & 0xffffff;
        expect(given[worker * COUNT + index], `address of record ${tag.toString(16)}`)
          .toBe(address);
        expect(seen.has(tag)).toBe(false);
        seen.set(tag, address);
      }
      expect(seen.size).toBe(2 * COUNT);
      for (let w = 0; w < 2; w++) {
        const mine = Array.from(given.subarray(w * COUNT, (w + 1) * COUNT));
        expect(mine).toEqual([...mine].sort((a, b) => a - b));
      }
      epoch.release();
    });
});
