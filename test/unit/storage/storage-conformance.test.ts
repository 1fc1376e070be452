/**
 * The Storage contract (src/storage/storage.ts), checked on DirectoryStorage (each engine),
 * MemoryStorage and FaultStorage.
 */
import { describe, expect, it } from 'vitest';
import { availableEngines, selectBinding } from '../../../src/native.js';
import { DirectoryStorage } from '../../../src/storage/directory-storage.js';
import { FaultStorage } from '../../../src/storage/fault-storage.js';
import { MemoryStorage } from '../../../src/storage/memory-storage.js';
import type { Storage } from '../../../src/storage/storage.js';
import { expectBytes } from '../../support/bytes.js';
import { tempDir } from '../../support/temp-dir.js';

const SECTOR = 4096;
const SEGMENT = 2 * SECTOR;

interface Subject {
  label: string;
  open(): Storage;
}

const subjects: Subject[] = [
  ...availableEngines().map((engine): Subject => ({
    label: `DirectoryStorage(${engine})`,
    open: () => new DirectoryStorage(tempDir(), selectBinding(engine)),
  })),
  { label: 'MemoryStorage', open: () => new MemoryStorage() },
  { label: 'FaultStorage', open: () => new FaultStorage() },
];

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : new TextDecoder().decode(b);

describe.each(subjects)('$label', (subject) => {
  it('reads back what writeFileAtomic wrote, and the latest write wins', () => {
    const storage = subject.open();
    storage.writeFileAtomic('meta', text('one'));
    storage.writeFileAtomic('meta', text('two'));
    storage.writeFileAtomic('cpr-checkpoints/t1/info.dat', text('deep'));
    storage.writeFileAtomic('empty', new Uint8Array(0));
    expect(decode(storage.readFile('meta'))).toBe('two');
    expect(decode(storage.readFile('cpr-checkpoints/t1/info.dat'))).toBe('deep');
    expect(storage.readFile('empty')).toEqual(new Uint8Array(0));
    storage.close();
  });

  it('keeps its own copy of the bytes on write and on read', () => {
    const storage = subject.open();
    const bytes = text('abc');
    storage.writeFileAtomic('f', bytes);
    bytes[0] = 0x7a;
    const read = storage.readFile('f')!;
    read[1] = 0x7a;
    expect(decode(storage.readFile('f'))).toBe('abc');
    storage.close();
  });

  it('reads a missing file as undefined, even under a missing directory', () => {
    const storage = subject.open();
    expect(storage.readFile('nothing')).toBeUndefined();
    expect(storage.readFile('no/such/dir/file')).toBeUndefined();
    storage.close();
  });

  it('lists files and device segments by prefix, sorted', () => {
    const storage = subject.open();
    for (const name of ['b', 'a', 'cpr/t2/info', 'cpr/t1/info', 'cprx']) {
      storage.writeFileAtomic(name, text(name));
    }
    const device = storage.openDevice('log/hlog', { segmentBytes: SEGMENT });
    device.writeSync(new Uint8Array(SECTOR), SEGMENT);
    device.writeSync(new Uint8Array(SECTOR), 3 * SEGMENT);
    expect(storage.list()).toEqual(
      ['a', 'b', 'cpr/t1/info', 'cpr/t2/info', 'cprx', 'log/hlog.1', 'log/hlog.3']);
    expect(storage.list('cpr/')).toEqual(['cpr/t1/info', 'cpr/t2/info']);
    expect(storage.list('cpr')).toEqual(['cpr/t1/info', 'cpr/t2/info', 'cprx']);
    expect(storage.list('log/hlog.')).toEqual(['log/hlog.1', 'log/hlog.3']);
    expect(storage.list('zzz')).toEqual([]);
    device.close();
    storage.close();
  });

  it('removes files and segments durably, and a missing name is no error', () => {
    const storage = subject.open();
    storage.writeFileAtomic('x/y', text('1'));
    const device = storage.openDevice('dev', { segmentBytes: SEGMENT });
    device.writeSync(new Uint8Array(SECTOR).fill(1), 0);
    device.close();
    storage.remove('x/y');
    storage.remove('x/y');
    storage.remove('dev.0');
    expect(storage.readFile('x/y')).toBeUndefined();
    expect(storage.list()).toEqual([]);
    storage.close();
  });

  it('gives a reopened device the bytes written through the earlier one', () => {
    const storage = subject.open();
    const first = storage.openDevice('store/hlog.log', { segmentBytes: SEGMENT });
    const bytes = new Uint8Array(3 * SECTOR).map((_, i) => i * 7);
    first.writeSync(bytes, SECTOR);
    first.syncSync();
    first.close();
    const again = storage.openDevice('store/hlog.log', { segmentBytes: SEGMENT });
    const back = new Uint8Array(bytes.length);
    again.readSync(back, SECTOR);
    expectBytes(back, bytes);
    expect(again.segmentRange()).toEqual({ start: 0, end: 2 });
    again.close();
    storage.close();
  });

  it('refuses names that escape the storage or are reserved', () => {
    const storage = subject.open();
    const bad = ['', '/etc/passwd', '../up', 'a/../../b', 'a/./b', 'a//b', 'a/', 'a\\b',
      'LOCK', 'meta.tmp-1234', 'nul\0'];
    for (const name of bad) {
      const refused = expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT',
        message: expect.stringContaining('relative path inside the storage') });
      expect(() => storage.writeFileAtomic(name, text('x'))).toThrow(refused);
      expect(() => storage.readFile(name)).toThrow(refused);
      expect(() => storage.remove(name)).toThrow(refused);
      expect(() => storage.openDevice(name, { segmentBytes: SEGMENT })).toThrow(refused);
    }
    expect(() => storage.list('../')).toThrow(expect.objectContaining({
      code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => storage.list('/abs')).toThrow(/prefix must be a relative path/);
    storage.close();
  });

  it('lets one writer hold the lock at a time', () => {
    const storage = subject.open();
    const release = storage.lock();
    expect(() => storage.lock()).toThrow(expect.objectContaining({ code: 'ERR_LOCKED' }));
    release();
    release();
    const again = storage.lock();
    again();
    storage.lock();
    storage.close();
  });

  it('fails every call with ERR_CLOSED after close()', () => {
    const storage = subject.open();
    storage.close();
    storage.close();
    const closed = expect.objectContaining({ code: 'ERR_CLOSED' });
    expect(() => storage.writeFileAtomic('a', text('x'))).toThrow(closed);
    expect(() => storage.readFile('a')).toThrow(closed);
    expect(() => storage.list()).toThrow(closed);
    expect(() => storage.remove('a')).toThrow(closed);
    expect(() => storage.lock()).toThrow(closed);
    expect(() => storage.openDevice('d', { segmentBytes: SEGMENT })).toThrow(closed);
  });
});
