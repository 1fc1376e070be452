import { describe, expect, it } from 'vitest';
import { hashBucket, hashTag } from '../../../src/index/hash-bucket.js';
import { HashIndex, TEMP_INVALID_ADDRESS } from '../../../src/index/hash-index.js';
import { type EngineName, availableEngines, selectBinding } from '../../../src/native.js';
import { seededPrng } from '../../support/prng.js';
import { runTsWorker } from '../../support/ts-worker.js';
import { bucketAccount, makeHash, scanArena } from './arena-scan.js';

const workerModule = new URL('./hash-index.worker.ts', import.meta.url);

/** Engine pairs for the two racing workers: each engine alone, and mixed. */
function enginePairs(): [EngineName, EngineName][] {
  const engines = availableEngines();
  const pairs: [EngineName, EngineName][] = engines.map((e) => [e, e]);
  if (engines.length === 2) pairs.push(['native', 'js']);
  return pairs;
}

/** Runs two workers on `memory` that start together; resolves with both results. */
async function race<T>(
  memory: SharedArrayBuffer, engines: [EngineName, EngineName], jobs: Record<string, unknown>[],
): Promise<T[]> {
  const start = new SharedArrayBuffer(8);
  const gate = new Int32Array(start);
  const results = engines.map((engine, i) =>
    runTsWorker<T>(workerModule, { memory, engine, start, ...jobs[i] }));
  while (Atomics.load(gate, 1) < 2) await new Promise((r) => setTimeout(r, 5));
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  return Promise.all(results);
}

describe.each(enginePairs())('two workers (%s and %s) on one index', (first, second) => {
  it('converge on exactly one slot per (bucket, tag) when creating the same tags', async () => {
    const prng = seededPrng();
    const buckets = 64;
    const index = HashIndex.create(selectBinding(first), { buckets, maxBytes: 1 << 24 });
    const hashes = Float64Array.from({ length: 20000 },
      () => makeHash(prng.nextU32(), prng.int(1 << 14)));
    const [a, b] = await race<{ slots: Int32Array }>(index.memory, [first, second], [
      { task: 'create', hashes }, { task: 'create', hashes },
    ]);
    const slotOf = new Map<string, number>();
    hashes.forEach((hash, i) => {
      const key = `${hashBucket(hash, buckets)}/${hashTag(hash)}`;
      const slot = a!.slots[i]!;
      expect(b!.slots[i]).toBe(slot);
      if (slotOf.has(key)) expect(slotOf.get(key)).toBe(slot);
      slotOf.set(key, slot);
    });
    const entries = scanArena(index.memory);
    expect(entries.filter((e) => e.tentative)).toEqual([]);
    expect(entries.length).toBe(slotOf.size);
    for (const e of entries) expect(slotOf.get(`${e.bucket}/${e.tag}`)).toBe(e.slot);
    const account = bucketAccount(index.memory);
    expect(account.table + account.chained + account.free).toBe(account.allocated);
  });

  it('lose no update when both CAS the same slots up by one', async () => {
    const index = HashIndex.create(selectBinding(first), { buckets: 8 });
    const slots = Int32Array.from({ length: 4 }, (_, i) => {
      const slot = index.findOrCreateTag(makeHash(i, i + 1), 0);
      index.casEntryAddress(slot, index.readEntry(slot), 64);
      return slot;
    });
    const rounds = 20000;
    const job = { task: 'cas', slots, rounds };
    const results = await race<{ successes: number; failures: number }>(
      index.memory, [first, second], [job, job]);
    expect(results.map((r) => r.successes)).toEqual([rounds * 4, rounds * 4]);
    for (const slot of slots) expect(index.readEntry(slot)).toBe(64 + 2 * rounds);
  });
});

describe.each(enginePairs())('two workers (%s and %s) during an index resize', (first, second) => {
  it('split the chunks between them and both find every key', async () => {
    const prng = seededPrng();
    const keys = Array.from({ length: 3000 },
      () => makeHash(prng.nextU32() & 0x1fc00, prng.int(4)));
    const log = new Float64Array(new SharedArrayBuffer(8 * 2 * 3 * keys.length));
    const newest = new Map<number, number>();
    const index = HashIndex.create(selectBinding(first), { buckets: 1 << 16 });
    for (let r = 0; r < 3 * keys.length; r++) {
      const hash = keys[prng.int(keys.length)]!;
      const slot = index.findOrCreateTag(hash, 0);
      const previous = index.readEntry(slot);
      log[2 * r] = hash;
      log[2 * r + 1] = previous === TEMP_INVALID_ADDRESS ? 0 : previous;
      index.casEntryAddress(slot, previous, 64 * (r + 1));
      newest.set(hash, 64 * (r + 1));
    }
    index.prepareGrow();
    index.startGrow();
    const hashes = Float64Array.from(newest.keys());
    const results = await race<{ addresses: Float64Array }>(index.memory, [first, second], [
      { task: 'find', hashes, log }, { task: 'find', hashes: hashes.slice().reverse(), log },
    ]);
    expect(index.phase).toBe('REST');
    expect(index.tableBuckets).toBe(1 << 17);
    const reaches = (from: number, hash: number): number => {
      let at = from;
      while (at >= 64 && log[2 * (at / 64 - 1)] !== hash) at = log[2 * (at / 64 - 1) + 1]!;
      return at;
    };
    hashes.forEach((hash, i) => {
      const expected = newest.get(hash);
      expect(reaches(results[0]!.addresses[i]!, hash)).toBe(expected);
      expect(reaches(results[1]!.addresses[hashes.length - 1 - i]!, hash)).toBe(expected);
      expect(reaches(index.readEntry(index.findTag(hash)), hash)).toBe(expected);
    });
  });
});
