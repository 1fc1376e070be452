/**
 * The read cache (the `readCache` option, src/store/read-cache.ts): records read from the
 * device are served again from memory, copies are exact or missing (never stale or torn), and
 * a store with the cache on answers exactly like one without, across updates, deletes,
 * compaction and index growth. (`FASTERKV_TEST_READ_CACHE=1` runs the other store suites with
 * the cache on.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { availableEngines } from '../../../src/native.js';
import type { FasterKV } from '../../../src/store/faster-kv.js';
import { ReadCache } from '../../../src/store/read-cache.js';
import { KvModel } from '../../support/kv-model.js';
import { seededPrng } from '../../support/prng.js';
import { bytesOf, openTiny, textOf } from '../../support/store.js';

const KiB = 1024;

describe('ReadCache', () => {
  it('returns exactly the copy it was given for an address, and misses others', () => {
    const cache = new ReadCache(64 * KiB);
    const record = Uint8Array.from({ length: 40 }, (_, i) => i + 1);
    cache.put(4096, record);
    record.fill(0);
    expect(cache.get(4096)).toEqual(Uint8Array.from({ length: 40 }, (_, i) => i + 1));
    expect(cache.get(4096 + 8)).toBeUndefined();
    expect(cache.get(2 ** 40 + 4096)).toBeUndefined();
    const into = new Uint8Array(100);
    const view = cache.get(4096, into)!;
    expect(view.buffer).toBe(into.buffer);
    expect(view.length).toBe(40);
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 2, inserts: 1 });
  });

  it('misses a copy once the ring has wrapped over it, never returning other bytes', () => {
    const prng = seededPrng();
    const cache = new ReadCache(64 * KiB);
    const kept = new Map<number, Uint8Array>();
    for (let i = 0; i < 5000; i++) {
      const address = 64 + 8 * prng.int(1 << 20);
      const record = prng.fill(new Uint8Array(24 + 8 * prng.int(100)));
      cache.put(address, record);
      kept.set(address, record);
      const probe = [...kept.keys()][prng.int(kept.size)]!;
      const got = cache.get(probe);
      if (got !== undefined) expect(got).toEqual(kept.get(probe));
    }
    const recent = [...kept.entries()].slice(-20);
    const hits = recent.filter(([address, record]) => {
      const got = cache.get(address);
      if (got !== undefined) expect(got).toEqual(record);
      return got !== undefined;
    });
    expect(hits.length).toBeGreaterThan(10);
    expect(cache.stats().bytes).toBeLessThan(80 * KiB);
  });

  it('shares its memory with a view made from its buffer', () => {
    const cache = new ReadCache(64 * KiB);
    cache.put(640, bytesOf('a record of forty bytes, more or less...'));
    const view = new ReadCache(cache.buffer);
    expect(textOf(view.get(640))).toBe('a record of forty bytes, more or less...');
    expect(cache.stats().hits).toBe(1);
  });
});

describe.each(availableEngines())('FasterKV with a read cache (%s engine)', (engine) => {
  let kv: FasterKV | undefined;
  afterEach(async () => {
    await kv?.close();
    kv = undefined;
  });

  it('serves a record read from the device again without device reads', async () => {
    kv = await openTiny(engine, { readCache: { memoryBytes: 256 * KiB } });
    const s = kv.newSession();
    for (let i = 0; i < 2000; i++) s.upsert(bytesOf(`key-${i}`), bytesOf(`value-${i}`));
    expect(textOf(s.read(bytesOf('key-5')))).toBe('value-5');
    expect(textOf(await s.readAsync(bytesOf('key-6')))).toBe('value-6');
    const reads = kv.stats().device.reads;
    const hits = kv.stats().readCache!.hits;
    for (let round = 0; round < 3; round++) {
      expect(textOf(s.read(bytesOf('key-5')))).toBe('value-5');
      expect(textOf(await s.readAsync(bytesOf('key-6')))).toBe('value-6');
    }
    expect(kv.stats().device.reads).toBe(reads);
    expect(kv.stats().readCache!.hits).toBe(hits + 6);
    expect(kv.stats().readCache!.bytes).toBeLessThan(300 * KiB);
  });

  it('answers like a Map model across updates, deletes, growth and compaction', async () => {
    const rng = seededPrng();
    kv = await openTiny(engine, { readCache: true, indexBuckets: 64 });
    const s = kv.newSession();
    const model = new KvModel();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 1000; i++) {
        model.step(s, rng, 0.3);
        if (i % 4 === 0) {
          const key = model.keys[rng.int(model.keys.length)]!;
          expect(s.read(key)).toEqual(model.get(key));
          expect(await s.readAsync(key)).toEqual(model.get(key));
        }
      }
      await kv.compact({ until: Math.floor(kv.stats().tailAddress / 2) });
    }
    model.expectMatches(s);
    const stats = kv.stats();
    expect(stats.readCache!.hits).toBeGreaterThan(0);
    expect(stats.index.growths).toBeGreaterThan(0);
  });

  it('takes its size from the option and rejects a bad one', async () => {
    await expect(openTiny(engine, { readCache: { memoryBytes: 1000 } })).rejects.toThrow(
      /readCache.memoryBytes must be an integer from 65536 to 1073741824/);
    await expect(openTiny(engine, { readCache: 'yes' as never })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT' });
    kv = await openTiny(engine, { readCache: false });
    expect(kv.stats().readCache).toBeUndefined();
  });
});
