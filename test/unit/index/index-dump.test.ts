import { describe, expect, it } from 'vitest';
import { HI_TENTATIVE, hashTag } from '../../../src/index/hash-bucket.js';
import { HashIndex, NOT_FOUND, TEMP_INVALID_ADDRESS } from '../../../src/index/hash-index.js';
import { IMAGE_HEADER_BYTES, IMAGE_VERSION } from '../../../src/index/index-dump.js';
import { IndexMemory } from '../../../src/index/index-memory.js';
import { availableEngines, selectBinding } from '../../../src/native.js';
import type { Prng } from '../../support/prng.js';
import { seededPrng } from '../../support/prng.js';
import { makeHash, scanArena } from './arena-scan.js';

/** Entries without their slots (overflow buckets are renumbered by a dump). */
function contents(memory: SharedArrayBuffer): string[] {
  return scanArena(memory).map((e) => `${e.bucket}/${e.tag}/${e.address}/${e.tentative}`).sort();
}

describe.each(availableEngines())('index image on the %s engine', (engine) => {
  const binding = selectBinding(engine);

  function filled(prng: Prng, buckets = 8): { index: HashIndex; hashes: number[] } {
    const index = HashIndex.create(binding, { buckets });
    const hashes = Array.from({ length: 300 }, () => makeHash(prng.nextU32(), prng.int(1 << 14)));
    hashes.forEach((hash, i) => {
      const slot = index.findOrCreateTag(hash, 0);
      index.casEntryAddress(slot, index.readEntry(slot), 64 * (i + 1));
    });
    return { index, hashes };
  }

  it('loads back the same entries, overflow chains included', () => {
    const { index, hashes } = filled(seededPrng());
    expect(index.overflowBuckets).toBeGreaterThan(0);
    const loaded = HashIndex.load(binding, index.dump());
    expect(contents(loaded.memory)).toEqual(contents(index.memory));
    expect(loaded.tableBuckets).toBe(8);
    expect(loaded.overflowBuckets).toBe(index.overflowBuckets);
    for (const hash of hashes) {
      expect(loaded.readEntry(loaded.findTag(hash))).toBe(index.readEntry(index.findTag(hash)));
    }
  });

  it('gives a loaded index that keeps working: create, CAS and chain further', () => {
    const { index } = filled(seededPrng());
    const loaded = HashIndex.load(binding, index.dump());
    const hash = makeHash(3, 0x1fff);
    const slot = loaded.findOrCreateTag(hash, 0);
    expect(loaded.readEntry(slot)).toBe(TEMP_INVALID_ADDRESS);
    expect(loaded.casEntryAddress(slot, TEMP_INVALID_ADDRESS, 1 << 30)).toBe(true);
    expect(loaded.findTag(hash)).toBe(slot);
  });

  it('drops tentative entries on load', () => {
    const index = HashIndex.create(binding, { buckets: 2 });
    const kept = index.findOrCreateTag(makeHash(0, 5), 0);
    const claimed = index.findOrCreateTag(makeHash(0, 6), 0);
    new IndexMemory(index.memory).store64(claimed, TEMP_INVALID_ADDRESS, (6 << 16) | HI_TENTATIVE);
    expect(scanArena(index.memory).filter((e) => e.tentative).length).toBe(1);
    const loaded = HashIndex.load(binding, index.dump());
    expect(scanArena(loaded.memory).map((e) => e.tag)).toEqual([hashTag(makeHash(0, 5))]);
    expect(loaded.findTag(makeHash(0, 5))).toBe(kept);
    expect(loaded.findTag(makeHash(0, 6))).toBe(NOT_FOUND);
  });

  it('dumps the active table after a grow', () => {
    const index = HashIndex.create(binding, { buckets: 4, lookup: {
      hashAt: () => undefined, previousAddressAt: () => 0,
    } });
    for (let tag = 0; tag < 40; tag++) {
      const slot = index.findOrCreateTag(makeHash(tag, tag), 0);
      index.casEntryAddress(slot, TEMP_INVALID_ADDRESS, 64 * (tag + 1));
    }
    index.grow();
    const loaded = HashIndex.load(binding, index.dump());
    expect(loaded.tableBuckets).toBe(8);
    expect(contents(loaded.memory)).toEqual(contents(index.memory));
  });
});

describe('index image format', () => {
  const binding = selectBinding('js');
  const image = (): Uint8Array => {
    const index = HashIndex.create(binding, { buckets: 1 });
    for (let tag = 0; tag < 10; tag++) index.findOrCreateTag(makeHash(0, tag), 0);
    return index.dump();
  };

  it('starts with magic, version, table size and overflow count', () => {
    const bytes = image();
    const view = new DataView(bytes.buffer);
    expect(view.getUint32(0, true)).toBe(0x49564b46);
    expect(view.getUint32(4, true)).toBe(IMAGE_VERSION);
    expect(view.getUint32(8, true)).toBe(0);
    expect(view.getUint32(12, true)).toBe(1);
    expect(bytes.length).toBe(IMAGE_HEADER_BYTES + 2 * 64);
  });

  it('is the same bytes whichever engine built the index', () => {
    const images = availableEngines().map((engine) => {
      const index = HashIndex.create(selectBinding(engine), { buckets: 1 });
      for (let tag = 0; tag < 10; tag++) index.findOrCreateTag(makeHash(0, tag), 0);
      return index.dump();
    });
    for (const other of images) expect(other).toEqual(images[0]);
  });

  it('rejects a flipped body byte as ERR_CORRUPTION naming the image', () => {
    const bytes = image();
    bytes[IMAGE_HEADER_BYTES + 70]! ^= 1;
    expect(() => HashIndex.load(binding, bytes, { path: 'ht.dat' })).toThrow(
      expect.objectContaining({ code: 'ERR_CORRUPTION', path: 'ht.dat', offset: 16 }));
  });

  it('rejects a wrong magic or a truncated image as ERR_CORRUPTION', () => {
    const bytes = image();
    bytes[0] = 0;
    expect(() => HashIndex.load(binding, bytes)).toThrow(
      expect.objectContaining({ code: 'ERR_CORRUPTION' }));
    expect(() => HashIndex.load(binding, image().subarray(0, 100))).toThrow(
      expect.objectContaining({ code: 'ERR_CORRUPTION' }));
  });

  it('rejects another format version as ERR_FORMAT_VERSION', () => {
    const bytes = image();
    const view = new DataView(bytes.buffer);
    view.setUint32(4, IMAGE_VERSION + 1, true);
    const head = binding.crc32c(bytes.subarray(0, 16), 0);
    view.setUint32(16, binding.crc32c(bytes.subarray(IMAGE_HEADER_BYTES), head) >>> 0, true);
    expect(() => HashIndex.load(binding, bytes)).toThrow(
      expect.objectContaining({ code: 'ERR_FORMAT_VERSION' }));
  });

  it('takes a damaged version field (checksum wrong) for damage, not a newer format', () => {
    const bytes = image();
    new DataView(bytes.buffer).setUint32(4, IMAGE_VERSION + 1, true);
    expect(() => HashIndex.load(binding, bytes)).toThrow(
      expect.objectContaining({ code: 'ERR_CORRUPTION' }));
  });
});
