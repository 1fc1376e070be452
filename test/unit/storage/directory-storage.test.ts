/**
 * DirectoryStorage beyond the shared contract: its files on disk, the directory writer lock
 * (second writers, stale locks) and cleanup of a crashed writer's temporaries.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { availableEngines, selectBinding } from '../../../src/native.js';
import { DirectoryStorage } from '../../../src/storage/directory-storage.js';
import { tempDir } from '../../support/temp-dir.js';

const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe.each(availableEngines())('DirectoryStorage on the %s engine', (engine) => {
  const binding = selectBinding(engine);
  const open = (dir: string) => new DirectoryStorage(dir, binding);

  it('keeps each file at its name under the directory', () => {
    const dir = tempDir();
    const storage = open(join(dir, 'store'));
    storage.writeFileAtomic('cpr/t1/info.dat', new Uint8Array([1, 2, 3]));
    expect([...readFileSync(join(dir, 'store', 'cpr', 't1', 'info.dat'))]).toEqual([1, 2, 3]);
    storage.close();
  });

  it('refuses a missing directory when asked not to create it', () => {
    const missing = join(tempDir(), 'absent');
    expect(() => new DirectoryStorage(missing, binding, { create: false })).toThrow(
      expect.objectContaining({ code: 'ERR_IO', errno: 'ENOENT', path: missing }));
    expect(existsSync(missing)).toBe(false);
  });

  it('creates no directory for a readOnly device: a missing one is ERR_IO ENOENT', () => {
    const dir = tempDir();
    const storage = open(dir);
    expect(() => storage.openDevice('sub/dev', { segmentBytes: 8192, readOnly: true })).toThrow(
      expect.objectContaining({ code: 'ERR_IO', errno: 'ENOENT', path: join(dir, 'sub') }));
    expect(existsSync(join(dir, 'sub'))).toBe(false);
    storage.close();
  });

  it('refuses a second writer on the same directory with ERR_LOCKED', () => {
    const dir = tempDir();
    const first = open(dir);
    const second = open(dir);
    const release = first.lock();
    expect(() => second.lock()).toThrow(expect.objectContaining({ code: 'ERR_LOCKED',
      message: expect.stringContaining(`process ${process.pid}`) }));
    expect(readFileSync(join(dir, 'LOCK'), 'utf8')).toMatch(new RegExp(`^${process.pid} `));
    release();
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
    second.lock();
    second.close();
    first.close();
  });

  it('takes over a lock whose holder has exited or belongs to an earlier boot', () => {
    const dir = tempDir();
    for (const stale of [`${deadPid()} ${bootId} ab`, `${process.pid} not-this-boot cd`]) {
      writeFileSync(join(dir, 'LOCK'), `${stale}\n`);
      const storage = open(dir);
      const release = storage.lock();
      expect(readFileSync(join(dir, 'LOCK'), 'utf8')).not.toContain(stale);
      release();
      storage.close();
    }
  });

  it('respects a lock held by another live process, and a lock it cannot read', async () => {
    const dir = tempDir();
    const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dir, 'LOCK'), `${holder.pid} ${bootId} ef\n`);
      const storage = open(dir);
      expect(() => storage.lock()).toThrow(expect.objectContaining({ code: 'ERR_LOCKED',
        message: expect.stringContaining(`process ${holder.pid}`) }));
      writeFileSync(join(dir, 'LOCK'), 'garbage\n');
      expect(() => storage.lock()).toThrow(expect.objectContaining({ code: 'ERR_LOCKED',
        message: expect.stringContaining('unknown process') }));
      storage.close();
    } finally {
      const exited = new Promise((resolve) => holder.once('exit', resolve));
      holder.kill();
      await exited;
    }
  });

  it('hides temporaries from list and removes them when the lock is taken', () => {
    const dir = tempDir();
    const storage = open(dir);
    storage.writeFileAtomic('sub/meta', new Uint8Array([1]));
    writeFileSync(join(dir, 'meta.tmp-0badc0de'), 'half');
    writeFileSync(join(dir, 'sub', 'meta.tmp-feedf00d'), 'half');
    expect(storage.list()).toEqual(['sub/meta']);
    const release = storage.lock();
    expect(readdirSync(dir).sort()).toEqual(['LOCK', 'sub']);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['meta']);
    release();
    storage.close();
  });

  it('removes a nested directory with its last file, and empty ones when the lock is taken',
    () => {
      const dir = tempDir();
      const storage = open(dir);
      storage.writeFileAtomic('cpr/t1/info.dat', new Uint8Array([1]));
      storage.writeFileAtomic('cpr/t1/index.dat', new Uint8Array([2]));
      storage.writeFileAtomic('cpr/t2/info.dat', new Uint8Array([3]));
      storage.remove('cpr/t1/info.dat');
      expect(readdirSync(join(dir, 'cpr')).sort()).toEqual(['t1', 't2']);
      storage.remove('cpr/t1/index.dat');
      expect(readdirSync(join(dir, 'cpr'))).toEqual(['t2']);
      storage.remove('cpr/t2/info.dat');
      // Top-level directories stay.
      expect(readdirSync(join(dir, 'cpr'))).toEqual([]);
      mkdirSync(join(dir, 'cpr', 'left-empty'));
      const release = storage.lock();
      expect(readdirSync(join(dir, 'cpr'))).toEqual([]);
      release();
      storage.close();
    });

  it('releases its lock on close', () => {
    const dir = tempDir();
    const storage = open(dir);
    storage.lock();
    storage.close();
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
  });
});
