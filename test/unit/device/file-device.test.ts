/**
 * FileDevice beyond the shared conformance suite: options, the on-disk layout, the durability
 * protocol (which fsyncs it issues), O_DIRECT reporting, ENOSPC, read-only devices.
 */
import {
  closeSync, constants, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync,
  symlinkSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileDevice } from '../../../src/device/file-device.js';
import { availableEngines, selectBinding, type NativeBinding } from '../../../src/native.js';
import { expectBytes } from '../../support/bytes.js';
import { seededPrng } from '../../support/prng.js';
import { tempDir } from '../../support/temp-dir.js';

const SECTOR = 4096;
const SEGMENT = 4 * SECTOR;

/** The binding with fsyncDirectory and fileDatasync(Sync) calls recorded. */
function recording(binding: NativeBinding): { binding: NativeBinding; calls: string[] } {
  const calls: string[] = [];
  const recorded = new Proxy(binding, {
    get(target, key) {
      const value = Reflect.get(target, key) as unknown;
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (key === 'fsyncDirectory' || key === 'fileDatasyncSync' || key === 'fileDatasync') {
        return (...args: unknown[]) => {
          calls.push(`${String(key)} ${String(args[0])}`);
          return fn.apply(target, args);
        };
      }
      return fn.bind(target);
    },
  });
  return { binding: recorded, calls };
}

/** Whether the file system under `dir` lets a file be opened with O_DIRECT. */
function acceptsDirectIo(dir: string): boolean {
  const probe = join(dir, 'direct-probe');
  try {
    closeSync(openSync(probe, constants.O_CREAT | constants.O_RDWR | constants.O_DIRECT));
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { force: true });
  }
}

describe.each(availableEngines())('FileDevice on the %s engine', (engine) => {
  const binding = selectBinding(engine);
  const open = (dir: string, extra: Partial<ConstructorParameters<typeof FileDevice>[0]> = {}) =>
    new FileDevice({ dir, baseName: 'dev', segmentBytes: SEGMENT, binding, ...extra });

  it('refuses bad options, naming the option and its allowed range', () => {
    const dir = tempDir();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ segmentBytes: 3 * SECTOR }, /segmentBytes must be a power of two from sectorBytes/],
      [{ segmentBytes: 2048 }, /segmentBytes must be a power of two from sectorBytes \(4096\)/],
      [{ sectorBytes: 1000 }, /sectorBytes must be a power of two from 512 to 65536/],
      [{ sectorBytes: 256 }, /sectorBytes must be a power of two from 512 to 65536/],
      [{ sectorBytes: 131072 }, /sectorBytes must be a power of two from 512 to 65536/],
      [{ baseName: 'a/b' }, /baseName must be a file name without "\/"/],
      [{ baseName: '' }, /baseName/],
      [{ direct: 'yes' }, /direct must be a boolean/],
      [{ dir: '' }, /dir must be a non-empty directory path/],
    ];
    for (const [options, message] of cases) {
      expect(() => open(dir, options)).toThrow(message);
      expect(() => open(dir, options)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    }
  });

  it('reports a missing directory as ERR_IO ENOENT naming the directory', () => {
    const missing = join(tempDir(), 'no-such-dir');
    expect(() => open(missing)).toThrow(expect.objectContaining({
      code: 'ERR_IO', errno: 'ENOENT', path: missing, message: expect.stringContaining(missing),
    }));
  });

  it('stores segment n in file `${baseName}.n` at offset address - n * segmentBytes', () => {
    const dir = tempDir();
    const device = open(dir);
    const bytes = seededPrng().fill(new Uint8Array(3 * SECTOR));
    device.writeSync(bytes, SEGMENT + 2 * SECTOR);
    device.close();
    expect(readdirSync(dir).sort()).toEqual(['dev.1', 'dev.2']);
    const one = readFileSync(join(dir, 'dev.1'));
    expect(one.length).toBe(SEGMENT);
    expectBytes(one.subarray(0, 2 * SECTOR), new Uint8Array(2 * SECTOR));
    expectBytes(one.subarray(2 * SECTOR), bytes.subarray(0, 2 * SECTOR));
    expectBytes(readFileSync(join(dir, 'dev.2')), bytes.subarray(2 * SECTOR));
  });

  it('writes files that every engine reads back byte for byte', () => {
    const dir = tempDir();
    const bytes = seededPrng().fill(new Uint8Array(6 * SECTOR));
    open(dir).writeSync(bytes, SECTOR);
    for (const other of availableEngines()) {
      const reader = new FileDevice({ dir, baseName: 'dev', segmentBytes: SEGMENT,
        binding: selectBinding(other) });
      const dst = new Uint8Array(bytes.length);
      reader.readSync(dst, SECTOR);
      expectBytes(dst, bytes, `read by ${other}`);
      reader.close();
    }
  });

  it('ignores files in the directory that are not its segments', () => {
    const dir = tempDir();
    for (const name of ['dev', 'dev.01', 'dev.x', 'dev.3.tmp-ab', 'other.0', 'dev.-1']) {
      writeFileSync(join(dir, name), 'x');
    }
    writeFileSync(join(dir, 'dev.2'), new Uint8Array(SECTOR));
    const device = open(dir);
    expect(device.segmentRange()).toEqual({ start: 2, end: 3 });
    device.close();
  });

  it('fsyncs the directory after creating a segment file and after truncating', () => {
    const dir = tempDir();
    const { binding: recorded, calls } = recording(binding);
    const device = open(dir, { binding: recorded });
    device.writeSync(new Uint8Array(SEGMENT + SECTOR), 0);
    expect(calls).toEqual([`fsyncDirectory ${dir}`, `fsyncDirectory ${dir}`]);
    calls.length = 0;
    device.writeSync(new Uint8Array(SECTOR), SECTOR);
    expect(calls).toEqual([]);
    device.truncateUntilSegment(1);
    expect(calls).toEqual([`fsyncDirectory ${dir}`]);
    device.close();
  });

  it('fdatasyncs exactly the segments written since the last sync', async () => {
    const dir = tempDir();
    const { binding: recorded, calls } = recording(binding);
    const device = open(dir, { binding: recorded });
    device.writeSync(new Uint8Array(SECTOR), 0);
    await device.write(new Uint8Array(SECTOR), 2 * SEGMENT);
    calls.length = 0;
    device.syncSync();
    expect(calls.filter((c) => c.startsWith('fileDatasyncSync')).length).toBe(2);
    calls.length = 0;
    await device.sync();
    device.syncSync();
    expect(calls).toEqual([]);
    await device.write(new Uint8Array(SECTOR), SEGMENT + SECTOR);
    await device.sync();
    expect(calls.filter((c) => c.startsWith('fileDatasync ')).length).toBe(1);
    device.close();
  });

  it('preallocates each new segment file to segmentBytes when asked', () => {
    const dir = tempDir();
    const device = open(dir, { preallocate: true, segmentBytes: 16 * SEGMENT });
    device.writeSync(new Uint8Array(SECTOR).fill(5), 0);
    expect(statSync(join(dir, 'dev.0')).size).toBe(16 * SEGMENT);
    const plain = open(tempDir(), { segmentBytes: 16 * SEGMENT });
    plain.writeSync(new Uint8Array(SECTOR), 0);
    expect(plain.sizeBytes()).toBe(SECTOR);
    device.close();
    plain.close();
  });

  it('round-trips buffers whose memory is not sector aligned', async () => {
    const device = open(tempDir());
    const raw = seededPrng().fill(new Uint8Array(3 * SECTOR + 8));
    const src = raw.subarray(8, 8 + 3 * SECTOR);
    device.writeSync(src, 0);
    await device.write(src, 4 * SECTOR);
    const dstRaw = new Uint8Array(3 * SECTOR + 24);
    const dst = dstRaw.subarray(24);
    device.readSync(dst, 0);
    expectBytes(dst, src, 'sync read');
    dst.fill(0);
    await device.read(dst, 4 * SECTOR);
    expectBytes(dst, src, 'async read');
    device.close();
  });

  it('reports O_DIRECT wherever the file system takes it (ext4; tmpfs since Linux 6.6)', () => {
    const onDisk = open(tempDir());
    onDisk.writeSync(new Uint8Array(SECTOR), 0);
    const shm = tempDir('/dev/shm');
    const onTmpfs = open(shm);
    onTmpfs.writeSync(new Uint8Array(SECTOR), 0);
    if (engine === 'native') {
      expect(onDisk.stats()).toMatchObject({ direct: true, directFallbackReason: undefined });
      const tmpfsDirect = acceptsDirectIo(shm);
      expect(onTmpfs.stats()).toMatchObject({ direct: tmpfsDirect,
        directFallbackReason: tmpfsDirect ? undefined : expect.stringContaining('refused') });
    } else {
      for (const device of [onDisk, onTmpfs]) {
        expect(device.stats()).toMatchObject({ direct: false,
          directFallbackReason: expect.stringContaining('buffered') });
      }
    }
    const buffered = open(tempDir(), { direct: false });
    buffered.writeSync(new Uint8Array(SECTOR), 0);
    expect(buffered.stats()).toMatchObject({ kind: 'file', engine, direct: false,
      directFallbackReason: undefined });
    for (const device of [onDisk, onTmpfs, buffered]) device.close();
  });

  it('says why when the file system refuses O_DIRECT and I/O falls back to buffered', () => {
    const refusing = new Proxy(binding, {
      get(target, key) {
        const value = Reflect.get(target, key) as unknown;
        if (key === 'fileOpen') {
          return (path: string, create: boolean, readOnly: boolean) =>
            target.fileOpen(path, create, readOnly, false);
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const device = open(tempDir(), { binding: refusing });
    const data = seededPrng().fill(new Uint8Array(2 * SECTOR));
    device.writeSync(data, 0);
    const back = new Uint8Array(data.length);
    device.readSync(back, 0);
    expectBytes(back, data);
    expect(device.stats()).toMatchObject({ direct: false, directFallbackReason:
      expect.stringContaining(engine === 'native' ? 'refused O_DIRECT' : 'buffered') });
    device.close();
  });

  it('keeps synced segments intact and stays usable when a segment hits ENOSPC', async () => {
    const dir = tempDir();
    const synced = seededPrng().fill(new Uint8Array(SEGMENT));
    symlinkSync('/dev/full', join(dir, 'dev.1'));
    const device = open(dir);
    device.writeSync(synced, 0);
    device.syncSync();
    const full = expect.objectContaining({ code: 'ERR_IO', errno: 'ENOSPC',
      message: expect.stringContaining(join(dir, 'dev.1')) });
    expect(() => device.writeSync(new Uint8Array(SECTOR).fill(1), SEGMENT)).toThrow(full);
    await expect(device.write(new Uint8Array(SECTOR).fill(1), SEGMENT)).rejects.toEqual(full);
    await device.sync();
    const back = new Uint8Array(SEGMENT);
    device.readSync(back, 0);
    expectBytes(back, synced);
    await device.write(synced, 2 * SEGMENT);
    await device.sync();
    await device.read(back.fill(0), 2 * SEGMENT);
    expectBytes(back, synced);
    device.close();
  });

  it('reads but refuses writes and truncation when opened readOnly', async () => {
    const dir = tempDir();
    const data = seededPrng().fill(new Uint8Array(2 * SECTOR));
    const writer = open(dir);
    writer.writeSync(data, 0);
    writer.close();
    const reader = open(dir, { readOnly: true });
    const back = new Uint8Array(2 * SECTOR);
    reader.readSync(back, 0);
    expectBytes(back, data);
    const refused = expect.objectContaining({ code: 'ERR_IO', errno: 'EROFS' });
    expect(() => reader.writeSync(data, 0)).toThrow(refused);
    expect(() => reader.writeSync(data, 5 * SEGMENT)).toThrow(refused);
    await expect(reader.write(data, 0)).rejects.toEqual(refused);
    expect(() => reader.truncateUntilSegment(1)).toThrow(refused);
    reader.readSync(back, 3 * SEGMENT);
    await reader.sync();
    expect(readdirSync(dir)).toEqual(['dev.0']);
    reader.close();
  });

  it('completes a write in flight when the device is closed meanwhile', async () => {
    const dir = tempDir();
    const device = open(dir);
    const data = seededPrng().fill(new Uint8Array(4 * SECTOR));
    const pending = device.write(data, 0);
    device.close();
    await pending;
    const again = open(dir);
    const back = new Uint8Array(data.length);
    again.readSync(back, 0);
    expectBytes(back, data);
    again.close();
  });

  it('recreates a truncated segment when it is written again', () => {
    const dir = tempDir();
    const device = open(dir);
    device.writeSync(new Uint8Array(SEGMENT).fill(3), 0);
    device.truncateUntilSegment(1);
    expect(existsSync(join(dir, 'dev.0'))).toBe(false);
    device.writeSync(new Uint8Array(SECTOR).fill(4), 0);
    const back = new Uint8Array(2 * SECTOR);
    device.readSync(back, 0);
    expect([back[0], back[SECTOR]]).toEqual([4, 0]);
    device.close();
    rmSync(join(dir, 'dev.0'));
  });
});
