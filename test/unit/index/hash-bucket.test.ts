import { describe, expect, it } from 'vitest';
import * as bucket from '../../../src/index/hash-bucket.js';
import * as header from '../../../src/index/index-header.js';
import { hashTag, keyHash } from '../../../src/fallback/key-hash.js';
import { availableEngines, selectBinding } from '../../../src/native.js';
import { seededPrng } from '../../support/prng.js';

describe('hash entry layout', () => {
  it('packs address, tag and tentative bit where FASTER puts them', () => {
    expect(bucket.packEntry(0x8000_0000_0040, 0x3fff, true))
      .toBe((1n << 63n) | (0x3fffn << 48n) | 0x8000_0000_0040n);
    expect(bucket.packEntry(bucket.TEMP_INVALID_ADDRESS, 0, false)).toBe(1n);
  });

  it('unpacks what it packs, for seeded random entries', () => {
    const prng = seededPrng();
    for (let i = 0; i < 1000; i++) {
      const address = prng.nextU32() + (prng.nextU32() & 0xffff) * 2 ** 32;
      const tag = prng.int(1 << 14);
      const tentative = prng.int(2) === 1;
      expect(bucket.unpackEntry(bucket.packEntry(address, tag, tentative)))
        .toEqual({ address, tag, tentative });
    }
  });

  it('splits an entry into halves whose high half alone holds tag and tentative bit', () => {
    const hi = bucket.entryHi(0x1234_0000_0001, 0x155, true);
    expect(bucket.entryTag(hi)).toBe(0x155);
    expect(bucket.entryTentative(hi)).toBe(true);
    expect(bucket.entryAddress(bucket.entryLo(0x1234_0000_0001), hi)).toBe(0x1234_0000_0001);
  });

  it('takes the bucket from the low hash bits and the tag from the top 14 of 53', () => {
    const hash = keyHash(new TextEncoder().encode('key-17'));
    expect(bucket.hashBucket(hash, 1024)).toBe(hash % 1024);
    expect(hashTag(hash)).toBe(Math.floor(hash / 2 ** 39));
    expect(hashTag(2 ** 53 - 1)).toBe(0x3fff);
  });
});

describe.each(availableEngines())('index layout constants of the %s engine', (engine) => {
  it('equal the TypeScript constants, name by name', () => {
    const compiled = selectBinding(engine).indexLayout();
    expect(Object.keys(compiled).length).toBeGreaterThanOrEqual(30);
    const ts: Record<string, unknown> = { ...bucket, ...header };
    for (const [name, value] of Object.entries(compiled)) {
      expect([name, ts[name]]).toEqual([name, value]);
    }
  });
});
