/**
 * FaultStorage: power cuts across files and devices at once, and injected faults on file
 * operations (a read-only directory, a full disk, an unreadable file).
 */
import { describe, expect, it } from 'vitest';
import { FaultStorage } from '../../../src/storage/fault-storage.js';
import { expectBytes } from '../../support/bytes.js';
import { seededPrng } from '../../support/prng.js';

const SECTOR = 4096;
const SEGMENT = 4 * SECTOR;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : new TextDecoder().decode(b);

function filled(sectors: number, value: number): Uint8Array {
  return new Uint8Array(sectors * SECTOR).fill(value);
}

describe('FaultStorage power cuts', () => {
  it('keep atomically written files and synced device data, nothing else', async () => {
    const storage = new FaultStorage({ latencyMs: 1 });
    storage.writeFileAtomic('meta/current', text('checkpoint-1'));
    const log = storage.openDevice('hlog.log', { segmentBytes: SEGMENT });
    const other = storage.openDevice('index/ht.dat', { segmentBytes: SEGMENT });
    await log.write(filled(2, 1), 0);
    await log.sync();
    await log.write(filled(2, 2), 2 * SECTOR);
    other.writeSync(filled(1, 3), 0);
    storage.writeFileAtomic('meta/current', text('checkpoint-2'));
    storage.remove('meta/current-old');
    const report = storage.powerCut();
    expect(Object.keys(report.devices)).toEqual(['hlog.log', 'index/ht.dat']);
    expect(report.devices['hlog.log']).toMatchObject({ droppedWrites: 1 });
    expect(decode(storage.readFile('meta/current'))).toBe('checkpoint-2');
    const reopened = storage.openDevice('hlog.log', { segmentBytes: SEGMENT });
    const back = new Uint8Array(4 * SECTOR);
    reopened.readSync(back, 0);
    expectBytes(back, new Uint8Array([...filled(2, 1), ...filled(2, 0)]));
    expect(storage.list()).toEqual(['hlog.log.0', 'meta/current']);
  });

  it('break the writer lock, since its holder died', () => {
    const storage = new FaultStorage();
    storage.lock();
    expect(() => storage.lock()).toThrow(expect.objectContaining({ code: 'ERR_LOCKED' }));
    storage.powerCut();
    const release = storage.lock();
    release();
  });

  it('tear every device the same way for the same seed', () => {
    const seed = seededPrng().nextU32();
    const run = () => {
      const storage = new FaultStorage();
      const devices = ['a', 'b', 'c'].map((n) => storage.openDevice(n, { segmentBytes: SEGMENT }));
      for (const device of devices) device.writeSync(filled(4, 7), 0);
      const report = storage.powerCut({ tear: true, seed });
      const bytes = devices.map((device) => {
        const back = new Uint8Array(4 * SECTOR);
        device.readSync(back, 0);
        return Buffer.from(back).toString('hex');
      });
      return { report, bytes };
    };
    const first = run();
    expect(first.report.seed).toBe(seed);
    expect(run()).toEqual(first);
  });

  it('drop the crashed owner\'s I/O still in flight, which idle() lets drain', async () => {
    const storage = new FaultStorage({ latencyMs: 3 });
    const device = storage.openDevice('d', { segmentBytes: SEGMENT });
    let settled = false;
    device.write(filled(1, 5), 0).then(() => {
      settled = true;
    });
    storage.powerCut();
    await storage.idle();
    expect(settled).toBe(false);
    expect(storage.list()).toEqual([]);
  });
});

describe('FaultStorage injected faults', () => {
  it('model a read-only directory: every change fails with EROFS, reads still work', async () => {
    const storage = new FaultStorage();
    storage.writeFileAtomic('meta', text('before'));
    const device = storage.openDevice('log', { segmentBytes: SEGMENT });
    device.writeSync(filled(1, 1), 0);
    const writes = new Set(['write', 'writeFile', 'remove', 'truncate', 'sync']);
    storage.failWhen((t) => (writes.has(t.op) ? 'EROFS' : undefined));
    const erofs = expect.objectContaining({ code: 'ERR_IO', errno: 'EROFS' });
    expect(() => storage.writeFileAtomic('meta', text('after'))).toThrow(erofs);
    expect(() => storage.writeFileAtomic('meta', text('after'))).toThrow(/open meta failed/);
    expect(() => storage.remove('meta')).toThrow(erofs);
    expect(() => device.writeSync(filled(1, 2), 0)).toThrow(erofs);
    await expect(device.write(filled(1, 2), 0)).rejects.toEqual(erofs);
    expect(() => device.truncateUntilSegment(1)).toThrow(erofs);
    expect(decode(storage.readFile('meta'))).toBe('before');
    const back = new Uint8Array(SECTOR);
    device.readSync(back, 0);
    expectBytes(back, filled(1, 1));
    storage.clearFaults();
    storage.writeFileAtomic('meta', text('after'));
    expect(decode(storage.readFile('meta'))).toBe('after');
  });

  it('fail only names under a prefix, and leave a file whose replacement failed intact', () => {
    const storage = new FaultStorage();
    storage.writeFileAtomic('cpr/t1/info', text('old'));
    storage.failNext({ op: 'writeFile', errno: 'ENOSPC', pathPrefix: 'cpr/', count: Infinity });
    storage.writeFileAtomic('other', text('fine'));
    expect(() => storage.writeFileAtomic('cpr/t1/info', text('new'))).toThrow(
      expect.objectContaining({ errno: 'ENOSPC', path: 'cpr/t1/info' }));
    expect(decode(storage.readFile('cpr/t1/info'))).toBe('old');
    expect(decode(storage.readFile('other'))).toBe('fine');
  });

  it('fail a read with EACCES once, and apply device rules to every device', async () => {
    const storage = new FaultStorage();
    storage.writeFileAtomic('f', text('x'));
    storage.failNext({ op: 'readFile', errno: 'EACCES' });
    expect(() => storage.readFile('f')).toThrow(expect.objectContaining({ errno: 'EACCES' }));
    expect(decode(storage.readFile('f'))).toBe('x');
    const device = storage.openDevice('dir/dev', { segmentBytes: SEGMENT });
    storage.failNext({ op: 'sync', errno: 'EIO' });
    await expect(device.sync()).rejects.toMatchObject({ errno: 'EIO', path: 'dir/dev' });
    await device.sync();
  });
});
