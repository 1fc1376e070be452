import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FasterError } from '../../../src/errors.js';
import { codecs } from '../../../src/codec/codecs.js';
import { availableEngines } from '../../../src/native.js';
import type { FasterKV } from '../../../src/store/faster-kv.js';
import { rmwFunctions } from '../../../src/store/rmw-functions.js';
import { bytesOf, openTiny, textOf } from '../../support/store.js';

describe.each(availableEngines())('FasterKV operations (%s engine)', (engine) => {
  const open: FasterKV<never, never, never>[] = [];
  afterEach(async () => {
    for (const kv of open.splice(0)) await kv.close();
  });
  async function store<K = Uint8Array, V = Uint8Array, I = unknown>(
    extra: Parameters<typeof openTiny<K, V, I>>[1] = {},
  ): Promise<FasterKV<K, V, I>> {
    const kv = await openTiny<K, V, I>(engine, extra);
    open.push(kv as never);
    return kv;
  }

  it('reads back what it upserts and numbers operations 1, 2, 3, …', async () => {
    const kv = await store();
    expect(kv.engine).toBe(engine);
    const s = kv.newSession('a');
    expect(s.upsert(bytesOf('k1'), bytesOf('v1'))).toBe(1);
    expect(s.upsert(bytesOf('k2'), bytesOf('v2'))).toBe(2);
    expect(textOf(s.read(bytesOf('k1')))).toBe('v1');
    expect(s.serial).toBe(3);
    expect(s.read(bytesOf('missing'))).toBeUndefined();
  });

  it('updates in place and by copy when a value outgrows its record', async () => {
    const kv = await store();
    const s = kv.newSession();
    s.upsert(bytesOf('k'), bytesOf('12345678'));
    s.upsert(bytesOf('k'), bytesOf('short'));
    expect(textOf(s.read(bytesOf('k')))).toBe('short');
    s.upsert(bytesOf('k'), bytesOf('a value longer than eight bytes'));
    expect(textOf(s.read(bytesOf('k')))).toBe('a value longer than eight bytes');
    s.upsert(bytesOf('k'), new Uint8Array(0));
    expect(s.read(bytesOf('k'))).toEqual(new Uint8Array(0));
  });

  it('deletes keys and lets them be inserted again', async () => {
    const kv = await store();
    const s = kv.newSession();
    s.upsert(bytesOf('k'), bytesOf('v'));
    s.delete(bytesOf('k'));
    expect(s.read(bytesOf('k'))).toBeUndefined();
    s.delete(bytesOf('never-seen'));
    s.upsert(bytesOf('k'), bytesOf('again'));
    expect(textOf(s.read(bytesOf('k')))).toBe('again');
  });

  it('counts with the built-in RMW counter in place, by copy and from the device', async () => {
    const kv = await store<Uint8Array, bigint, number | bigint>({
      valueCodec: codecs.uint64, rmw: rmwFunctions.counter as never,
    });
    const s = kv.newSession();
    const key = bytesOf('clicks');
    for (let i = 1; i <= 10; i++) s.rmw(key, i);
    expect(s.read(key)).toBe(55n);
    for (let i = 0; i < 2000; i++) s.upsert(bytesOf(`filler-${i}`), 7n);
    expect(kv.stats().headAddress).toBeGreaterThan(0);
    s.rmw(key, 45);
    expect(s.read(key)).toBe(100n);
    await s.rmwAsync(key, 1n);
    expect(await s.readAsync(key)).toBe(101n);
  });

  it('serves reads of records that were evicted to the device, sync and async', async () => {
    const kv = await store();
    const s = kv.newSession();
    const n = 3000;
    for (let i = 0; i < n; i++) s.upsert(bytesOf(`key-${i}`), bytesOf(`value-${i}`));
    expect(kv.stats().headAddress).toBeGreaterThan(64);
    expect(textOf(s.read(bytesOf('key-0')))).toBe('value-0');
    const reads = Array.from({ length: 64 }, (_, i) => s.readAsync(bytesOf(`key-${i * 7}`)));
    const values = await Promise.all(reads);
    values.forEach((v, i) => expect(textOf(v)).toBe(`value-${i * 7}`));
  });

  it('makes a delete of an on-device key hide it, and re-insertion work', async () => {
    const kv = await store();
    const s = kv.newSession();
    for (let i = 0; i < 2000; i++) s.upsert(bytesOf(`key-${i}`), bytesOf(`v${i}`));
    s.delete(bytesOf('key-3'));
    expect(s.read(bytesOf('key-3'))).toBeUndefined();
    for (let i = 2000; i < 4000; i++) s.upsert(bytesOf(`key-${i}`), bytesOf(`v${i}`));
    expect(s.read(bytesOf('key-3'))).toBeUndefined();
    expect(await s.readAsync(bytesOf('key-3'))).toBeUndefined();
    s.upsert(bytesOf('key-3'), bytesOf('back'));
    expect(textOf(s.read(bytesOf('key-3')))).toBe('back');
  });

  it('completes a pending read with a newer value written while its I/O was in flight', async () => {
    const kv = await store();
    const s = kv.newSession();
    for (let i = 0; i < 2000; i++) s.upsert(bytesOf(`key-${i}`), bytesOf(`old-${i}`));
    const pending = s.readAsync(bytesOf('key-1'));
    s.upsert(bytesOf('key-1'), bytesOf('new'));
    expect(textOf(await pending)).toBe('new');
    await s.completePending();
  });

  it('reads every key correctly after the whole log was evicted (shift head, then read)', async () => {
    const kv = await store();
    const s = kv.newSession();
    for (let i = 0; i < 100; i++) s.upsert(bytesOf(`key-${i}`), bytesOf(`v${i}`));
    const { log, epoch } = kv.ctx;
    const tail = log.shiftReadOnlyToTail();
    log.flushUntilSync(tail);
    epoch.protect();
    log.shiftHeadAddress(tail);
    epoch.unprotect();
    epoch.protect();
    epoch.unprotect();
    expect(kv.stats().headAddress).toBe(tail);
    for (let i = 0; i < 100; i++) expect(textOf(s.read(bytesOf(`key-${i}`)))).toBe(`v${i}`);
  });

  it('reports a damaged record on the device as ERR_CORRUPTION naming file and offset', async () => {
    const kv = await store();
    const s = kv.newSession();
    for (let i = 0; i < 2000; i++) s.upsert(bytesOf(`key-${i}`), bytesOf(`value-${i}`));
    const segment = join(kv.options.dir, 'hlog.log.0');
    const fd = openSync(segment, 'r+');
    writeSync(fd, Uint8Array.of(0xff), 0, 1, 64 + 30);
    closeSync(fd);
    let error: FasterError | undefined;
    try {
      s.read(bytesOf('key-0'));
    } catch (err) {
      error = err as FasterError;
    }
    expect(error?.code).toBe('ERR_CORRUPTION');
    expect(error?.path).toBe(segment);
    expect(error?.offset).toBe(64);
    await expect(s.readAsync(bytesOf('key-0'))).rejects.toThrow(/hlog\.log\.0 is damaged at offset 64/);
    expect(textOf(s.read(bytesOf('key-1999')))).toBe('value-1999');
  });

  it('works with utf8 keys and JSON values', async () => {
    const kv = await store<string, unknown>({ keyCodec: codecs.utf8, valueCodec: codecs.json });
    const s = kv.newSession();
    s.upsert('ключ', { a: [1, 2] });
    expect(s.read('ключ')).toEqual({ a: [1, 2] });
  });

  it('rejects bad arguments, naming them', async () => {
    const kv = await store();
    const s = kv.newSession('dup');
    expect(() => s.upsert('text' as never, bytesOf('v'))).toThrow(/key must be a Uint8Array/);
    expect(() => s.rmw(bytesOf('k'), 1)).toThrow(/rmw must be set in FasterKV.open/);
    expect(() => kv.newSession('dup')).toThrow(/not the id of a session that is open/);
    expect(() => s.upsert(bytesOf('k'), new Uint8Array(5000))).toThrow(
      expect.objectContaining({ code: 'ERR_RECORD_TOO_LARGE' }));
  });

  it('refuses use after close with ERR_CLOSED and closes idempotently', async () => {
    const kv = await store();
    const s = kv.newSession();
    await kv.close();
    await kv.close();
    expect(() => s.read(bytesOf('k'))).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }));
    expect(() => kv.newSession()).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }));
  });
});
