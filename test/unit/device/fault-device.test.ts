/**
 * FaultDevice: the durability model (what a power cut keeps), torn writes, orphaned async
 * completions, and injected I/O errors.
 */
import { describe, expect, it } from 'vitest';
import { FaultDevice } from '../../../src/device/fault-device.js';
import type { FaultOp } from '../../../src/device/fault-injector.js';
import { expectBytes } from '../../support/bytes.js';
import { seededPrng } from '../../support/prng.js';

const SECTOR = 4096;
const SEGMENT = 8 * SECTOR;

function device(options: { latencyMs?: number; readOnly?: boolean } = {}): FaultDevice {
  return new FaultDevice({ name: 'disk', segmentBytes: SEGMENT, ...options });
}

function filled(sectors: number, value: number): Uint8Array {
  return new Uint8Array(sectors * SECTOR).fill(value);
}

function readAt(d: FaultDevice, address: number, sectors: number): Uint8Array {
  const dst = new Uint8Array(sectors * SECTOR);
  d.readSync(dst, address);
  return dst;
}

describe('FaultDevice power cuts', () => {
  it('keep exactly the synced bytes and drop every unsynced write', () => {
    const d = device();
    d.writeSync(filled(4, 1), 0);
    d.syncSync();
    d.writeSync(filled(2, 2), 2 * SECTOR);
    d.writeSync(filled(2, 3), 3 * SEGMENT);
    expect(d.unsyncedWrites()).toBe(2);
    const report = d.powerCut();
    expect(report).toMatchObject({ droppedWrites: 2, torn: undefined });
    expectBytes(readAt(d, 0, 4), filled(4, 1));
    expectBytes(readAt(d, 3 * SEGMENT, 2), filled(2, 0));
    expect(d.segmentRange()).toEqual({ start: 0, end: 1 });
    expect(d.unsyncedWrites()).toBe(0);
  });

  it('leave the device usable, like a rebooted machine', async () => {
    const d = device();
    d.writeSync(filled(1, 1), 0);
    d.powerCut();
    await d.write(filled(1, 7), SECTOR);
    await d.sync();
    d.powerCut();
    expectBytes(readAt(d, 0, 2), new Uint8Array([...filled(1, 0), ...filled(1, 7)]));
  });

  it('keep a write only if a sync that started after it completed has completed', async () => {
    const d = device({ latencyMs: 2 });
    await d.write(filled(1, 1), 0);
    const sync = d.sync();
    const during = d.write(filled(1, 2), SECTOR);
    await Promise.all([sync, during]);
    d.powerCut();
    expectBytes(readAt(d, 0, 2), new Uint8Array([...filled(1, 1), ...filled(1, 0)]));
  });

  it('tear the last write into a whole-sector prefix and at most one torn sector', () => {
    const prng = seededPrng();
    const seen = new Set<string>();
    for (let round = 0; round < 40; round++) {
      const d = device();
      const old = prng.fill(new Uint8Array(6 * SECTOR));
      d.writeSync(old, SECTOR);
      d.writeSync(filled(1, 9), 3 * SEGMENT);
      d.syncSync();
      d.writeSync(filled(1, 5), 2 * SEGMENT);
      const fresh = prng.fill(new Uint8Array(4 * SECTOR));
      d.writeSync(fresh, 2 * SECTOR);
      const { torn, droppedWrites } = d.powerCut({ tear: true, seed: prng.nextU32() });
      expect(droppedWrites).toBe(2);
      expect(torn).toMatchObject({ address: 2 * SECTOR, length: 4 * SECTOR });
      const { wholeSectors, tornBytes } = torn!;
      seen.add(wholeSectors === 4 ? 'whole' : tornBytes > 0 ? 'torn' : 'prefix');
      const expected = old.slice();
      const into = SECTOR;
      expected.set(fresh.subarray(0, wholeSectors * SECTOR + tornBytes), into);
      expectBytes(readAt(d, SECTOR, 6), expected, `tear ${wholeSectors}+${tornBytes}`);
      expectBytes(readAt(d, 3 * SEGMENT, 1), filled(1, 9), 'other synced data');
      expectBytes(readAt(d, 2 * SEGMENT, 1), filled(1, 0), 'earlier unsynced write');
      d.powerCut();
      expectBytes(readAt(d, SECTOR, 6), expected, 'the tear is on the disk for good');
    }
    expect(seen.has('torn')).toBe(true);
  });

  it('tear reproducibly: the same seed tears the same way', () => {
    const cut = (seed: number) => {
      const d = device();
      d.writeSync(filled(8, 4), 0);
      return d.powerCut({ tear: true, seed });
    };
    expect(cut(1234)).toEqual(cut(1234));
  });

  it('orphan async operations of the crashed owner: they never land nor settle', async () => {
    const d = device({ latencyMs: 5 });
    let settled = false;
    const settle = (): void => {
      settled = true;
    };
    d.write(filled(1, 6), 0).then(settle, settle);
    d.sync().then(settle, settle);
    d.powerCut();
    await d.idle();
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    expectBytes(readAt(d, 0, 1), filled(1, 0));
    await d.write(filled(1, 8), 0);
    expectBytes(readAt(d, 0, 1), filled(1, 8));
  });

  it('forget unsynced writes to truncated segments, so no later sync revives them', () => {
    const d = device();
    d.writeSync(filled(SEGMENT / SECTOR + 1, 3), SEGMENT - SECTOR);
    d.truncateUntilSegment(1);
    d.syncSync();
    d.powerCut();
    expectBytes(readAt(d, 0, SEGMENT / SECTOR), new Uint8Array(SEGMENT));
    expectBytes(readAt(d, SEGMENT, 1), filled(1, 3));
  });
});

describe('FaultDevice injected faults', () => {
  const ops: FaultOp[] = ['write', 'read', 'sync'];
  const run = (d: FaultDevice, op: FaultOp, form: 'sync' | 'async'): Promise<unknown> | void => {
    const buf = filled(1, 1);
    if (op === 'write') return form === 'sync' ? d.writeSync(buf, SEGMENT) : d.write(buf, SEGMENT);
    if (op === 'read') return form === 'sync' ? d.readSync(buf, SEGMENT) : d.read(buf, SEGMENT);
    return form === 'sync' ? d.syncSync() : d.sync();
  };

  describe.each(ops)('on %s', (op) => {
    it.each(['EIO', 'ENOSPC'])('raise ERR_IO %s once; the device works again', async (errno) => {
      for (const form of ['sync', 'async'] as const) {
        const d = device();
        d.failNext({ op, errno });
        const expected = expect.objectContaining({ code: 'ERR_IO', errno,
          message: expect.stringContaining(errno) });
        if (form === 'sync') expect(() => run(d, op, form)).toThrow(expected);
        else await expect(run(d, op, form)).rejects.toEqual(expected);
        await run(d, op, form);
        d.writeSync(filled(1, 2), 0);
        d.syncSync();
        expectBytes(readAt(d, 0, 1), filled(1, 2));
      }
    });
  });

  it('name the segment file and offset, and change nothing when a write fails', () => {
    const d = device();
    d.failNext({ op: 'write', errno: 'ENOSPC' });
    expect(() => d.writeSync(filled(1, 1), SEGMENT + SECTOR)).toThrow(expect.objectContaining({
      path: 'disk.1', offset: SECTOR, syscall: 'pwrite' }));
    expect(d.unsyncedWrites()).toBe(0);
    expectBytes(readAt(d, SEGMENT + SECTOR, 1), filled(1, 0));
  });

  it('leave writes unsynced when the sync fails, so a power cut loses them', () => {
    const d = device();
    d.writeSync(filled(1, 1), 0);
    d.failNext({ op: 'sync', errno: 'EIO' });
    expect(() => d.syncSync()).toThrow(expect.objectContaining({ errno: 'EIO' }));
    d.powerCut();
    expectBytes(readAt(d, 0, 1), filled(1, 0));
  });

  it('fail the next `count` operations, then stop', () => {
    const d = device();
    d.failNext({ op: 'read', errno: 'EIO', count: 2 });
    expect(() => readAt(d, 0, 1)).toThrow();
    expect(() => readAt(d, 0, 1)).toThrow();
    expect(() => readAt(d, 0, 1)).not.toThrow();
  });

  it('fail whatever a predicate picks, until it is removed (a read-only file system)', () => {
    const d = device();
    const remove = d.failWhen((t) => t.op === 'write' || t.op === 'truncate' ? 'EROFS' : undefined);
    expect(() => d.writeSync(filled(1, 1), 0)).toThrow(expect.objectContaining({
      code: 'ERR_IO', errno: 'EROFS' }));
    expect(() => d.truncateUntilSegment(1)).toThrow(expect.objectContaining({ errno: 'EROFS' }));
    expect(() => readAt(d, 0, 1)).not.toThrow();
    remove();
    d.writeSync(filled(1, 1), 0);
  });

  it('refuse bad fault rules, naming the field', () => {
    const d = device();
    expect(() => d.failNext({ op: 'write', errno: 'nope' })).toThrow(/errno must be/);
    expect(() => d.failNext({ op: 'write', errno: 'EIO', count: 0 })).toThrow(/count must be/);
    expect(() => d.failNext({ op: 'bogus' as FaultOp, errno: 'EIO' })).toThrow(/op must be/);
  });

  it('refuse writes on a readOnly device with ERR_IO EROFS', async () => {
    const d = device({ readOnly: true });
    expect(() => d.writeSync(filled(1, 1), 0)).toThrow(expect.objectContaining({
      errno: 'EROFS' }));
    await expect(d.write(filled(1, 1), 0)).rejects.toMatchObject({ errno: 'EROFS' });
  });
});
