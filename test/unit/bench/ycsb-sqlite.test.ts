import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openPeer, PeerUnavailableError } from '../../../src/bench/ycsb/stores.js';

/** better-sqlite3 is a devDependency that compiles SQLite; the bench skips it where missing. */
function sqliteInstalled(): boolean {
  try {
    const Database = createRequire(import.meta.url)('better-sqlite3') as new (p: string) => {
      close(): void;
    };
    new Database(':memory:').close();
    return true;
  } catch {
    return false;
  }
}

describe.runIf(sqliteInstalled())('the better-sqlite3 YCSB peer', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function open() {
    dir = mkdtempSync(join(tmpdir(), 'fasterkv-sqlite-'));
    return openPeer('better-sqlite3', { dir, records: 100, valueBytes: 8 });
  }

  it('states that it never syncs, in WAL mode with synchronous=OFF', async () => {
    const store = await open();
    expect(store.name).toBe('better-sqlite3');
    expect(store.durability).toMatch(/WAL, synchronous=OFF/);
    await store.close();
  });

  it('reads back what a batch upserted, and the last of two upserts', async () => {
    const store = await open();
    const key = Buffer.from('key00001');
    store.batch(() => {
      store.update(key, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
      store.update(key, Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]));
    }, true);
    store.batch(() => {
      expect(store.read(key)).toEqual(Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]));
      expect(store.read(Buffer.from('missing!'))).toBeUndefined();
    }, false);
    await store.close();
  });

  it('adds one to the 8-byte counter on rmw, starting a missing key at 1', async () => {
    const store = await open();
    const key = Buffer.from('counter1');
    store.batch(() => {
      store.rmw(key);
      store.rmw(key);
      store.rmw(key);
    }, true);
    expect((store.read(key) as Buffer).readBigUInt64LE(0)).toBe(3n);
    await store.close();
  });

  it('rolls a batch back when one of its operations throws', async () => {
    const store = await open();
    const key = Buffer.from('rolled!!');
    expect(() => store.batch(() => {
      store.update(key, Buffer.alloc(8, 7));
      throw new Error('stop');
    }, true)).toThrow('stop');
    expect(store.read(key)).toBeUndefined();
    await store.close();
  });
});

describe('PeerUnavailableError', () => {
  it('names the peer and the first line of the reason', () => {
    const err = new PeerUnavailableError('better-sqlite3', new Error('Cannot find package\nstack'));
    expect(err.message).toBe('better-sqlite3 is not installed (Cannot find package)');
  });
});
