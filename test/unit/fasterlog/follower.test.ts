/**
 * Read-only followers (FASTER's RecoverReadOnly): another process follows a writer's commits
 * and sees every entry in order; in-process, a follower picks up commits, a writer's reopen
 * and truncation, and refuses writes.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FasterLog } from '../../../src/index.js';
import { availableEngines } from '../../../src/native.js';
import { MemoryStorage } from '../../../src/storage/memory-storage.js';
import { entryBytes, scanAll } from '../../support/fasterlog.js';
import { tempDir } from '../../support/temp-dir.js';

const PAGE = 4096;
const small = { pageBytes: PAGE, memoryBytes: 4 * PAGE, segmentBytes: 4 * PAGE };
const child = new URL('./follower.child.ts', import.meta.url).href;
const entry = fileURLToPath(new URL('../../support/ts-child-entry.mjs', import.meta.url));

function runFollower(dir: string, engine: string, count: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [entry, child, dir, engine, String(count)],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    proc.on('error', reject);
    proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as number[])
      : reject(new Error(`follower exited with ${code}`))));
  });
}

describe.each(availableEngines())('FasterLog followers (%s engine)', (engine) => {
  describe.each([true, false])('with fastCommit %s', (fastCommit) => {
    const options = { ...small, engine, fastCommit };

    it('lets another process follow the commits and see every entry in order', async () => {
      const dir = tempDir();
      const log = await FasterLog.open({ dir, ...options });
      await log.enqueueAndWaitForCommit(entryBytes(0, 100));
      const total = 400;
      const following = runFollower(dir, engine, total);
      for (let i = 1; i < total; i++) {
        log.enqueue(entryBytes(i, 300));
        if (i % 20 === 0) {
          await log.commit();
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      }
      await log.commit();
      expect(await following).toEqual(Array.from({ length: total }, (_, i) => i));
      await log.close();
    });
  });

  it('picks up commits on refresh, a reopened writer, and truncation', async () => {
    const storage = new MemoryStorage();
    const writer = await FasterLog.open({ storage, ...small, engine, commit: 'manual' });
    const a = writer.enqueue(entryBytes(1, 10));
    const first = await writer.commit();
    const follower = await FasterLog.open({ storage, engine, readOnly: true });
    expect(scanAll(follower).map((e) => e.address)).toEqual([a]);
    const b = writer.enqueue(entryBytes(2, 10));
    expect(await follower.refresh(), 'nothing new is committed').toBe(first);
    await writer.commit();
    expect(await follower.refresh()).toBe(writer.committedUntilAddress);
    expect(scanAll(follower).map((e) => e.address)).toEqual([a, b]);
    await writer.close();
    const reopened = await FasterLog.open({ storage, engine, commit: 'manual' });
    const c = reopened.enqueue(entryBytes(3, 10));
    reopened.truncateUntil(b);
    await reopened.commit();
    await follower.refresh();
    expect(follower.beginAddress).toBe(b);
    expect(scanAll(follower).map((e) => e.address)).toEqual([b, c]);
    expect(follower.readSync(c)).toEqual(entryBytes(3, 10));
    await reopened.close();
    await follower.close();
  });

  it('refuses writes, named scans and uncommitted scans on a read-only log', async () => {
    const storage = new MemoryStorage();
    const writer = await FasterLog.open({ storage, ...small, engine });
    await writer.enqueueAndWaitForCommit(entryBytes(1, 10));
    const follower = await FasterLog.open({ storage, engine, readOnly: true });
    expect(follower.readOnly).toBe(true);
    expect(() => follower.enqueue(entryBytes(2, 10))).toThrow(/read-only/);
    await expect(follower.commit()).rejects.toThrow(/read-only/);
    expect(() => follower.truncateUntil(64)).toThrow(/read-only/);
    expect(() => follower.scan({ name: 'x' })).toThrow(/name/);
    expect(() => follower.scan({ uncommitted: true })).toThrow(/uncommitted/);
    await follower.close();
    await writer.close();
  });
});
