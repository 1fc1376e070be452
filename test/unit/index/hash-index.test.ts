import { describe, expect, it } from 'vitest';
import { hashBucket, hashTag, packEntry } from '../../../src/index/hash-bucket.js';
import { HashIndex, NOT_FOUND, TEMP_INVALID_ADDRESS } from '../../../src/index/hash-index.js';
import { availableEngines, selectBinding } from '../../../src/native.js';
import { seededPrng } from '../../support/prng.js';
import { chainLengths, makeHash, scanArena } from './arena-scan.js';

describe.each(availableEngines())('HashIndex on the %s engine', (engine) => {
  const binding = selectBinding(engine);
  const create = (buckets: number, maxBytes?: number) =>
    HashIndex.create(binding, { buckets, ...(maxBytes === undefined ? {} : { maxBytes }) });

  it('finds nothing in an empty index', () => {
    const index = create(64);
    expect(index.findTag(makeHash(5, 77))).toBe(NOT_FOUND);
    expect(index.tableBuckets).toBe(64);
    expect(index.overflowBuckets).toBe(0);
  });

  it('creates a slot reading TEMP_INVALID_ADDRESS that findTag then returns', () => {
    const index = create(64);
    const hash = makeHash(5, 77);
    const slot = index.findOrCreateTag(hash, 0);
    expect(slot).toBeGreaterThanOrEqual(0);
    expect(index.readEntry(slot)).toBe(TEMP_INVALID_ADDRESS);
    expect(index.findTag(hash)).toBe(slot);
    expect(index.findOrCreateTag(hash, 0)).toBe(slot);
  });

  it('puts the entry in the main bucket of the hash with its tag and no tentative bit', () => {
    const index = create(64);
    const hash = makeHash(64 * 3 + 9, 0x2abc);
    const slot = index.findOrCreateTag(hash, 0);
    expect(index.casEntryAddress(slot, TEMP_INVALID_ADDRESS, 0x1234_5678_9a)).toBe(true);
    const words = new BigInt64Array(index.memory);
    expect(words[slot]).toBe(BigInt.asIntN(64, packEntry(0x1234_5678_9a, 0x2abc, false)));
    expect(scanArena(index.memory)).toEqual([
      { bucket: 9, slot, tag: 0x2abc, address: 0x1234_5678_9a, tentative: false },
    ]);
  });

  it('tells a tag-0 entry whose high word is zero from an empty slot', () => {
    const index = create(1);
    const hash = makeHash(0, 0);
    const slot = index.findOrCreateTag(hash, 0);
    expect(index.findTag(hash)).toBe(slot);
    expect(index.findTag(makeHash(0, 1))).toBe(NOT_FOUND);
  });

  it('keeps one slot per (bucket, tag) for many seeded random hashes', () => {
    const prng = seededPrng();
    const index = create(16);
    const model = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const hash = makeHash(prng.nextU32(), prng.int(256));
      const key = `${hashBucket(hash, 16)}/${hashTag(hash)}`;
      const expected = model.get(key);
      if (i % 3 === 0) {
        expect(index.findTag(hash)).toBe(expected ?? NOT_FOUND);
        continue;
      }
      const slot = index.findOrCreateTag(hash, 0);
      if (expected === undefined) model.set(key, slot);
      else expect(slot).toBe(expected);
    }
    const entries = scanArena(index.memory);
    expect(entries.length).toBe(model.size);
    for (const e of entries) expect(model.get(`${e.bucket}/${e.tag}`)).toBe(e.slot);
    expect(entries.every((e) => !e.tentative)).toBe(true);
  });

  it('chains overflow buckets when seven slots are not enough', () => {
    const index = create(1);
    const slots = new Set<number>();
    for (let tag = 0; tag < 50; tag++) slots.add(index.findOrCreateTag(makeHash(tag, tag), 0));
    expect(slots.size).toBe(50);
    expect(chainLengths(index.memory)).toEqual([Math.ceil(50 / 7)]);
    expect(index.overflowBuckets).toBe(Math.ceil(50 / 7) - 1);
    for (let tag = 0; tag < 50; tag++) expect(index.findTag(makeHash(99, tag))).toBeGreaterThan(0);
  });

  it('grows its arena when the committed buckets run out', () => {
    const index = create(1, 1 << 20);
    const before = index.memory.byteLength;
    for (let tag = 0; tag < 7 * 200; tag++) index.findOrCreateTag(makeHash(0, tag), 0);
    expect(index.memory.byteLength).toBeGreaterThan(before);
    expect(index.overflowBuckets).toBe(199);
    expect(scanArena(index.memory).length).toBe(1400);
  });

  it('reports ERR_INVALID_ARGUMENT naming maxBytes when the reservation is exhausted', () => {
    const index = create(1, 4096);
    expect(() => {
      for (let tag = 0; tag < 7 * 100; tag++) index.findOrCreateTag(makeHash(0, tag), 0);
    }).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringMatching(/maxBytes/) }));
  });

  it('reclaims slots whose address is below beginAddress while creating', () => {
    const index = create(1);
    const old = index.findOrCreateTag(makeHash(0, 1), 0);
    expect(index.casEntryAddress(old, TEMP_INVALID_ADDRESS, 100)).toBe(true);
    const fresh = index.findOrCreateTag(makeHash(0, 2), 0);
    expect(index.casEntryAddress(fresh, TEMP_INVALID_ADDRESS, 500)).toBe(true);
    const reused = index.findOrCreateTag(makeHash(0, 3), 200);
    expect(reused).toBe(old);
    expect(index.findTag(makeHash(0, 1))).toBe(NOT_FOUND);
    expect(index.readEntry(fresh)).toBe(500);
  });

  it('never reclaims a created slot that still reads TEMP_INVALID_ADDRESS', () => {
    const index = create(1);
    const pending = index.findOrCreateTag(makeHash(0, 1), 0);
    index.findOrCreateTag(makeHash(0, 2), 1000);
    expect(index.findTag(makeHash(0, 1))).toBe(pending);
    expect(index.readEntry(pending)).toBe(TEMP_INVALID_ADDRESS);
  });

  it('gives a reclaimed tag a new slot rather than its stale address', () => {
    const index = create(1);
    const slot = index.findOrCreateTag(makeHash(0, 9), 0);
    index.casEntryAddress(slot, TEMP_INVALID_ADDRESS, 64);
    const again = index.findOrCreateTag(makeHash(0, 9), 128);
    expect(index.readEntry(again)).toBe(TEMP_INVALID_ADDRESS);
  });

  it('swaps addresses only from the expected one, keeping the tag', () => {
    const index = create(8);
    const hash = makeHash(3, 0x3fff);
    const slot = index.findOrCreateTag(hash, 0);
    expect(index.casEntryAddress(slot, 999, 2000)).toBe(false);
    expect(index.casEntryAddress(slot, TEMP_INVALID_ADDRESS, 2 ** 47 + 5)).toBe(true);
    expect(index.readEntry(slot)).toBe(2 ** 47 + 5);
    expect(index.casEntryAddress(slot, 2 ** 47 + 5, 2 ** 48 - 1)).toBe(true);
    expect(index.findTag(hash)).toBe(slot);
    expect(scanArena(index.memory)[0]).toMatchObject({ tag: 0x3fff, address: 2 ** 48 - 1 });
  });

  it('clears a slot only while it holds the given address', () => {
    const index = create(8);
    const slot = index.findOrCreateTag(makeHash(1, 1), 0);
    index.casEntryAddress(slot, TEMP_INVALID_ADDRESS, 4096);
    expect(index.clearIfAddress(slot, 64)).toBe(false);
    expect(index.clearIfAddress(slot, 4096)).toBe(true);
    expect(index.readEntry(slot)).toBe(0);
    expect(index.findTag(makeHash(1, 1))).toBe(NOT_FOUND);
    expect(index.casEntryAddress(slot, 0, 64)).toBe(false);
  });

  it('rejects a slot outside the arena', () => {
    const index = create(8);
    expect(() => index.readEntry(1e9)).toThrow(expect.objectContaining({
      code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('rejects a table size that is not a power of two', () => {
    expect(() => create(12)).toThrow(/buckets must be a power of two/);
  });
});

describe('HashIndex memory shared by both engines', () => {
  const engines = availableEngines();

  it.runIf(engines.length === 2)('leaves the same words after the same operations', () => {
    const prng = seededPrng();
    const ops: [number, number][] = [];
    for (let i = 0; i < 2000; i++) ops.push([makeHash(prng.nextU32(), prng.int(64)), prng.int(3)]);
    const images = engines.map((engine) => {
      const index = HashIndex.create(selectBinding(engine), { buckets: 4, maxBytes: 1 << 24 });
      let address = 64;
      for (const [hash, kind] of ops) {
        const slot = kind === 0 ? index.findTag(hash) : index.findOrCreateTag(hash, address >> 2);
        if (slot >= 0 && kind === 2) {
          index.casEntryAddress(slot, index.readEntry(slot), (address += 64));
        }
      }
      return new Uint8Array(index.memory.slice(0));
    });
    expect(Buffer.compare(images[0]!, images[1]!)).toBe(0);
  });

  it.runIf(engines.length === 2)('lets one engine continue what the other started', () => {
    const prng = seededPrng();
    const native = HashIndex.create(selectBinding('native'), { buckets: 2 });
    const js = HashIndex.attach(selectBinding('js'), native.memory);
    const model = new Map<string, { hash: number; address: number }>();
    for (let i = 0; i < 500; i++) {
      const hash = makeHash(prng.nextU32(), prng.int(1 << 14));
      const [writer, reader] = i % 2 === 0 ? [native, js] : [js, native];
      const slot = writer.findOrCreateTag(hash, 0);
      writer.casEntryAddress(slot, writer.readEntry(slot), 64 * (i + 1));
      model.set(`${hashBucket(hash, 2)}/${hashTag(hash)}`, { hash, address: 64 * (i + 1) });
      expect(reader.findTag(hash)).toBe(slot);
      expect(reader.readEntry(slot)).toBe(64 * (i + 1));
    }
    for (const { hash, address } of model.values()) {
      expect(js.readEntry(js.findTag(hash))).toBe(address);
      expect(native.readEntry(native.findTag(hash))).toBe(address);
    }
    js.detach();
  });
});
