/**
 * Backpressure (a full buffer), a full disk during commits, a flaky device, and a slow device
 * with many committers (FASTER's LogShiftTailStressTest and FlakyDeviceTests).
 */
import { describe, expect, it } from 'vitest';
import { FasterLog, type FasterError } from '../../../src/index.js';
import { availableEngines } from '../../../src/native.js';
import { FaultStorage } from '../../../src/storage/fault-storage.js';
import { MemoryStorage } from '../../../src/storage/memory-storage.js';
import { LogProcess } from '../../support/fasterlog-crash.js';
import { EntryModel, entryBytes, expectEntries, scanAll } from '../../support/fasterlog.js';
import { seededPrng } from '../../support/prng.js';

const PAGE = 4096;
const small = { pageBytes: PAGE, memoryBytes: 2 * PAGE, segmentBytes: 8 * PAGE };

describe.each(availableEngines())('FasterLog under pressure and faults (%s engine)', (engine) => {
  describe.each([true, false])('with fastCommit %s', (fastCommit) => {
    const options = { ...small, engine, fastCommit };

    it('refuses tryEnqueue once the buffer is full and frees room in the background',
      async () => {
        const log = await FasterLog.open({ storage: new MemoryStorage(), ...options,
          commit: 'manual' });
        let accepted = 0;
        while (log.tryEnqueue(entryBytes(accepted, 200)) !== false) accepted++;
        expect(accepted * 208).toBeLessThanOrEqual(2 * PAGE);
        expect(accepted).toBeGreaterThan(10);
        const address = await log.enqueueAsync(entryBytes(accepted, 200));
        expect(address).toBeGreaterThanOrEqual(2 * PAGE);
        expect(log.tryEnqueue(entryBytes(accepted + 1, 200))).not.toBe(false);
        await log.commit();
        expect(scanAll(log).length).toBe(accepted + 2);
        await log.close();
      });

    it('never grows memory: enqueue writes pages itself when the buffer is full', async () => {
      const model = new EntryModel(seededPrng(), 1000);
      const log = await FasterLog.open({ storage: new MemoryStorage(), ...options,
        commit: 'manual' });
      model.enqueue(log, 2000);
      expect(log.tailAddress).toBeGreaterThan(100 * small.memoryBytes);
      expect(log.stats().memoryBytes).toBeLessThanOrEqual(small.memoryBytes);
      expect(log.stats().log!.syncFlushWaits).toBeGreaterThan(0);
      await log.commit();
      expectEntries(log, model.entries);
      await log.close();
    });

    it('fails commits with ERR_IO while the disk is full, and works on once space is freed',
      async () => {
        const storage = new FaultStorage();
        const process = await LogProcess.open(storage, { ...options, memoryBytes: 8 * PAGE });
        const log = process.log;
        const model = new EntryModel(seededPrng(), 200);
        model.enqueue(log, 20);
        const committed = await log.commit();
        storage.failNext({ op: 'write', errno: 'ENOSPC', count: Infinity });
        const failing = model.enqueue(log, 5);
        const errors = await Promise.allSettled(
          failing.map((e) => log.waitForCommit(e.address)).concat([log.commit()]));
        for (const result of errors) {
          expect(result.status).toBe('rejected');
          const error = (result as PromiseRejectedResult).reason as FasterError;
          expect(error).toMatchObject({ code: 'ERR_IO', errno: 'ENOSPC' });
        }
        expect(log.committedUntilAddress).toBe(committed);
        await expect(log.enqueueAndWaitForCommit(entryBytes(9, 9))).rejects.toMatchObject(
          { code: 'ERR_IO' });
        expect(log.committedUntilAddress).toBe(committed);
        storage.clearFaults();
        model.enqueue(log, 5);
        await log.commit();
        expect(log.committedUntilAddress).toBe(log.tailAddress);
        process.powerCut(1);
        const after = await LogProcess.open(storage, options);
        const entries = scanAll(after.log).map((e) => e.address);
        for (const e of model.entries) expect(entries).toContain(e.address);
        await after.log.close();
      });

    it('fails the appends of a commit that cannot even start, and goes on afterwards',
      async () => {
        const storage = new FaultStorage();
        const log = await FasterLog.open({ storage, ...options });
        storage.failNext({ op: 'write', errno: 'EIO', pathPrefix: 'fasterlog.commits' });
        await expect(log.enqueueAndWaitForCommit(entryBytes(1, 10))).rejects.toMatchObject(
          { code: 'ERR_IO', errno: 'EIO' });
        expect(log.stats().failedCommits).toBe(1);
        const address = await log.enqueueAndWaitForCommit(entryBytes(2, 10));
        expect(log.committedUntilAddress).toBeGreaterThan(address);
        expect(scanAll(log).length).toBe(2);
        await log.close();
      });

    it('keeps every acknowledged entry on a flaky device, committed never passing a failure',
      async () => {
        const prng = seededPrng();
        const storage = new FaultStorage();
        const process = await LogProcess.open(storage, { ...options, memoryBytes: 8 * PAGE });
        const log = process.log;
        const stopFaults = storage.failWhen(({ op }) =>
          (op === 'write' || op === 'sync') && prng.int(10) === 0 ? 'EIO' : undefined);
        const acknowledged: { address: number; bytes: Uint8Array }[] = [];
        let failures = 0;
        let lastCommitted = log.committedUntilAddress;
        for (let round = 0; round < 40; round++) {
          const batch = Array.from({ length: 1 + prng.int(8) }, (_, i) =>
            entryBytes(round * 10 + i, prng.int(300)));
          const results = await Promise.allSettled(batch.map(async (bytes) => {
            const address = await log.enqueueAndWaitForCommit(bytes);
            expect(log.committedUntilAddress).toBeGreaterThan(address);
            acknowledged.push({ address, bytes });
          }));
          failures += results.filter((r) => r.status === 'rejected').length;
          expect(log.committedUntilAddress).toBeGreaterThanOrEqual(lastCommitted);
          lastCommitted = log.committedUntilAddress;
        }
        stopFaults();
        expect(failures).toBeGreaterThan(0);
        process.powerCut(prng.nextU32());
        const after = await LogProcess.open(storage, options);
        const recovered = new Map(scanAll(after.log).map((e) => [e.address, e.entry]));
        for (const { address, bytes } of acknowledged) {
          expect(recovered.get(address), `acknowledged entry at ${address}`).toEqual(bytes);
        }
        await after.log.close();
      });

    it('neither deadlocks nor loses a commit with many committers on a slow device',
      async () => {
        const storage = new FaultStorage({ latencyMs: 15 });
        const log = await FasterLog.open({ storage, ...options, memoryBytes: 8 * PAGE });
        const calls: Promise<void>[] = [];
        for (let i = 0; i < 300; i++) {
          if (i % 3 === 0) {
            const tail = log.tailAddress;
            calls.push(log.commit().then((until) => expect(until).toBeGreaterThanOrEqual(tail)));
          } else {
            calls.push(log.enqueueAndWaitForCommit(entryBytes(i, 100)).then(() => undefined));
          }
          if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        await Promise.all(calls);
        expect(log.committedUntilAddress).toBe(log.tailAddress);
        expect(log.stats().commits).toBeLessThan(100);
        expect(scanAll(log).length).toBe(200);
        await log.close();
      });
  });
});
