/**
 * A store on a FaultStorage meets device errors: an injected read or write error fails only
 * the operations that needed that I/O (ERR_IO with the errno), the store keeps serving what is
 * in memory, nothing it acknowledged is lost, and once the device works again so does the
 * store. Memory stays at the page frames plus the index whatever the size of the data.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { codecs } from '../../../src/codec/codecs.js';
import { FasterError } from '../../../src/errors.js';
import { availableEngines } from '../../../src/native.js';
import { FaultStorage } from '../../../src/storage/fault-storage.js';
import type { FasterKV } from '../../../src/store/faster-kv.js';
import { rmwFunctions } from '../../../src/store/rmw-functions.js';
import { KvModel } from '../../support/kv-model.js';
import { seededPrng } from '../../support/prng.js';
import { bytesOf, openTiny, textOf, TINY } from '../../support/store.js';

function ioError(fn: () => unknown): FasterError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FasterError) return err;
    throw err;
  }
  throw new Error('expected an ERR_IO');
}

describe.each(availableEngines())('FasterKV on a failing device (%s engine)', (engine) => {
  let kv: FasterKV<Uint8Array, never, never> | undefined;
  let storage: FaultStorage;
  afterEach(async () => {
    storage.clearFaults();
    await kv?.close();
    kv = undefined;
  });

  async function open<V>(extra: Parameters<typeof openTiny<Uint8Array, V, number>>[1] = {}):
    Promise<FasterKV<Uint8Array, V, number>> {
    storage = new FaultStorage({ label: 'faults' });
    const store = await openTiny<Uint8Array, V, number>(engine, { storage, ...extra });
    kv = store as never;
    return store;
  }

  it('fails only the read that met a read error, sync or async', async () => {
    const store = await open<Uint8Array>();
    const s = store.newSession();
    for (let i = 0; i < 2000; i++) s.upsert(bytesOf(`key-${i}`), bytesOf(`value-${i}`));
    storage.failNext({ op: 'read', errno: 'EIO' });
    const err = ioError(() => s.read(bytesOf('key-0')));
    expect(err).toMatchObject({ code: 'ERR_IO', errno: 'EIO' });
    expect(textOf(s.read(bytesOf('key-0')))).toBe('value-0');
    storage.failNext({ op: 'read', errno: 'EIO' });
    const reads = Array.from({ length: 20 }, (_, i) => s.readAsync(bytesOf(`key-${i * 10 + 1}`)));
    const settled = await Promise.allSettled(reads);
    expect(settled[0]).toMatchObject({ status: 'rejected', reason: { code: 'ERR_IO' } });
    settled.slice(1).forEach((r, i) => {
      expect(r.status).toBe('fulfilled');
      const value = (r as PromiseFulfilledResult<Uint8Array>).value;
      expect(textOf(value)).toBe(`value-${(i + 1) * 10 + 1}`);
    });
    expect(store.stats().pendingOperations).toBe(0);
  });

  it('keeps serving memory while every device read fails, and loses nothing', async () => {
    const store = await open<Uint8Array>();
    const s = store.newSession();
    for (let i = 0; i < 2000; i++) s.upsert(bytesOf(`key-${i}`), bytesOf(`value-${i}`));
    storage.failNext({ op: 'read', errno: 'EIO', count: Infinity });
    expect(textOf(s.read(bytesOf('key-1999')))).toBe('value-1999');
    s.upsert(bytesOf('fresh'), bytesOf('in memory'));
    expect(textOf(await s.readAsync(bytesOf('fresh')))).toBe('in memory');
    await expect(s.readAsync(bytesOf('key-1'))).rejects.toMatchObject({ code: 'ERR_IO' });
    storage.clearFaults();
    for (let i = 0; i < 2000; i += 37) {
      expect(textOf(await s.readAsync(bytesOf(`key-${i}`)))).toBe(`value-${i}`);
    }
  });

  it('does not apply an RMW whose device read failed', async () => {
    const store = await open<bigint>({
      valueCodec: codecs.uint64, rmw: rmwFunctions.counter as never,
    });
    const s = store.newSession();
    s.rmw(bytesOf('counter'), 5);
    for (let i = 0; i < 2000; i++) s.upsert(bytesOf(`filler-${i}`), 1n);
    storage.failNext({ op: 'read', errno: 'EIO' });
    await expect(s.rmwAsync(bytesOf('counter'), 1)).rejects.toMatchObject({ code: 'ERR_IO' });
    storage.failNext({ op: 'read', errno: 'EIO' });
    expect(ioError(() => s.rmw(bytesOf('counter'), 1)).code).toBe('ERR_IO');
    expect(s.read(bytesOf('counter'))).toBe(5n);
    await s.rmwAsync(bytesOf('counter'), 2);
    expect(s.read(bytesOf('counter'))).toBe(7n);
  });

  it('fails the writes that need a frame a failed flush holds, then recovers', async () => {
    const rng = seededPrng();
    const store = await open<Uint8Array>();
    const s = store.newSession();
    const model = new KvModel();
    for (let i = 0; i < 1500; i++) model.step(s, rng);
    storage.failNext({ op: 'write', errno: 'ENOSPC', count: Infinity });
    let failures = 0;
    for (let i = 0; i < 3000 && failures < 5; i++) {
      const key = model.key(rng);
      const value = model.value(rng);
      try {
        s.upsert(key, value);
        model.values.set(Buffer.from(key).toString('hex'), value);
      } catch (err) {
        expect(err).toMatchObject({ code: 'ERR_IO', errno: 'ENOSPC' });
        failures++;
      }
    }
    expect(failures).toBe(5);
    expect(store.stats().log.flushErrors).toBeGreaterThan(0);
    model.expectMatches(s);
    storage.clearFaults();
    for (let i = 0; i < 1500; i++) model.step(s, rng);
    model.expectMatches(s);
  });

  it('fails only one write for one failed flush', async () => {
    const store = await open<Uint8Array>();
    const s = store.newSession();
    storage.failNext({ op: 'write', errno: 'EIO' });
    const failed: number[] = [];
    for (let i = 0; i < 3000; i++) {
      try {
        s.upsert(bytesOf(`key-${i}`), bytesOf(`value-${i}`));
      } catch (err) {
        expect(err).toMatchObject({ code: 'ERR_IO', errno: 'EIO' });
        failed.push(i);
      }
    }
    expect(failed.length).toBe(1);
    for (let i = 0; i < 3000; i += 7) {
      const expected = failed.includes(i) ? undefined : `value-${i}`;
      expect(textOf(s.read(bytesOf(`key-${i}`)))).toBe(expected);
    }
  });

  it('holds memory at its frames and index whatever the size of the data', async () => {
    const store = await open<Uint8Array>();
    const s = store.newSession();
    const keys = 300;
    const write = (round: number): void => {
      for (let i = 0; i < keys; i++) {
        s.upsert(bytesOf(`key-${i}`), new Uint8Array(64 + ((i + round) % 200)).fill(round));
      }
    };
    write(0);
    const first = store.stats();
    expect(first.memoryBytes).toBeLessThanOrEqual(TINY.memoryBytes);
    for (let round = 1; round < 40; round++) write(round);
    const last = store.stats();
    expect(last.diskBytes).toBeGreaterThan(20 * TINY.memoryBytes);
    expect(last.memoryBytes).toBe(first.memoryBytes);
    expect(last.index.bytes).toBe(first.index.bytes);
    expect(last.log.frameCount * last.log.pageBytes).toBe(first.memoryBytes);
    for (let i = 0; i < keys; i += 11) {
      expect(s.read(bytesOf(`key-${i}`))).toEqual(new Uint8Array(64 + ((i + 39) % 200)).fill(39));
    }
  });
});
