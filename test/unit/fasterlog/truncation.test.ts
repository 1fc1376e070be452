/**
 * Truncation and retention: whole segments below the begin address are deleted once a
 * commit persists it (disk usage drops, measured in file sizes), and retention truncates by
 * size and age without passing a named iterator that has not consumed the data.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FasterLog } from '../../../src/index.js';
import { availableEngines } from '../../../src/native.js';
import { entryBytes, scanAll } from '../../support/fasterlog.js';
import { tempDir } from '../../support/temp-dir.js';

const PAGE = 4096;
const SEGMENT = 4 * PAGE;
const small = { pageBytes: PAGE, memoryBytes: 4 * PAGE, segmentBytes: SEGMENT };

/** Bytes the log's segment files take, and which segments exist. */
function segments(dir: string): { bytes: number; numbers: number[] } {
  const names = readdirSync(dir).filter((n) => n.startsWith('fasterlog.log.'));
  const numbers = names.map((n) => Number(n.slice('fasterlog.log.'.length))).sort((a, b) => a - b);
  const bytes = names.reduce((sum, n) => sum + statSync(join(dir, n)).size, 0);
  return { bytes, numbers };
}

/** Waits (bounded) until `condition` holds; retention runs on its own schedule. */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await sleep(10);
  expect(condition(), what).toBe(true);
}

describe.each(availableEngines())('FasterLog truncation (%s engine)', (engine) => {
  describe.each([true, false])('with fastCommit %s', (fastCommit) => {
    const options = { ...small, engine, fastCommit };

    it('deletes whole segments below the begin address once a commit persists it',
      async () => {
        const dir = tempDir();
        const log = await FasterLog.open({ dir, ...options });
        const addresses: number[] = [];
        while (log.tailAddress < 5 * SEGMENT + 1000) {
          addresses.push(log.enqueue(entryBytes(1, 500)));
        }
        await log.commit();
        const before = segments(dir);
        expect(before.numbers).toEqual([0, 1, 2, 3, 4, 5]);
        const cut = addresses.find((a) => a >= 3 * SEGMENT + 100)!;
        log.truncateUntil(cut);
        expect(segments(dir).numbers, 'nothing deleted before the commit').toEqual(
          before.numbers);
        await log.commit();
        const after = segments(dir);
        expect(after.numbers).toEqual([3, 4, 5]);
        expect(after.bytes).toBeLessThanOrEqual(before.bytes - 3 * SEGMENT);
        expect(scanAll(log)[0]!.address).toBe(cut);
        await log.close();
        const again = await FasterLog.open({ dir, ...options });
        expect(again.beginAddress).toBe(cut);
        expect(scanAll(again).map((e) => e.address)).toEqual(addresses.filter((a) => a >= cut));
        await again.close();
      });

    it('refuses to truncate at an address inside an entry', async () => {
      const log = await FasterLog.open({ dir: tempDir(), ...options });
      const a = log.enqueue(entryBytes(1, 100));
      await log.commit();
      expect(() => log.truncateUntil(a + 16)).toThrow(/address of an entry/);
      log.truncateUntil(a);
      expect(log.beginAddress).toBe(64);
      await log.close();
    });

    it('keeps the log within retention.maxBytes by dropping whole segments', async () => {
      const dir = tempDir();
      const log = await FasterLog.open({ dir, ...options,
        retention: { maxBytes: 3 * SEGMENT } });
      for (let i = 0; i < 400; i++) await log.enqueueAndWaitForCommit(entryBytes(i, 300));
      await log.commit();
      const { bytes, numbers } = segments(dir);
      expect(numbers[0]).toBeGreaterThan(0);
      expect(bytes).toBeLessThanOrEqual(4 * SEGMENT);
      expect(log.beginAddress % SEGMENT).toBe(0);
      const entries = scanAll(log);
      expect(entries[entries.length - 1]!.entry).toEqual(entryBytes(399, 300));
      await log.close();
    });

    it('never truncates past a named iterator unless told to drop unconsumed data',
      async () => {
        const dir = tempDir();
        const log = await FasterLog.open({ dir, ...options,
          retention: { maxBytes: 2 * SEGMENT } });
        const first = log.enqueue(entryBytes(0, 100));
        await log.commit();
        const reader = log.scan({ name: 'slow-reader' });
        reader.completeUntil(reader.next()!.address);
        reader.close();
        for (let i = 1; i < 300; i++) await log.enqueueAndWaitForCommit(entryBytes(i, 300));
        expect(log.beginAddress).toBe(64);
        expect(scanAll(log)[0]!.address).toBe(first);
        await log.close();

        const forced = await FasterLog.open({ dir, ...options,
          retention: { maxBytes: 2 * SEGMENT, dropUnconsumed: true } });
        await forced.enqueueAndWaitForCommit(entryBytes(300, 300));
        await forced.commit();
        expect(forced.beginAddress).toBeGreaterThan(SEGMENT);
        expect(forced.iteratorPositions()[0]!.completedUntilAddress).toBe(forced.beginAddress);
        await forced.close();
      });

    it('drops segments older than retention.maxAgeMs', async () => {
      const dir = tempDir();
      const log = await FasterLog.open({ dir, ...options, retention: { maxAgeMs: 30 } });
      while (log.tailAddress < 3 * SEGMENT) log.enqueue(entryBytes(1, 500));
      await log.commit();
      await sleep(40);
      await log.enqueueAndWaitForCommit(entryBytes(2, 10));
      await eventually(() => segments(dir).numbers[0] === 3, 'old segments dropped');
      expect(scanAll(log).map((e) => e.entry)).toEqual([entryBytes(2, 10)]);
      await log.close();
    });
  });
});

describe.each(availableEngines())('FasterLog formatting ahead (%s engine)', (engine) => {
  const options = { pageBytes: PAGE, memoryBytes: 4 * PAGE, segmentBytes: 1 << 20, engine };

  it('keeps zeros written ahead of the tail, and never over an entry', async () => {
    const dir = tempDir();
    const log = await FasterLog.open({ dir, ...options });
    const addresses: number[] = [];
    for (let i = 0; i < 100; i++) {
      addresses.push(await log.enqueueAndWaitForCommit(entryBytes(i, 500)));
    }
    const tail = log.tailAddress;
    const file = join(dir, 'fasterlog.log.0');
    expect(statSync(file).size).toBeGreaterThanOrEqual(tail + 16 * 1024);
    const bytes = readFileSync(file);
    expect(bytes.subarray(Math.ceil(tail / 4096) * 4096).every((b) => b === 0)).toBe(true);
    await log.close();
    const again = await FasterLog.open({ dir, ...options });
    expect(again.recoveryReport.discardedBytes).toBe(0);
    expect(scanAll(again).map((e) => e.address)).toEqual(addresses);
    await again.close();
  });

  it('leaves the file at the tail with formatAheadBytes: 0', async () => {
    const dir = tempDir();
    const log = await FasterLog.open({ dir, ...options, formatAheadBytes: 0 });
    for (let i = 0; i < 20; i++) await log.enqueueAndWaitForCommit(entryBytes(i, 500));
    expect(statSync(join(dir, 'fasterlog.log.0')).size).toBeLessThanOrEqual(
      Math.ceil(log.tailAddress / 4096) * 4096);
    await log.close();
  });
});
