/**
 * What only the addon does: O_DIRECT (taken where the file system allows it, refused
 * gracefully where it does not, bounce-buffered for unaligned memory), the SSE4.2 CRC32C path,
 * use from worker_threads on shared memory, and a committed prebuilt binary that matches the
 * sources. Without the addon these tests are skipped with a printed reason, unless
 * FASTERKV_REQUIRE_NATIVE=1 (CI), where they fail.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync, readdirSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { FasterError } from '../../../src/errors.js';
import { loadNativeBinding, selectBinding, type NativeBinding } from '../../../src/native.js';
import { expectBytes } from '../../support/bytes.js';
import { seededPrng } from '../../support/prng.js';
import { tempDir } from '../../support/temp-dir.js';

const require = createRequire(import.meta.url);
const packageRoot = join(import.meta.dirname, '..', '..', '..');
const addonPath = (): string =>
  (require('node-gyp-build') as { path(dir: string): string }).path(packageRoot);

const loaded = loadNativeBinding();
const required = process.env.FASTERKV_REQUIRE_NATIVE === '1';
const skip = loaded.binding === undefined && !required;
if (skip) {
  console.warn(`native addon tests skipped: the addon did not load (${loaded.error?.message}); ` +
    'FASTERKV_REQUIRE_NATIVE=1 turns this into a failure');
}

/** Whether the file system under `dir` accepts O_DIRECT, asked of the kernel through node:fs. */
function kernelAcceptsDirect(dir: string): boolean {
  const probe = join(dir, 'direct-probe');
  try {
    closeSync(openSync(probe, constants.O_RDWR | constants.O_CREAT | constants.O_DIRECT));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EINVAL') return false;
    throw err;
  } finally {
    try {
      unlinkSync(probe);
    } catch {
      // the probe may not have been created
    }
  }
}

/** A view of `length` bytes whose address is 4096-aligned plus `skew`. */
function viewAt(b: NativeBinding, length: number, skew: number): Uint8Array {
  const raw = new Uint8Array(length + 8192);
  const start = b.alignmentOffset(raw, 4096) + skew;
  return raw.subarray(start, start + length);
}

type Exit = { code: number; messages: unknown[] };

/** Runs `source` (CommonJS) in a worker; resolves with its exit code and the messages it sent. */
function runWorker(
  source: string, workerData: unknown, onMessage?: (w: Worker, m: unknown) => void,
): Promise<Exit> {
  const worker = new Worker(source, { eval: true, workerData });
  const messages: unknown[] = [];
  return new Promise<Exit>((resolve, reject) => {
    worker.on('message', (m) => {
      messages.push(m);
      onMessage?.(worker, m);
    });
    worker.on('error', reject);
    worker.on('exit', (code) => resolve({ code, messages }));
  });
}

describe.skipIf(skip)('the native addon', () => {
  const b = (): NativeBinding => selectBinding('native');

  describe('O_DIRECT', () => {
    it('is used where the file system accepts it (ext4 here)', () => {
      const dir = tempDir();
      const h = b().fileOpen(join(dir, 'direct'), true, false, true);
      expect(b().fileIsDirect(h)).toBe(kernelAcceptsDirect(dir));
      b().fileClose(h);
    });

    it('follows the kernel on tmpfs (/dev/shm): refused before Linux 6.6, accepted since', () => {
      const dir = tempDir('/dev/shm');
      const h = b().fileOpen(join(dir, 'shm'), true, false, true);
      expect(b().fileIsDirect(h)).toBe(kernelAcceptsDirect(dir));
      b().fileWriteSync(h, new Uint8Array(4096).fill(3), 0);
      expect(b().fileReadSync(h, new Uint8Array(4096), 0)).toBe(4096);
      b().fileClose(h);
    });

    it('falls back to buffered I/O where the file system refuses it (procfs)', () => {
      const h = b().fileOpen('/proc/self/status', false, true, true);
      expect(b().fileIsDirect(h)).toBe(false);
      const text = new Uint8Array(64);
      expect(b().fileReadSync(h, text, 0)).toBeGreaterThan(0);
      expect(new TextDecoder().decode(text)).toMatch(/^Name:/);
      b().fileClose(h);
    });

    it('bounces unaligned buffers, also across several bounce chunks', async () => {
      const rng = seededPrng();
      const h = b().fileOpen(join(tempDir(), 'bounce'), true, false, true);
      expect(b().fileIsDirect(h)).toBe(true);
      const length = 3 * 1024 * 1024 + 8192;
      const src = rng.fill(viewAt(b(), length, 1));
      expect(b().alignmentOffset(src, 4096)).not.toBe(0);
      b().fileWriteSync(h, src, 4096);
      const back = viewAt(b(), length, 3);
      expect(b().fileReadSync(h, back, 4096)).toBe(length);
      expectBytes(back, src);
      const part = viewAt(b(), 8192, 5);
      const read = await new Promise<number>((resolve, reject) => {
        b().fileRead(h, part, 8192, (err, n) => (err ? reject(err) : resolve(n)));
      });
      expect(read).toBe(8192);
      expectBytes(part, src.subarray(4096, 4096 + 8192));
      b().fileClose(h);
    });

    it('reads short at an unaligned end of file', () => {
      const h = b().fileOpen(join(tempDir(), 'tail'), true, false, true);
      b().fileWriteSync(h, viewAt(b(), 8192, 0).fill(4), 0);
      b().fileTruncate(h, 5000);
      expect(b().fileReadSync(h, viewAt(b(), 8192, 0), 0)).toBe(5000);
      expect(b().fileReadSync(h, viewAt(b(), 4096, 7), 4096)).toBe(904);
      b().fileClose(h);
    });

    it('turns a misaligned position or length into ERR_IO EINVAL, not a crash', () => {
      const path = join(tempDir(), 'misaligned');
      const h = b().fileOpen(path, true, false, true);
      b().fileWriteSync(h, viewAt(b(), 8192, 0), 0);
      for (const call of [
        () => b().fileWriteSync(h, viewAt(b(), 4096, 0), 100),
        () => b().fileWriteSync(h, viewAt(b(), 100, 0), 0),
        () => b().fileReadSync(h, viewAt(b(), 4096, 0), 1),
      ]) {
        let error: unknown;
        try {
          call();
        } catch (err) {
          error = err;
        }
        expect(error).toBeInstanceOf(FasterError);
        expect(error).toMatchObject({ code: 'ERR_IO', errno: 'EINVAL', path });
      }
      b().fileClose(h);
    });
  });

  describe('checksums', () => {
    it('gives the same CRC32C on the table path as on the instruction path', () => {
      const addon = b() as NativeBinding & { crc32cPortable(d: Uint8Array, c: number): number };
      const rng = seededPrng();
      const data = rng.fill(new Uint8Array(4096 + 13));
      for (let length = 0; length <= data.length; length += 97) {
        const view = data.subarray(13 - (length % 13), length);
        expect(addon.crc32cPortable(view, length)).toBe(addon.crc32c(view, length));
      }
    });
  });

  describe('alignmentOffset()', () => {
    it('gives the bytes to skip to the next aligned address', () => {
      const raw = new Uint8Array(10_000);
      const base = b().alignmentOffset(raw, 4096);
      expect(base).toBeLessThan(4096);
      for (const skip of [1, 7, 512, 4095]) {
        expect(b().alignmentOffset(raw.subarray(skip), 4096)).toBe((base - skip + 4096) % 4096);
      }
      expect(b().alignmentOffset(raw, 1)).toBe(0);
    });
  });

  describe('worker_threads', () => {
    it('works in a worker on SharedArrayBuffer views; handles are process-wide', async () => {
      const rng = seededPrng();
      const shared = new SharedArrayBuffer(3 * 8192);
      const input = rng.fill(new Uint8Array(shared, 0, 8192));
      const handle = b().fileOpen(join(tempDir(), 'shared'), true, false, true);
      const { code, messages } = await runWorker(`
        const { workerData, parentPort } = require('node:worker_threads');
        const addon = require(workerData.addonPath);
        const input = new Uint8Array(workerData.shared, 0, 8192);
        const output = new Uint8Array(workerData.shared, 8192, 8192);
        addon.fileWrite(workerData.handle, input, 0, (err, written) => {
          if (err) throw err;
          addon.fileRead(workerData.handle, output, 0, (err2, read) => {
            if (err2) throw err2;
            parentPort.postMessage({ written, read, crc: addon.crc32c(output, 0) });
          });
        });`, { addonPath: addonPath(), shared, handle });
      expect(code).toBe(0);
      expect(messages).toEqual([{ written: 8192, read: 8192, crc: b().crc32c(input, 0) }]);
      expectBytes(new Uint8Array(shared, 8192, 8192), input);
      const back = new Uint8Array(8192);
      expect(b().fileReadSync(handle, back, 0)).toBe(8192);
      expectBytes(back, input);
      b().fileClose(handle);
    });

    it('survives workers that exit or are terminated with reads in flight', async () => {
      const path = join(tempDir(), 'big');
      const h = b().fileOpen(path, true, false, false);
      b().fileWriteSync(h, new Uint8Array(8 << 20).fill(1), 0);
      const source = `
        const { workerData, parentPort } = require('node:worker_threads');
        const addon = require(workerData.addonPath);
        const h = addon.fileOpen(workerData.path, false, true, true);
        for (let i = 0; i < 64; i++) {
          addon.fileRead(h, new Uint8Array(1 << 20), (i % 8) << 20, () => {});
        }
        if (workerData.exit) process.exit(0);
        parentPort.postMessage('started');
        setInterval(() => {}, 1000);`;
      const exited = await runWorker(source, { addonPath: addonPath(), path, exit: true });
      expect(exited.code).toBe(0);
      const stopped = await runWorker(source, { addonPath: addonPath(), path, exit: false },
        (worker) => void worker.terminate());
      expect(stopped.messages).toEqual(['started']);
      const back = new Uint8Array(4096);
      await new Promise<void>((resolve, reject) => {
        b().fileRead(h, back, 4096, (err) => (err ? reject(err) : resolve()));
      });
      expectBytes(back, new Uint8Array(4096).fill(1));
      b().fileClose(h);
    });
  });

  it('keeps the event loop alive while I/O is pending, and not after', () => {
    const path = join(tempDir(), 'loop');
    const script = `
      const addon = require(${JSON.stringify(addonPath())});
      const h = addon.fileOpen(${JSON.stringify(path)}, true, false, false);
      addon.fileWrite(h, new Uint8Array(16), 0, (err, n) => {
        process.stdout.write(err ? err.message : 'wrote ' + n);
      });`;
    const child = spawnSync(process.execPath, ['-e', script], { timeout: 30_000 });
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
    expect(child.stdout.toString()).toBe('wrote 16');
  });

  it('ships a committed prebuilt binary built from the current native sources', () => {
    const dir = join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`);
    const binaries = readdirSync(dir).filter((name) => name.endsWith('.node'));
    expect(binaries).not.toEqual([]);
    const { nativeSourceHash } = require('../../../scripts/native-source-hash.cjs') as {
      nativeSourceHash(): string;
    };
    for (const name of binaries) {
      const prebuilt = require(join(dir, name)) as { sourceHash: string };
      expect(prebuilt.sourceHash, `${name} is stale: run npm run prebuildify`)
        .toBe(nativeSourceHash());
    }
  });
});
