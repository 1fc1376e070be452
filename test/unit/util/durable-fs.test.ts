/**
 * durable-fs: atomic replacement, durable removal and directory creation, and the directory
 * fsyncs each one owes.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { availableEngines, selectBinding, type NativeBinding } from '../../../src/native.js';
import {
  ensureDirectory, isTemporaryFileName, readFileFully, removeFileDurable, renameDurable,
  writeFileAtomic,
} from '../../../src/util/durable-fs.js';
import { tempDir } from '../../support/temp-dir.js';

/** The binding with its fsyncDirectory calls recorded. */
function recordingDirectorySyncs(binding: NativeBinding): {
  binding: NativeBinding; synced: string[];
} {
  const synced: string[] = [];
  const recorded = new Proxy(binding, {
    get(target, key) {
      const value = Reflect.get(target, key) as unknown;
      if (key === 'fsyncDirectory') {
        return (dir: string) => {
          synced.push(dir);
          target.fsyncDirectory(dir);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { binding: recorded, synced };
}

describe.each(availableEngines())('durable-fs on the %s engine', (engine) => {
  const binding = selectBinding(engine);

  it('writeFileAtomic creates and replaces a file, leaves no temporary, fsyncs the dir', () => {
    const dir = tempDir();
    const { binding: recorded, synced } = recordingDirectorySyncs(binding);
    const path = join(dir, 'meta.dat');
    writeFileAtomic(recorded, path, new Uint8Array([1, 2, 3]));
    writeFileAtomic(recorded, path, new Uint8Array([4, 5]));
    expect([...readFileSync(path)]).toEqual([4, 5]);
    expect(readdirSync(dir)).toEqual(['meta.dat']);
    expect(synced).toEqual([dir, dir]);
    writeFileAtomic(recorded, path, new Uint8Array(0));
    expect(readFileSync(path).length).toBe(0);
  });

  it('writeFileAtomic into a missing directory is ERR_IO ENOENT and leaves nothing', () => {
    const dir = join(tempDir(), 'missing');
    expect(() => writeFileAtomic(binding, join(dir, 'x'), new Uint8Array(1))).toThrow(
      expect.objectContaining({ code: 'ERR_IO', errno: 'ENOENT' }));
    expect(existsSync(dir)).toBe(false);
  });

  it('readFileFully returns the bytes, or undefined for a missing file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a'), Buffer.from('hello'));
    expect(Buffer.from(readFileFully(binding, join(dir, 'a'))!).toString()).toBe('hello');
    expect(readFileFully(binding, join(dir, 'b'))).toBeUndefined();
    expect(() => readFileFully(binding, dir)).toThrow(expect.objectContaining({ code: 'ERR_IO' }));
  });

  it('removeFileDurable removes, fsyncs the directory, and tolerates a missing file', () => {
    const dir = tempDir();
    const { binding: recorded, synced } = recordingDirectorySyncs(binding);
    writeFileSync(join(dir, 'a'), 'x');
    expect(removeFileDurable(recorded, join(dir, 'a'))).toBe(true);
    expect(removeFileDurable(recorded, join(dir, 'a'))).toBe(false);
    expect(existsSync(join(dir, 'a'))).toBe(false);
    expect(synced).toEqual([dir]);
  });

  it('renameDurable moves a file and fsyncs both directories', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'a'), 'x');
    const { binding: recorded, synced } = recordingDirectorySyncs(binding);
    renameDurable(recorded, join(dir, 'a'), join(dir, 'sub', 'b'));
    expect(readFileSync(join(dir, 'sub', 'b'), 'utf8')).toBe('x');
    expect(synced).toEqual([join(dir, 'sub'), dir]);
  });

  it('ensureDirectory creates missing ancestors and fsyncs each parent', () => {
    const dir = tempDir();
    const { binding: recorded, synced } = recordingDirectorySyncs(binding);
    ensureDirectory(recorded, join(dir, 'a', 'b'));
    expect(existsSync(join(dir, 'a', 'b'))).toBe(true);
    expect(synced).toEqual([dir, join(dir, 'a')]);
    ensureDirectory(recorded, join(dir, 'a', 'b'));
    expect(synced.length).toBe(2);
    writeFileSync(join(dir, 'file'), 'x');
    expect(() => ensureDirectory(recorded, join(dir, 'file'))).toThrow(
      expect.objectContaining({ code: 'ERR_IO', errno: 'ENOTDIR' }));
  });

  it('recognises the temporary files it writes', () => {
    expect(isTemporaryFileName('meta.dat.tmp-0a1b2c')).toBe(true);
    expect(isTemporaryFileName('meta.dat')).toBe(false);
  });
});
