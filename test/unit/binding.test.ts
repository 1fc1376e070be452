/**
 * The NativeBinding contract, run against every engine that can run here (the addon and the
 * pure-TypeScript twin): checksums, the key hash, and file I/O with its errors. Both engines
 * must give the same answers; the last block checks that directly on random data.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FasterError } from '../../src/errors.js';
import { availableEngines, selectBinding, type NativeBinding } from '../../src/native.js';
import { expectBytes } from '../support/bytes.js';
import { seededPrng } from '../support/prng.js';
import { tempDir } from '../support/temp-dir.js';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The error `fn` throws, checked to be a FasterError. */
function thrown(fn: () => unknown): FasterError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FasterError);
    return err as FasterError;
  }
  throw new Error('expected the call to throw');
}

function readAsync(b: NativeBinding, h: number, dst: Uint8Array, pos: number): Promise<number> {
  return new Promise((resolve, reject) => {
    b.fileRead(h, dst, pos, (err, n) => (err ? reject(err) : resolve(n)));
  });
}

function writeAsync(b: NativeBinding, h: number, src: Uint8Array, pos: number): Promise<number> {
  return new Promise((resolve, reject) => {
    b.fileWrite(h, src, pos, (err, n) => (err ? reject(err) : resolve(n)));
  });
}

function datasyncAsync(b: NativeBinding, h: number): Promise<void> {
  return new Promise((resolve, reject) => {
    b.fileDatasync(h, (err) => (err ? reject(err) : resolve()));
  });
}

/** Key hashes of 'abcdefghi'.slice(0, n) for n = 0..9, pinned from the TypeScript twin. */
const KEY_HASHES = [
  2286579148768015, 7987856262400075, 1887727973387748, 129892981773940, 218071814965854,
  4035881878328558, 5298645868057993, 2461778230795794, 4020710372394958, 6070395624184615,
];
/** Key hash of the 64 bytes 0, 1, ..., 63. */
const KEY_HASH_64 = 353765610522903;

describe.each(availableEngines())('NativeBinding, %s engine', (engine) => {
  const b = selectBinding(engine);

  describe('crc32c()', () => {
    it('matches the published CRC32C check values', () => {
      expect(b.crc32c(ascii('123456789'), 0)).toBe(0xe3069283);
      expect(b.crc32c(new Uint8Array(0), 0)).toBe(0);
      expect(b.crc32c(new Uint8Array(32), 0)).toBe(0x8a9136aa);
      expect(b.crc32c(new Uint8Array(32).fill(0xff), 0)).toBe(0x62a8ab43);
      expect(b.crc32c(new Uint8Array(32).map((_, i) => i), 0)).toBe(0x46dd794e);
      expect(b.crc32c(new Uint8Array(32).map((_, i) => 31 - i), 0)).toBe(0x113fdb5c);
    });

    it('extends: crc(a ‖ b) equals crc32c(b, crc32c(a, 0)) at every split point', () => {
      const rng = seededPrng();
      const data = rng.fill(new Uint8Array(300));
      const whole = b.crc32c(data, 0);
      for (let split = 0; split <= data.length; split++) {
        const head = b.crc32c(data.subarray(0, split), 0);
        expect(b.crc32c(data.subarray(split), head)).toBe(whole);
      }
    });

    it('reads views at any offset, including views over a SharedArrayBuffer', () => {
      const rng = seededPrng();
      const shared = new Uint8Array(new SharedArrayBuffer(1024));
      rng.fill(shared);
      for (let offset = 0; offset < 16; offset++) {
        const view = shared.subarray(offset, offset + 700);
        expect(b.crc32c(view, 7)).toBe(b.crc32c(view.slice(), 7));
      }
    });
  });

  describe('keyHash()', () => {
    it('gives the pinned values for short keys and a 64-byte key', () => {
      const got = KEY_HASHES.map((_, n) => b.keyHash(ascii('abcdefghi'.slice(0, n))));
      expect(got).toEqual(KEY_HASHES);
      expect(b.keyHash(new Uint8Array(64).map((_, i) => i))).toBe(KEY_HASH_64);
    });

    it('returns non-negative integers below 2^53', () => {
      const rng = seededPrng();
      for (let i = 0; i < 200; i++) {
        const h = b.keyHash(rng.fill(new Uint8Array(rng.int(40))));
        expect(Number.isSafeInteger(h) && h >= 0).toBe(true);
      }
    });
  });

  describe('synchronous file I/O', () => {
    it('writes and reads back at any position, and reports the file size', () => {
      const rng = seededPrng();
      const h = b.fileOpen(join(tempDir(), 'data'), true, false, false);
      const a = rng.fill(new Uint8Array(5000));
      const c = rng.fill(new Uint8Array(3000));
      b.fileWriteSync(h, a, 0);
      b.fileWriteSync(h, c, 8192);
      expect(b.fileSize(h)).toBe(8192 + 3000);
      const back = new Uint8Array(5000);
      expect(b.fileReadSync(h, back, 0)).toBe(5000);
      expectBytes(back, a);
      expect(b.fileReadSync(h, back.subarray(0, 3000), 8192)).toBe(3000);
      expectBytes(back.subarray(0, 3000), c);
      expect(b.fileIsDirect(h)).toBe(false);
      b.fileClose(h);
    });

    it('returns short counts for reads that cross or start past end of file', () => {
      const h = b.fileOpen(join(tempDir(), 'short'), true, false, false);
      b.fileWriteSync(h, new Uint8Array(5000).fill(1), 0);
      expect(b.fileReadSync(h, new Uint8Array(8192), 4096)).toBe(904);
      expect(b.fileReadSync(h, new Uint8Array(100), 10_000)).toBe(0);
      b.fileClose(h);
    });

    it('truncates, grows, allocates and syncs without changing written bytes', () => {
      const h = b.fileOpen(join(tempDir(), 'sized'), true, false, false);
      const data = new Uint8Array(4096).fill(9);
      b.fileWriteSync(h, data, 0);
      b.fileDatasyncSync(h);
      b.fileAllocate(h, 0, 65536);
      expect(b.fileSize(h)).toBe(65536);
      const back = new Uint8Array(4096);
      b.fileReadSync(h, back, 0);
      expectBytes(back, data);
      b.fileTruncate(h, 100);
      expect(b.fileSize(h)).toBe(100);
      b.fileTruncate(h, 1 << 20);
      expect(b.fileSize(h)).toBe(1 << 20);
      expect(b.fileReadSync(h, back, 200)).toBe(4096);
      expectBytes(back, new Uint8Array(4096));
      b.fileClose(h);
    });

    it('reopens an existing file read-only and refuses writes to it', () => {
      const path = join(tempDir(), 'ro');
      writeFileSync(path, 'hello');
      const h = b.fileOpen(path, false, true, false);
      const back = new Uint8Array(5);
      expect(b.fileReadSync(h, back, 0)).toBe(5);
      expect(new TextDecoder().decode(back)).toBe('hello');
      const err = thrown(() => b.fileWriteSync(h, back, 0));
      expect(err).toMatchObject({ code: 'ERR_IO', errno: 'EBADF', path, offset: 0 });
      b.fileClose(h);
    });

    it('unlinks files and fsyncs directories', () => {
      const dir = tempDir();
      const path = join(dir, 'gone');
      b.fileClose(b.fileOpen(path, true, false, false));
      b.fsyncDirectory(dir);
      b.unlink(path);
      b.fsyncDirectory(dir);
      expect(existsSync(path)).toBe(false);
    });
  });

  describe('asynchronous file I/O', () => {
    it('writes, syncs and reads back through callbacks', async () => {
      const rng = seededPrng();
      const h = b.fileOpen(join(tempDir(), 'async'), true, false, false);
      const data = rng.fill(new Uint8Array(10_000));
      expect(await writeAsync(b, h, data, 4096)).toBe(10_000);
      await datasyncAsync(b, h);
      const back = new Uint8Array(10_000);
      expect(await readAsync(b, h, back, 4096)).toBe(10_000);
      expectBytes(back, data);
      expect(await readAsync(b, h, back, 12_000)).toBe(2096);
      expect(await readAsync(b, h, back, 20_000)).toBe(0);
      b.fileClose(h);
    });

    it('keeps 64 reads in flight at once and completes each with its own bytes', async () => {
      const rng = seededPrng();
      const h = b.fileOpen(join(tempDir(), 'many'), true, false, false);
      const data = rng.fill(new Uint8Array(64 * 4096));
      b.fileWriteSync(h, data, 0);
      const buffers = Array.from({ length: 64 }, () => new Uint8Array(4096));
      const counts = await Promise.all(buffers.map((dst, i) => readAsync(b, h, dst, i * 4096)));
      expect(counts).toEqual(new Array(64).fill(4096));
      buffers.forEach((dst, i) => {
        expectBytes(dst, data.subarray(i * 4096, (i + 1) * 4096), `read ${i}`);
      });
      b.fileClose(h);
    });

    it('runs callbacks later, never during the call', () => {
      const h = b.fileOpen(join(tempDir(), 'later'), true, false, false);
      let called = false;
      b.fileRead(h, new Uint8Array(8), 0, () => {
        called = true;
      });
      expect(called).toBe(false);
      return new Promise<void>((resolve) => {
        b.fileDatasync(h, () => {
          b.fileClose(h);
          resolve();
        });
      });
    });
  });

  describe('errors', () => {
    it('reports ERR_IO ENOENT naming the path when the parent directory is missing', () => {
      const path = join(tempDir(), 'missing', 'file');
      const err = thrown(() => b.fileOpen(path, true, false, false));
      expect(err).toMatchObject({ code: 'ERR_IO', errno: 'ENOENT', syscall: 'open', path });
      expect(err.message).toContain(path);
      expect(err.message).toContain('ENOENT');
    });

    it('reports ERR_IO from unlink and fsyncDirectory with errno and path', () => {
      const dir = tempDir();
      const file = join(dir, 'plain');
      writeFileSync(file, 'x');
      expect(thrown(() => b.fsyncDirectory(file))).toMatchObject({
        code: 'ERR_IO', errno: 'ENOTDIR', path: file,
      });
      const missing = join(dir, 'nope');
      const err = thrown(() => b.unlink(missing));
      expect(err).toMatchObject({ code: 'ERR_IO', errno: 'ENOENT', syscall: 'unlink' });
      expect(err.message).toContain(missing);
      expect(thrown(() => b.fsyncDirectory(missing))).toMatchObject({ errno: 'ENOENT' });
    });

    it('reports ERR_CLOSED for every call on a closed handle', async () => {
      const h = b.fileOpen(join(tempDir(), 'closed'), true, false, false);
      b.fileClose(h);
      const buf = new Uint8Array(8);
      for (const call of [
        () => b.fileClose(h), () => b.fileIsDirect(h), () => b.fileReadSync(h, buf, 0),
        () => b.fileWriteSync(h, buf, 0), () => b.fileDatasyncSync(h), () => b.fileSize(h),
        () => b.fileTruncate(h, 0), () => b.fileAllocate(h, 0, 4096),
      ]) {
        expect(thrown(call).code).toBe('ERR_CLOSED');
      }
      await expect(readAsync(b, h, buf, 0)).rejects.toMatchObject({ code: 'ERR_CLOSED' });
      await expect(writeAsync(b, h, buf, 0)).rejects.toMatchObject({ code: 'ERR_CLOSED' });
      await expect(datasyncAsync(b, h)).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    });
  });
});

describe('the native and TypeScript engines', () => {
  const both = availableEngines().includes('native');

  it.runIf(both)('agree on crc32c and keyHash for random bytes of every length 0..300', () => {
    const native = selectBinding('native');
    const js = selectBinding('js');
    const rng = seededPrng();
    const pool = rng.fill(new Uint8Array(1024));
    const mismatches: string[] = [];
    for (let length = 0; length <= 300; length++) {
      for (let round = 0; round < 10; round++) {
        const offset = rng.int(pool.length - length + 1);
        const bytes = rng.fill(pool.subarray(offset, offset + length));
        const start = rng.nextU32();
        if (native.crc32c(bytes, start) !== js.crc32c(bytes, start)) {
          mismatches.push(`crc32c length ${length} offset ${offset} start ${start}`);
        }
        if (native.keyHash(bytes) !== js.keyHash(bytes)) {
          mismatches.push(`keyHash length ${length} offset ${offset}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe.each(availableEngines())('argument checks (%s engine)', (engine) => {
  const b = selectBinding(engine);

  it('rejects bad arguments with ERR_INVALID_ARGUMENT naming the argument and its range', () => {
    const h = b.fileOpen(join(tempDir(), 'args'), true, false, false);
    const buf = new Uint8Array(8);
    const cases: [() => unknown, RegExp][] = [
      [() => b.crc32c('text' as never, 0), /data must be a Uint8Array; got "text"/],
      [() => b.crc32c(buf, -1), /crc must be an integer in \[0, 2\^32\); got -1/],
      [() => b.keyHash([1, 2] as never), /key must be a Uint8Array; got \[object Array\]/],
      [() => b.fileReadSync(h, buf, -1), /position must be an integer in \[0, 2\^53\); got -1/],
      [() => b.fileWriteSync(h, buf, 2 ** 53), /position must be an integer in \[0, 2\^53\)/],
      [() => b.fileReadSync(h, buf, 1.5), /position must be .*; got 1.5/],
      [() => b.fileSize(-1), /handle must be a file handle .*; got -1/],
      [() => b.fileTruncate(h, Number.NaN), /length must be an integer in \[0, 2\^53\)/],
      [() => b.fileOpen('', true, false, false), /path must be a non-empty path string/],
      [() => b.fileOpen('x', 1 as never, false, false), /create must be a boolean; got 1/],
      [() => b.fileRead(h, buf, 0, undefined as never), /cb must be a function; got undefined/],
      [() => b.alignmentOffset(buf, 3), /alignment must be a power of two in \[1, 2\^30\]/],
    ];
    for (const [call, message] of cases) {
      const err = thrown(call);
      expect(err.code).toBe('ERR_INVALID_ARGUMENT');
      expect(err.message).toMatch(message);
    }
    b.fileClose(h);
  });
});
