/**
 * Damage at every position class: an entry's header, checksum or payload in the committed
 * tail (truncated and reported, or refused), damage deeper in the log (found when read),
 * damaged or missing commit metadata, and a damaged commit record in the log.
 */
import { openSync, readFileSync, readSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FasterLog } from '../../../src/index.js';
import { availableEngines } from '../../../src/native.js';
import { FaultStorage } from '../../../src/storage/fault-storage.js';
import { LogProcess } from '../../support/fasterlog-crash.js';
import { entryBytes, scanAll } from '../../support/fasterlog.js';
import { tempDir } from '../../support/temp-dir.js';

const PAGE = 4096;
const SEGMENT = 16 * PAGE;
const small = { pageBytes: PAGE, memoryBytes: 4 * PAGE, segmentBytes: SEGMENT };

/** XORs the byte at log `address` (+ `delta`) in its segment file. */
function flipLogByte(dir: string, address: number): void {
  const path = join(dir, `fasterlog.log.${Math.floor(address / SEGMENT)}`);
  const fd = openSync(path, 'r+');
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, address % SEGMENT);
  byte[0]! ^= 0x10;
  writeSync(fd, byte, 0, 1, address % SEGMENT);
  closeSync(fd);
}

/** Position of the ring record with the highest sequence number in fasterlog.commits.0. */
function newestRingRecord(dir: string): number {
  const ring = readFileSync(join(dir, 'fasterlog.commits.0'));
  let best = -1;
  let bestSequence = -1;
  for (let at = 0; at < ring.length; at += 4096) {
    if (ring.readUInt32LE(at) !== 0x524d4c46) continue;
    const sequence = Number(ring.readBigUInt64LE(at + 16));
    if (sequence > bestSequence) [best, bestSequence] = [at, sequence];
  }
  return best;
}

describe.each(availableEngines())('FasterLog corruption (%s engine)', (engine) => {
  describe.each([true, false])('with fastCommit %s', (fastCommit) => {
    const options = { ...small, engine, fastCommit };

    /** A closed log of 60 entries; returns its directory and the entries' addresses. */
    async function written(): Promise<{ dir: string; addresses: number[]; until: number }> {
      const dir = tempDir();
      const log = await FasterLog.open({ dir, ...options });
      const addresses = Array.from({ length: 60 }, (_, i) => log.enqueue(entryBytes(i, 90)));
      const until = await log.commit();
      await log.close();
      return { dir, addresses, until };
    }

    describe.each([['header word', 4], ['checksum', 0], ['payload', 20]] as const)(
      'with a damaged %s in the committed tail', (_, offset) => {
        it("truncates the log there under onCorruption: 'truncate' and reports it",
          async () => {
            const { dir, addresses, until } = await written();
            const victim = addresses[55]!;
            flipLogByte(dir, victim + offset);
            const log = await FasterLog.open({ dir, ...options });
            expect(log.recoveryReport).toMatchObject({
              truncatedFromAddress: victim, truncatedBytes: until - victim,
              committedUntilAddress: victim,
            });
            expect(log.recoveryReport.corruption).toMatch(/entry/);
            expect(scanAll(log).map((e) => e.address)).toEqual(addresses.slice(0, 55));
            const next = await log.enqueueAndWaitForCommit(entryBytes(1000, 90));
            expect(next).toBe(victim);
            await log.close();
            const again = await FasterLog.open({ dir, ...options });
            expect(again.recoveryReport.truncatedBytes).toBe(0);
            expect(scanAll(again).length).toBe(56);
            await again.close();
          });

        it("refuses to open under onCorruption: 'throw', naming the file and offset",
          async () => {
            const { dir, addresses } = await written();
            const victim = addresses[55]!;
            flipLogByte(dir, victim + offset);
            await expect(FasterLog.open({ dir, ...options, onCorruption: 'throw' })).rejects
              .toMatchObject({ code: 'ERR_CORRUPTION', offset: victim % SEGMENT,
                path: expect.stringMatching(/fasterlog\.log\.0$/) });
          });
      });

    it('reports damage deeper in the log when a scan or a read reaches it', async () => {
      const { dir, addresses } = await written();
      flipLogByte(dir, addresses[3]! + 30);
      const log = await FasterLog.open({ dir, ...options, onCorruption: 'throw' });
      const iterator = log.scan();
      for (let i = 0; i < 3; i++) expect(iterator.next()?.address).toBe(addresses[i]);
      expect(() => iterator.next()).toThrow(expect.objectContaining({
        code: 'ERR_CORRUPTION', offset: addresses[3]! % SEGMENT }));
      await expect(log.read(addresses[3]!)).rejects.toMatchObject({ code: 'ERR_CORRUPTION' });
      expect(log.readSync(addresses[4]!)).toEqual(entryBytes(4, 90));
      await log.close();
    });

    it('falls back to the previous commit when the newest metadata record is damaged',
      async () => {
        const dir = tempDir();
        const log = await FasterLog.open({ dir, ...options });
        for (let i = 0; i < 10; i++) log.enqueue(entryBytes(i, 50));
        const first = await log.commit();
        for (let i = 10; i < 20; i++) log.enqueue(entryBytes(i, 50));
        const second = await log.commit();
        await log.close();
        const fd = openSync(join(dir, 'fasterlog.commits.0'), 'r+');
        writeSync(fd, Buffer.from([0xff, 0xff]), 0, 2, newestRingRecord(dir) + 40);
        closeSync(fd);
        const back = await FasterLog.open({ dir, ...options });
        expect(back.recoveryReport.damagedMetadataRecords).toBe(1);
        expect(back.committedUntilAddress).toBe(fastCommit ? second : first);
        expect(scanAll(back).length).toBe(fastCommit ? 20 : 10);
        await back.close();
      });
  });

  it('refuses a log whose commit metadata is gone rather than guess', async () => {
    const dir = tempDir();
    const log = await FasterLog.open({ dir, ...small, engine });
    log.enqueue(entryBytes(1, 10));
    await log.close();
    rmSync(join(dir, 'fasterlog.commits.0'));
    await expect(FasterLog.open({ dir, ...small, engine })).rejects.toMatchObject(
      { code: 'ERR_CORRUPTION' });
  });

  it('ends the chain at the commit before a damaged commit record in the log', async () => {
    const storage = new FaultStorage();
    const options = { ...small, engine, commit: 'manual' as const };
    const first = await LogProcess.open(storage, options);
    const untils: number[] = [];
    for (let c = 0; c < 4; c++) {
      for (let i = 0; i < 5; i++) first.log.enqueue(entryBytes(c * 5 + i, 70));
      untils.push(await first.log.commit());
    }
    first.kill();
    const device = storage.openDevice('fasterlog.log', { segmentBytes: SEGMENT });
    const recordAt = untils[2]! - 40;
    const sector = new Uint8Array(device.sectorBytes);
    const at = recordAt - (recordAt % sector.length);
    device.readSync(sector, at);
    sector[recordAt - at]! ^= 1;
    device.writeSync(sector, at);
    device.syncSync();
    const second = await LogProcess.open(storage, options);
    expect(second.log.committedUntilAddress).toBe(untils[1]);
    expect(second.log.recoveryReport.discardedBytes).toBeGreaterThan(0);
    expect(scanAll(second.log).length).toBe(10);
    await second.log.close();
  });
});
