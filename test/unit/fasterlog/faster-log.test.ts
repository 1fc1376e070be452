/**
 * FasterLog basics on each engine: append, commit, scan, read, reopen, and bad input.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FasterLog } from '../../../src/fasterlog/faster-log.js';
import { availableEngines } from '../../../src/native.js';
import { MemoryStorage } from '../../../src/storage/memory-storage.js';
import { expectBytes } from '../../support/bytes.js';
import { EntryModel, entryBytes, expectEntries, scanAll } from '../../support/fasterlog.js';
import { seededPrng } from '../../support/prng.js';
import { tempDir } from '../../support/temp-dir.js';

const PAGE = 4096;
const small = { pageBytes: PAGE, memoryBytes: 4 * PAGE, segmentBytes: 16 * PAGE };

describe.each(availableEngines())('FasterLog (%s engine)', (engine) => {
  describe.each([true, false])('with fastCommit %s', (fastCommit) => {
    const options = { ...small, engine, fastCommit };

    it('gives back every committed entry, byte for byte, after a reopen', async () => {
      const dir = tempDir();
      const model = new EntryModel(seededPrng());
      const log = await FasterLog.open({ dir, ...options });
      expect(log.engine).toBe(engine);
      expect(log.recoveryReport.created).toBe(true);
      model.enqueue(log, 500);
      const until = await log.commit();
      expect(until).toBe(log.committedUntilAddress);
      expect(until).toBe(log.tailAddress);
      expectEntries(log, model.entries, 'before close');
      await log.close();

      const again = await FasterLog.open({ dir, ...options });
      expect(again.recoveryReport).toMatchObject({
        created: false, committedUntilAddress: until, discardedBytes: 0, truncatedBytes: 0,
      });
      expectEntries(again, model.entries, 'after reopen');
      model.enqueue(again, 300);
      await again.commit();
      await again.close();
      const third = await FasterLog.open({ dir, ...options });
      expectEntries(third, model.entries, 'after a second reopen');
      await third.close();
    });

    it('keeps entries on one page each, padding page ends explicitly', async () => {
      const log = await FasterLog.open({ dir: tempDir(), ...options });
      const sizes = [PAGE - 8, 1, PAGE - 8 - 16, 100, 2000, 2000, 2000, 0];
      const addresses = sizes.map((n, i) => log.enqueue(entryBytes(i, n)));
      for (const [i, address] of addresses.entries()) {
        const entryEnd = address + 8 + sizes[i]!;
        expect(Math.floor(address / PAGE), `entry ${i}`).toBe(Math.floor((entryEnd - 1) / PAGE));
      }
      await log.commit();
      const got = scanAll(log);
      expect(got.map((e) => e.entry.length)).toEqual(sizes);
      expect(got.map((e) => e.address)).toEqual(addresses);
      await log.close();
    });

    it('reads single entries by address, from memory and from the device', async () => {
      const model = new EntryModel(seededPrng(), 900);
      const log = await FasterLog.open({ dir: tempDir(), ...options });
      model.enqueue(log, 400);
      await log.commit();
      for (const appended of model.entries) {
        expectBytes(log.readSync(appended.address), appended.bytes, `entry ${appended.seq}`);
      }
      const reads = await Promise.all(model.entries.map((e) => log.read(e.address)));
      for (const [i, bytes] of reads.entries()) expectBytes(bytes, model.entries[i]!.bytes);
      await log.close();
    });

    it('commits a batch as one block and returns its first address', async () => {
      const log = await FasterLog.open({ dir: tempDir(), ...options });
      const batch = [entryBytes(1, 10), entryBytes(2, 0), entryBytes(3, 700)];
      const first = log.enqueueBatch(batch);
      await log.commit();
      const got = scanAll(log);
      expect(got[0]!.address).toBe(first);
      expect(got.map((e) => e.entry)).toEqual(batch);
      expect(got[2]!.nextAddress).toBe(got[2]!.address + 8 + 704);
      await log.close();
    });
  });

  // Commit records carry a time and a random writer nonce, so the byte-identical comparison
  // runs without them in the log (fastCommit: false); entries are laid out the same either way.
  it('writes the same log bytes as the other engine, and each reads the other', async () => {
      const engines = availableEngines();
      const images: Buffer[] = [];
      for (const writer of engines) {
        const dir = tempDir();
        const log = await FasterLog.open({ dir, ...small, engine: writer, fastCommit: false });
        for (let i = 0; i < 300; i++) log.enqueue(entryBytes(i, (i * 37) % 500));
        await log.commit();
        await log.close({ commit: false });
        const files = readdirSync(dir).filter((f) => f.startsWith('fasterlog.log.')).sort();
        images.push(Buffer.concat(files.map((f) => readFileSync(`${dir}/${f}`))));
        for (const reader of engines) {
          const back = await FasterLog.open({ dir, engine: reader });
          expect(scanAll(back).length, `${writer} written, ${reader} read`).toBe(300);
          await back.close({ commit: false });
        }
      }
      for (const image of images) expect(image.equals(images[0]!)).toBe(true);
    });

  it('refuses entries larger than a page and batches that do not fit one', async () => {
    const log = await FasterLog.open({ dir: tempDir(), ...small, engine });
    expect(() => log.enqueue(new Uint8Array(PAGE))).toThrow(
      expect.objectContaining({ code: 'ERR_RECORD_TOO_LARGE' }));
    expect(() => log.enqueueBatch([new Uint8Array(2000), new Uint8Array(2100)])).toThrow(
      expect.objectContaining({ code: 'ERR_RECORD_TOO_LARGE' }));
    await expect(log.enqueueAndWaitForCommit(new Uint8Array(PAGE + 1))).rejects.toMatchObject(
      { code: 'ERR_RECORD_TOO_LARGE' });
    expect(log.tailAddress).toBe(64);
    await log.close();
  });

  it('refuses reads below the begin address and at or above the tail', async () => {
    const log = await FasterLog.open({ dir: tempDir(), ...small, engine });
    const a = log.enqueue(entryBytes(1, 10));
    const b = log.enqueue(entryBytes(2, 10));
    await log.commit();
    log.truncateUntil(b);
    for (const address of [a, log.tailAddress, log.tailAddress + 8, -1, 1.5]) {
      expect(() => log.readSync(address), `address ${address}`).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    }
    await expect(log.read(a)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(() => log.readSync(b + 4)).toThrow(/not an entry address|ERR_CORRUPTION|damaged/);
    await log.close();
  });

  it('refuses bad options and arguments, naming them', async () => {
    const dir = tempDir();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ pageBytes: 3000 }, /pageBytes/], [{ memoryBytes: PAGE }, /memoryBytes/],
      [{ segmentBytes: 1024 }, /segmentBytes/], [{ commit: 'sometimes' }, /commit/],
      [{ commit: { groupMs: -1 } }, /groupMs/], [{ checksum: 'md5' }, /checksum/],
      [{ checksum: 'none' }, /fastCommit/], [{ onCorruption: 'ignore' }, /onCorruption/],
      [{ retention: {} }, /retention/], [{ recoverTo: -2 }, /recoverTo/],
    ];
    for (const [bad, message] of cases) {
      await expect(FasterLog.open({ dir, ...small, engine, ...bad } as never), JSON.stringify(bad))
        .rejects.toThrow(message);
    }
    const log = await FasterLog.open({ dir, ...small, engine });
    expect(() => log.enqueue('text' as never)).toThrow(/entry must be a Uint8Array/);
    expect(() => log.enqueueBatch([])).toThrow(/entries/);
    expect(() => log.truncateUntil(log.tailAddress + 8)).toThrow(/address/);
    expect(() => log.scan({ from: -1 })).toThrow(/from/);
    expect(() => log.scan({ name: '' })).toThrow(/name/);
    await expect(log.waitForCommit(log.tailAddress + 64)).rejects.toThrow(/address/);
    await expect(log.commit({ commitNumber: 0 })).rejects.toThrow(/commitNumber/);
    await expect(log.commit({ cookie: new Uint8Array(4009) })).rejects.toThrow(
      /cookie must be a Uint8Array of at most 4008 bytes/);
    const names = Array.from({ length: 40 }, (_, i) => `${'n'.repeat(120)}-${i}`);
    let opened = 0;
    expect(() => {
      for (const name of names) {
        log.scan({ name }).close();
        opened++;
      }
    }).toThrow(/fit in a commit record within a page/);
    expect(opened).toBe(30);
    await log.close();
  });

  it('keeps a second writer out of the directory while the first has it open', async () => {
    const dir = tempDir();
    const log = await FasterLog.open({ dir, ...small, engine });
    await expect(FasterLog.open({ dir, ...small, engine })).rejects.toMatchObject(
      { code: 'ERR_LOCKED' });
    await log.close();
    const next = await FasterLog.open({ dir, ...small, engine });
    await next.close();
  });

  it('refuses a different page or segment size than the log was created with', async () => {
    const dir = tempDir();
    const log = await FasterLog.open({ dir, ...small, engine });
    log.enqueue(entryBytes(1, 10));
    await log.close();
    await expect(FasterLog.open({ dir, ...small, pageBytes: 2 * PAGE, engine })).rejects
      .toThrow(/pageBytes must be 4096/);
    const again = await FasterLog.open({ dir, engine });
    expect(again.pageBytes).toBe(PAGE);
    expect(again.segmentBytes).toBe(16 * PAGE);
    await again.close();
  });

  it('fails every call after close with ERR_CLOSED, and close is idempotent', async () => {
    const log = await FasterLog.open({ dir: tempDir(), ...small, engine });
    const waiting = log.waitForCommit(log.enqueue(entryBytes(1, 5)));
    await log.close({ commit: false });
    await log.close();
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    expect(() => log.enqueue(entryBytes(2, 5))).toThrow(
      expect.objectContaining({ code: 'ERR_CLOSED' }));
    expect(() => log.scan()).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }));
    await expect(log.commit()).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });

  it('runs on a MemoryStorage without touching the disk', async () => {
    const storage = new MemoryStorage();
    const log = await FasterLog.open({ storage, ...small, engine });
    const a = await log.enqueueAndWaitForCommit(entryBytes(9, 99));
    await log.close();
    const again = await FasterLog.open({ storage, engine });
    expect(scanAll(again).map((e) => e.address)).toEqual([a]);
    await again.close();
  });
});

describe.each(availableEngines())('FasterLog over reused frames (%s engine)', (engine) => {
  it('leaves zeros past every commit point on the device, frames being reused', async () => {
    const storage = new MemoryStorage();
    const prng = seededPrng();
    const log = await FasterLog.open({ storage, ...small, engine });
    const device = storage.openDevice('fasterlog.log', { segmentBytes: small.segmentBytes });
    const sector = new Uint8Array(device.sectorBytes);
    for (let commit = 0; commit < 60; commit++) {
      for (let i = 0; i < 1 + prng.int(6); i++) log.enqueue(entryBytes(i, prng.int(900)));
      const until = await log.commit();
      const at = until - (until % sector.length);
      device.readSync(sector, at);
      expect(sector.subarray(until - at).every((b) => b === 0), `commit ${commit}`).toBe(true);
    }
    expect(log.tailAddress).toBeGreaterThan(3 * small.memoryBytes);
    await log.close();
  });
});
