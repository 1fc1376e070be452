/**
 * Scans: bounds, sync and async forms over memory and device pages, named iterators that
 * resume after a restart, following a live log, uncommitted scans, and consumers that
 * truncate what they consumed.
 */
import { describe, expect, it } from 'vitest';
import { FasterLog } from '../../../src/index.js';
import { entrySize } from '../../../src/fasterlog/log-entry.js';
import { availableEngines } from '../../../src/native.js';
import { MemoryStorage } from '../../../src/storage/memory-storage.js';
import { expectBytes } from '../../support/bytes.js';
import { EntryModel, entryBytes, scanAll } from '../../support/fasterlog.js';
import { seededPrng } from '../../support/prng.js';
import { tempDir } from '../../support/temp-dir.js';

const PAGE = 4096;
const small = { pageBytes: PAGE, memoryBytes: 4 * PAGE, segmentBytes: 4 * PAGE };

describe.each(availableEngines())('FasterLog scans (%s engine)', (engine) => {
  const options = { ...small, engine };

  it('returns the same entries sync and async, across device and memory pages', async () => {
    const model = new EntryModel(seededPrng(), 1500);
    const log = await FasterLog.open({ dir: tempDir(), ...options });
    model.enqueue(log, 300);
    await log.commit();
    expect(log.beginAddress).toBe(64);
    const sync = scanAll(log);
    const async: typeof sync = [];
    for await (const entry of log.scan()) async.push(entry);
    expect(async.map((e) => e.address)).toEqual(model.entries.map((e) => e.address));
    for (const [i, entry] of async.entries()) {
      expectBytes(entry.entry, model.entries[i]!.bytes, `async entry ${i}`);
      expectBytes(sync[i]!.entry, model.entries[i]!.bytes, `sync entry ${i}`);
      expect(entry.nextAddress).toBe(entry.address + entrySize(entry.entry.length));
      expect(sync[i + 1]?.address ?? Infinity).toBeGreaterThanOrEqual(entry.nextAddress);
    }
    await log.close();
  });

  it('honours from and to, and ends at the committed-until address', async () => {
    const log = await FasterLog.open({ storage: new MemoryStorage(), ...options,
      commit: 'manual' });
    const addresses = Array.from({ length: 20 }, (_, i) => log.enqueue(entryBytes(i, 30)));
    await log.commit();
    log.enqueue(entryBytes(20, 30));
    expect(scanAll(log, { from: addresses[5], to: addresses[9] }).map((e) => e.address))
      .toEqual(addresses.slice(5, 9));
    expect(scanAll(log, { from: addresses[18] }).length).toBe(2);
    expect(scanAll(log, { uncommitted: true }).length).toBe(21);
    await log.close({ commit: false });
  });

  it('resumes a named iterator where completeUntil left it, once a commit persisted it',
    async () => {
      const dir = tempDir();
      const log = await FasterLog.open({ dir, ...options });
      const addresses = Array.from({ length: 30 }, (_, i) => log.enqueue(entryBytes(i, 40)));
      await log.commit();
      const consumer = log.scan({ name: 'consumer-a' });
      let last = consumer.next()!;
      for (let i = 1; i < 10; i++) last = consumer.next()!;
      consumer.completeUntil(last.nextAddress);
      expect(() => log.scan({ name: 'consumer-a' })).toThrow(/no other open iterator/);
      consumer.close();
      expect(log.iteratorPositions()).toEqual([{ name: 'consumer-a',
        completedUntilAddress: addresses[10], committedAddress: undefined, open: false }]);
      await log.commit();
      expect(log.iteratorPositions()[0]!.committedAddress).toBe(addresses[10]);
      await log.close();

      const again = await FasterLog.open({ dir, ...options });
      expect(again.recoveryReport.iterators).toEqual({ 'consumer-a': addresses[10] });
      expect(again.scan({ name: 'consumer-a' }).next()?.address).toBe(addresses[10]);
      await again.close();
    });

  it('frees a name when its scan ends, and still takes completeUntil after the loop',
    async () => {
      const log = await FasterLog.open({ storage: new MemoryStorage(), ...options });
      for (let i = 0; i < 5; i++) log.enqueue(entryBytes(i, 20));
      await log.commit();
      const consumer = log.scan({ name: 'batch-job' });
      let last = 0;
      for await (const { nextAddress } of consumer) last = nextAddress;
      consumer.completeUntil(last);
      expect(log.iteratorPositions()).toMatchObject([{ name: 'batch-job',
        completedUntilAddress: last, open: false }]);
      expect(log.scan({ name: 'batch-job' }).next()).toBeUndefined();
      await log.close();
    });

  it('forgets a removed named iterator with the next commit', async () => {
    const dir = tempDir();
    const log = await FasterLog.open({ dir, ...options });
    await log.enqueueAndWaitForCommit(entryBytes(1, 10));
    const it1 = log.scan({ name: 'gone' });
    it1.completeUntil(it1.next()!.nextAddress);
    it1.close();
    await log.commit();
    expect(log.removeIterator('gone')).toBe(true);
    expect(log.removeIterator('gone')).toBe(false);
    await log.close();
    const again = await FasterLog.open({ dir, ...options });
    expect(again.iteratorPositions()).toEqual([]);
    await again.close();
  });

  it('follows a live log: a tailing scan gets entries as they are committed', async () => {
    const log = await FasterLog.open({ storage: new MemoryStorage(), ...options });
    const received: number[] = [];
    const consumer = (async () => {
      for await (const { entry } of log.scan({ follow: true })) {
        received.push(new DataView(entry.buffer, entry.byteOffset).getUint32(0, true));
        if (received.length === 50) break;
      }
    })();
    for (let i = 0; i < 50; i++) {
      await log.enqueueAndWaitForCommit(entryBytes(i, 64));
      if (i % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await consumer;
    expect(received).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(log.iteratorPositions()).toEqual([]);
    await log.close();
  });

  it('ends a following scan when the log closes', async () => {
    const log = await FasterLog.open({ storage: new MemoryStorage(), ...options });
    const iterator = log.scan({ follow: true, uncommitted: true });
    const next = iterator.nextAsync();
    log.enqueue(entryBytes(7, 10));
    expect((await next)?.entry).toEqual(entryBytes(7, 10));
    const waiting = iterator.nextAsync();
    await log.close();
    expect(await waiting).toBeUndefined();
  });

  it('lets a consumer truncate what it consumed, and a reopen starts there', async () => {
    const dir = tempDir();
    const log = await FasterLog.open({ dir, ...options });
    const model = new EntryModel(seededPrng(), 600);
    model.enqueue(log, 200);
    await log.commit();
    const consumer = log.scan({ name: 'worker' });
    let consumed = 0;
    for (let entry = consumer.next(); entry !== undefined; entry = consumer.next()) {
      expectBytes(entry.entry, model.entries[consumed]!.bytes);
      consumed++;
      if (consumed % 25 === 0) {
        consumer.completeUntil(entry.nextAddress);
        log.truncateUntil(entry.nextAddress);
        await log.commit();
      }
    }
    expect(consumed).toBe(200);
    expect(log.beginAddress).toBe(model.entries[199]!.address + 8 +
      Math.ceil(model.entries[199]!.bytes.length / 8) * 8);
    consumer.close();
    await log.close();
    const again = await FasterLog.open({ dir, ...options });
    expect(scanAll(again)).toEqual([]);
    expect(again.beginAddress).toBe(log.beginAddress);
    await again.close();
  });

  it('continues at the begin address when a truncation passes a scan', async () => {
    const log = await FasterLog.open({ storage: new MemoryStorage(), ...options });
    const addresses = Array.from({ length: 100 }, (_, i) => log.enqueue(entryBytes(i, 100)));
    await log.commit();
    const iterator = log.scan();
    iterator.next();
    log.truncateUntil(addresses[60]!);
    await log.commit();
    expect(iterator.next()?.address).toBe(addresses[60]);
    await log.close();
  });
});
