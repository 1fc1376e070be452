/**
 * kv.logScan() (FASTER's Log.Scan: every record, history included) and kv.scan() (FASTER's
 * Iterate: each live key once with its latest value), sync and async, over stores whose
 * records mostly live on the device (digest §13.2: scan across disk and memory in order,
 * page-padding skip, iteration of live keys after updates and deletes).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codecs } from '../../../src/codec/codecs.js';
import { availableEngines } from '../../../src/native.js';
import type { FasterKV } from '../../../src/store/faster-kv.js';
import type { LogRecord, ScanRecord } from '../../../src/store/iteration.js';
import { hexOf, KvModel } from '../../support/kv-model.js';
import { seededPrng } from '../../support/prng.js';
import { bytesOf, damageByte, freezeLog, openTiny, textOf } from '../../support/store.js';

type Mode = 'sync' | 'async';

async function collect<T>(iterable: Iterable<T> & AsyncIterable<T>, mode: Mode): Promise<T[]> {
  if (mode === 'sync') return [...iterable];
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

function liveMap(records: ScanRecord<Uint8Array, Uint8Array>[]): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const r of records) {
    expect(out.has(hexOf(r.key)), `key ${hexOf(r.key)} returned twice`).toBe(false);
    out.set(hexOf(r.key), r.value);
  }
  return out;
}

describe.each(availableEngines())('FasterKV scans (%s engine)', (engine) => {
  let kv: FasterKV | undefined;
  afterEach(async () => {
    await kv?.close();
    kv = undefined;
  });

  describe.each(['sync', 'async'] as const)('%s iteration', (mode) => {
    it('returns every record in address order across the device and memory', async () => {
      kv = await openTiny(engine);
      const s = kv.newSession();
      const n = 1500;
      for (let i = 0; i < n; i++) s.upsert(bytesOf(`key-${i}`), bytesOf(`value-${i}`));
      expect(kv.stats().headAddress).toBeGreaterThan(kv.stats().tailAddress / 2);
      const records = await collect(kv.logScan(), mode);
      expect(records.map((r) => textOf(r.key))).toEqual(
        Array.from({ length: n }, (_, i) => `key-${i}`));
      records.forEach((r, i) => {
        expect(textOf(r.value)).toBe(`value-${i}`);
        expect(r.tombstone).toBe(false);
        if (i > 0) expect(r.address).toBeGreaterThanOrEqual(records[i - 1]!.nextAddress);
      });
    });

    it('skips the padding that records too large for the rest of a page leave', async () => {
      kv = await openTiny(engine);
      const s = kv.newSession();
      for (let i = 0; i < 40; i++) s.upsert(bytesOf(`big-${i}`), new Uint8Array(1200).fill(i));
      const records = await collect(kv.logScan(), mode);
      expect(records.map((r) => textOf(r.key))).toEqual(
        Array.from({ length: 40 }, (_, i) => `big-${i}`));
      const pageBytes = kv.options.pageBytes;
      let gaps = 0;
      records.forEach((r, i) => {
        expect(r.value).toEqual(new Uint8Array(1200).fill(i));
        const lastByte = r.nextAddress - 1;
        expect(Math.floor(r.address / pageBytes)).toBe(Math.floor(lastByte / pageBytes));
        const next = records[i + 1];
        if (next !== undefined && next.address !== r.nextAddress) {
          gaps++;
          expect(next.address % pageBytes).toBe(0);
        }
      });
      expect(gaps).toBeGreaterThan(5);
    });

    it('shows the history of a key: superseded versions and the tombstone', async () => {
      kv = await openTiny(engine);
      const s = kv.newSession();
      const key = bytesOf('k');
      s.upsert(key, bytesOf('one'));
      freezeLog(kv);
      s.upsert(key, bytesOf('two'));
      freezeLog(kv);
      s.delete(key);
      s.upsert(bytesOf('other'), bytesOf('x'));
      const records = await collect(kv.logScan(), mode);
      const ofKey = records.filter((r) => textOf(r.key) === 'k');
      expect(ofKey.map((r) => [textOf(r.value), r.tombstone])).toEqual([
        ['one', false], ['two', false], [undefined, true]]);
      expect(ofKey[1]!.previousAddress).toBe(ofKey[0]!.address);
      expect(ofKey[2]!.previousAddress).toBe(ofKey[1]!.address);
      const live = await collect(kv.scan(), mode);
      expect(live.map((r) => textOf(r.key))).toEqual(['other']);
    });

    it('returns each live key once with its latest value after updates and deletes',
      async () => {
        const rng = seededPrng();
        kv = await openTiny(engine);
        const s = kv.newSession();
        const model = new KvModel();
        for (let i = 0; i < 3000; i++) model.step(s, rng);
        const live = liveMap(await collect(kv.scan(), mode));
        expect(live).toEqual(model.live());
      });

    it('answers for the log as it stood at `to`, and for the keys written from `from`',
      async () => {
        kv = await openTiny(engine);
        const s = kv.newSession();
        for (let i = 0; i < 600; i++) s.upsert(bytesOf(`key-${i}`), bytesOf(`first-${i}`));
        const middle = kv.stats().tailAddress;
        for (let i = 0; i < 600; i += 2) s.upsert(bytesOf(`key-${i}`), bytesOf(`second-${i}`));
        for (let i = 0; i < 600; i += 3) s.delete(bytesOf(`key-${i}`));
        const before = await collect(kv.scan({ to: middle }), mode);
        expect(before.map((r) => [textOf(r.key), textOf(r.value)])).toEqual(
          Array.from({ length: 600 }, (_, i) => [`key-${i}`, `first-${i}`]));
        const after = await collect(kv.scan({ from: middle }), mode);
        const expected = Array.from({ length: 600 }, (_, i) => i)
          .filter((i) => i % 2 === 0 && i % 3 !== 0)
          .map((i) => [`key-${i}`, `second-${i}`]);
        expect(after.map((r) => [textOf(r.key), textOf(r.value)])).toEqual(expected);
      });

    it('decodes keys and values through the codecs', async () => {
      const store = await openTiny<string, unknown>(engine, {
        keyCodec: codecs.utf8, valueCodec: codecs.json,
      });
      kv = store as never;
      const s = store.newSession();
      s.upsert('ключ', { n: 1 });
      const longer = { n: 2, more: 'a longer value that cannot be updated in place' };
      s.upsert('ключ', longer);
      s.upsert('other', [1, 2]);
      const history: LogRecord<string, unknown>[] = await collect(store.logScan(), mode);
      expect(history.map((r) => [r.key, r.value])).toEqual([
        ['ключ', { n: 1 }], ['ключ', longer], ['other', [1, 2]]]);
      const live = await collect(store.scan(), mode);
      expect(live.map((r) => [r.key, r.value])).toEqual([['ключ', longer], ['other', [1, 2]]]);
    });
  });

  it('lets operations run while an async scan is under way', async () => {
    const rng = seededPrng();
    kv = await openTiny(engine);
    const s = kv.newSession();
    const start = new Map<string, string>();
    for (let i = 0; i < 1200; i++) {
      s.upsert(bytesOf(`key-${i}`), bytesOf(`v${i}`));
      start.set(`key-${i}`, `v${i}`);
    }
    const touched = new Set<string>();
    const seen = new Map<string, string>();
    for await (const { key, value } of kv.scan()) {
      const id = textOf(key)!;
      expect(seen.has(id), `${id} returned twice`).toBe(false);
      seen.set(id, textOf(value)!);
      if (!touched.has(id)) expect(textOf(await s.readAsync(bytesOf(id)))).toBe(start.get(id));
      const other = `key-${rng.int(1200)}`;
      touched.add(other);
      if (rng.int(3) === 0) await s.deleteAsync(bytesOf(other));
      else await s.upsertAsync(bytesOf(other), bytesOf(`changed-during-scan ${other}`));
      await s.upsertAsync(bytesOf(`new-${seen.size}`), bytesOf('inserted during the scan'));
    }
    expect(seen.size).toBeGreaterThan(1200 - touched.size);
    for (const [id, value] of start) {
      if (touched.has(id)) continue;
      expect(seen.get(id), id).toBe(value);
    }
    for (const id of seen.keys()) {
      expect(start.has(id), `${id} was inserted after the scan started`).toBe(true);
    }
  });

  it('stops early without harm and refuses to go on after the store closed', async () => {
    kv = await openTiny(engine);
    const s = kv.newSession();
    for (let i = 0; i < 300; i++) s.upsert(bytesOf(`key-${i}`), bytesOf(`v${i}`));
    for (const r of kv.scan()) {
      expect(textOf(r.key)).toBe('key-0');
      break;
    }
    expect(textOf(s.read(bytesOf('key-1')))).toBe('v1');
    const iterator = kv.logScan()[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    await kv.close();
    await expect(iterator.next()).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    expect(() => kv!.scan()).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }));
  });

  it('rejects a bad range, naming the argument', async () => {
    kv = await openTiny(engine);
    expect(() => kv!.logScan({ from: -1 })).toThrow(/from must be a log address/);
    expect(() => kv!.scan({ from: 100, to: 50 })).toThrow(
      /to must be a log address: an integer >= from \(100\)/);
    expect(() => kv!.scan({ to: 1.5 })).toThrow(expect.objectContaining({
      code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('reports a damaged record it reads from the device as ERR_CORRUPTION', async () => {
    kv = await openTiny(engine);
    const s = kv.newSession();
    for (let i = 0; i < 2000; i++) s.upsert(bytesOf(`key-${i}`), bytesOf(`value-${i}`));
    const segment = join(kv.options.dir, 'hlog.log.0');
    damageByte(segment, 64 + 30);
    expect(() => [...kv!.logScan()]).toThrow(expect.objectContaining({
      code: 'ERR_CORRUPTION', path: segment, offset: 64 }));
    await expect(collect(kv.scan(), 'async')).rejects.toMatchObject({ code: 'ERR_CORRUPTION' });
  });
});
