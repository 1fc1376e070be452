import { describe, expect, it } from 'vitest';
import { hashBucket } from '../../../src/index/hash-bucket.js';
import {
  HashIndex, NOT_FOUND, type RecordLookup, TEMP_INVALID_ADDRESS,
} from '../../../src/index/hash-index.js';
import { availableEngines, selectBinding } from '../../../src/native.js';
import type { Prng } from '../../support/prng.js';
import { seededPrng } from '../../support/prng.js';
import { makeHash, scanArena } from './arena-scan.js';

/**
 * A stand-in for the hybrid log: records are (hash, previous address) at increasing
 * addresses; those below `headAddress` count as on disk (hashAt answers undefined).
 */
class FakeLog implements RecordLookup {
  readonly records = new Map<number, { hash: number; previous: number }>();
  readonly newest = new Map<number, number>();
  headAddress = 64;
  private tail = 64;

  hashAt(address: number): number | undefined {
    return address < this.headAddress ? undefined : this.records.get(address)?.hash;
  }

  previousAddressAt(address: number): number {
    return this.records.get(address)!.previous;
  }

  /** FASTER's upsert as far as the index is concerned: new record at the tail, CAS the slot. */
  upsert(index: HashIndex, hash: number): void {
    const slot = index.findOrCreateTag(hash, 0);
    const current = index.readEntry(slot);
    const address = this.tail;
    this.tail += 64;
    this.records.set(address, { hash, previous: current === TEMP_INVALID_ADDRESS ? 0 : current });
    expect(index.casEntryAddress(slot, current, address)).toBe(true);
    this.newest.set(hash, address);
  }

  /** Moves headAddress so that about `fraction` of the records count as on disk. */
  evict(fraction: number): void {
    this.headAddress = 64 + Math.floor(((this.tail - 64) * fraction) / 64) * 64;
  }
}

/** Keys with few distinct tags, so chains hold several keys of both future halves. */
function randomKeys(prng: Prng, count: number): number[] {
  return Array.from({ length: count }, () => makeHash(prng.nextU32(), prng.int(8)));
}

/** Every key's newest record is the first record of its hash on the chain findTag gives. */
function expectAllReachable(index: HashIndex, log: FakeLog): void {
  for (const [hash, newest] of log.newest) {
    const slot = index.findTag(hash);
    expect(slot, `hash ${hash} lost its entry`).not.toBe(NOT_FOUND);
    let address = index.readEntry(slot);
    while (address >= 64 && log.records.get(address)!.hash !== hash) {
      address = log.records.get(address)!.previous;
    }
    expect(address, `hash ${hash} reaches the wrong record`).toBe(newest);
  }
}

describe.each(availableEngines())('HashIndex grow on the %s engine', (engine) => {
  const binding = selectBinding(engine);

  function filled(buckets: number, keys: number, prng: Prng): { index: HashIndex; log: FakeLog } {
    const log = new FakeLog();
    const index = HashIndex.create(binding, { buckets, lookup: log, maxBytes: 1 << 26 });
    const hashes = randomKeys(prng, keys);
    for (let i = 0; i < keys * 3; i++) log.upsert(index, hashes[prng.int(keys)]!);
    return { index, log };
  }

  it('doubles the table and keeps every key reachable when all records are in memory', () => {
    const { index, log } = filled(16, 400, seededPrng());
    expect(index.grow()).toBe(true);
    expect(index.tableBuckets).toBe(32);
    expect(index.phase).toBe('REST');
    expectAllReachable(index, log);
  });

  it('points each new entry at a record of its own half when the chain is in memory', () => {
    const { index, log } = filled(16, 400, seededPrng());
    index.grow();
    for (const entry of scanArena(index.memory)) {
      const head = log.records.get(entry.address)!;
      expect(hashBucket(head.hash, 32)).toBe(entry.bucket);
    }
  });

  it('gives both halves the entry of a record that is on disk', () => {
    const { index, log } = filled(16, 400, seededPrng());
    const before = scanArena(index.memory).length;
    log.evict(1);
    index.grow();
    const entries = scanArena(index.memory);
    expect(entries.length).toBe(2 * before);
    expectAllReachable(index, log);
  });

  it('keeps keys reachable over repeated grows with upserts and evictions between', () => {
    const prng = seededPrng();
    const { index, log } = filled(4, 300, prng);
    const hashes = [...log.newest.keys()];
    for (let round = 0; round < 4; round++) {
      log.evict(prng.int(100) / 100);
      expect(index.grow()).toBe(true);
      expectAllReachable(index, log);
      for (let i = 0; i < 200; i++) log.upsert(index, hashes[prng.int(hashes.length)]!);
      expectAllReachable(index, log);
    }
    expect(index.tableBuckets).toBe(64);
  });

  it('splits lazily, one chunk per first touch, and rests after the last chunk', () => {
    const log = new FakeLog();
    const index = HashIndex.create(binding, { buckets: 1 << 15, lookup: log });
    const low = makeHash(5, 1);
    const high = makeHash((1 << 14) + 5, 2);
    log.upsert(index, low);
    log.upsert(index, high);
    expect(index.prepareGrow()).toBe(true);
    expect(index.prepareGrow()).toBe(false);
    expect(index.findTag(low)).not.toBe(NOT_FOUND);
    index.startGrow();
    expect(index.phase).toBe('IN_PROGRESS_GROW');
    expect(index.readEntry(index.findTag(low))).toBe(log.newest.get(low));
    expect(index.phase).toBe('IN_PROGRESS_GROW');
    log.upsert(index, high);
    expect(index.phase).toBe('REST');
    expect(index.tableBuckets).toBe(1 << 16);
    expectAllReachable(index, log);
  });

  it('lets a store drive the rest of the split in steps', () => {
    const log = new FakeLog();
    const index = HashIndex.create(binding, { buckets: 1 << 15, lookup: log });
    log.upsert(index, makeHash(7, 3));
    index.prepareGrow();
    index.startGrow();
    expect(index.helpSplit(1)).toBe(1);
    expect(index.phase).toBe('IN_PROGRESS_GROW');
    expect(index.helpSplit(10)).toBe(1);
    expect(index.phase).toBe('REST');
    expect(index.helpSplit(10)).toBe(0);
    expectAllReachable(index, log);
  });

  it('asks for a record lookup before it splits', () => {
    const index = HashIndex.create(binding, { buckets: 4 });
    expect(() => index.grow()).toThrow(expect.objectContaining({
      code: 'ERR_INVALID_ARGUMENT', message: expect.stringMatching(/RecordLookup/) }));
  });

  it('suggests a grow once overflow buckets reach half the table', () => {
    const log = new FakeLog();
    const index = HashIndex.create(binding, { buckets: 2, lookup: log });
    expect(index.wantsGrow()).toBe(false);
    for (let tag = 0; tag < 8; tag++) log.upsert(index, makeHash(0, tag));
    expect(index.overflowBuckets).toBe(1);
    expect(index.wantsGrow()).toBe(true);
    index.grow();
    expect(index.wantsGrow()).toBe(false);
  });
});

describe('HashIndex grow shared by both engines', () => {
  const both = availableEngines().length === 2;

  it.runIf(both)('lets either engine split what the other started', () => {
    const prng = seededPrng();
    const log = new FakeLog();
    const native = HashIndex.create(selectBinding('native'), { buckets: 1 << 15, lookup: log });
    const js = HashIndex.attach(selectBinding('js'), native.memory, log);
    const hashes = Array.from({ length: 2000 }, () => makeHash(prng.nextU32(), prng.int(4)));
    hashes.forEach((hash, i) => log.upsert(i % 2 === 0 ? native : js, hash));
    native.prepareGrow();
    native.startGrow();
    hashes.forEach((hash, i) => log.upsert(i % 2 === 0 ? js : native, hash));
    expect(js.phase).toBe('REST');
    expectAllReachable(js, log);
    expectAllReachable(native, log);
  });
});
