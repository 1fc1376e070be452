/**
 * The store grows its hash index on page turns (src/store/index-growth.ts): a store opened
 * with 64 buckets and loaded with thousands of keys doubles its index several times and keeps
 * answering exactly like a Map model, through the sync and the async API.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HashIndex, type RecordLookup } from '../../../src/index/hash-index.js';
import { availableEngines, selectBinding } from '../../../src/native.js';
import type { FasterKV } from '../../../src/store/faster-kv.js';
import { KvModel } from '../../support/kv-model.js';
import { seededPrng } from '../../support/prng.js';
import { bytesOf, openTiny, textOf } from '../../support/store.js';

/** Records that all live on the device: splits put each entry in both halves. */
const onDevice: RecordLookup = {
  hashAt: () => undefined,
  previousAddressAt: () => 0,
};

describe.each(availableEngines())('FasterKV index growth (%s engine)', (engine) => {
  let kv: FasterKV | undefined;
  afterEach(async () => {
    await kv?.close();
    kv = undefined;
  });

  it('doubles a 64-bucket index several times under load and still matches a Map model',
    async () => {
      const rng = seededPrng();
      kv = await openTiny(engine, { indexBuckets: 64 });
      const s = kv.newSession();
      const model = new KvModel();
      for (let i = 0; i < 7000; i++) model.step(s, rng, 0.6);
      const { index, headAddress, tailAddress } = kv.stats();
      expect(headAddress, 'most records live on the device').toBeGreaterThan(tailAddress / 2);
      expect(index.initialBuckets).toBe(64);
      expect(index.growths).toBeGreaterThanOrEqual(3);
      expect(index.buckets).toBe(64 * 2 ** index.growths);
      expect(index.phase).toBe('REST');
      expect(kv.ctx.index.tableBuckets).toBe(index.buckets);
      model.expectMatches(s);
    });

  it('keeps matching the model through the async API while the index grows', async () => {
    const rng = seededPrng();
    kv = await openTiny(engine, { indexBuckets: 64 });
    const s = kv.newSession();
    const model = new KvModel();
    for (let i = 0; i < 6000; i++) {
      await model.stepAsync(s, rng, 0.6);
      if (i % 7 === 0) {
        const key = model.keys[rng.int(model.keys.length)]!;
        expect(await s.readAsync(key)).toEqual(model.get(key));
      }
    }
    expect(kv.stats().index.growths).toBeGreaterThanOrEqual(2);
    model.expectMatches(s);
  });

  it('settles reads that were pending on the device across a growth', async () => {
    kv = await openTiny(engine, { indexBuckets: 64 });
    const s = kv.newSession();
    for (let i = 0; i < 1500; i++) s.upsert(bytesOf(`old-${i}`), bytesOf(`v${i}`));
    const before = kv.stats().index.buckets;
    const reads = Array.from({ length: 200 }, (_, i) => s.readAsync(bytesOf(`old-${i * 7}`)));
    for (let i = 0; i < 4000; i++) s.upsert(bytesOf(`new-${i}`), bytesOf(`w${i}`));
    expect(kv.stats().index.buckets).toBeGreaterThan(before);
    const values = await Promise.all(reads);
    values.forEach((v, i) => expect(textOf(v)).toBe(`v${i * 7}`));
  });

  it('grows an index that recovery has to rebuild from a checkpoint', async () => {
    kv = await openTiny(engine, { indexBuckets: 64 });
    const dir = kv.options.dir;
    const s = kv.newSession('writer');
    for (let i = 0; i < 3000; i++) s.upsert(bytesOf(`key-${i}`), bytesOf(`v${i}`));
    expect(kv.stats().index.growths).toBeGreaterThan(0);
    await kv.checkpoint();
    await kv.close();
    kv = await openTiny(engine, { dir, indexBuckets: 64 });
    const r = kv.resumeSession('writer');
    for (let i = 0; i < 3000; i += 13) expect(textOf(r.read(bytesOf(`key-${i}`)))).toBe(`v${i}`);
  });
});

describe.each(availableEngines())('HashIndex#whilePreparing (%s engine)', (engine) => {
  const binding = selectBinding(engine);

  it('makes lookups wait while a grow is prepared, then answer from the grown table', () => {
    const index = HashIndex.create(binding, { buckets: 8, lookup: onDevice });
    const hash = 0x12345678;
    const slot = index.findOrCreateTag(hash, 0);
    expect(index.casEntryAddress(slot, 1, 4096)).toBe(true);
    expect(index.prepareGrow()).toBe(true);
    let waits = 0;
    index.whilePreparing = () => {
      waits++;
      if (waits === 3) index.startGrow();
    };
    const grown = index.findTag(hash);
    expect(waits).toBe(3);
    expect(index.phase).toBe('REST');
    expect(index.tableBuckets).toBe(16);
    expect(grown).not.toBe(slot);
    expect(index.readEntry(grown)).toBe(4096);
    expect(index.findOrCreateTag(hash, 0)).toBe(grown);
    expect(waits).toBe(3);
  });

  it('lets lookups use the old table during a prepared grow when no store waits', () => {
    const index = HashIndex.create(binding, { buckets: 8, lookup: onDevice });
    const slot = index.findOrCreateTag(77, 0);
    index.prepareGrow();
    expect(index.findTag(77)).toBe(slot);
    expect(index.phase).toBe('PREPARE_GROW');
  });
});
