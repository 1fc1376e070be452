/**
 * kv.compact({ until }) (FASTER's lookup compaction, digest §9.2 and §13.2): live records move
 * to the tail, BeginAddress moves past `until` (rounded up to a record boundary), segment files
 * below are deleted, deleted keys stay deleted, operations issued during the compaction are
 * kept, hash collisions and liveness checks that need device reads are handled, and a
 * checkpoint taken before the compaction stays recoverable.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { keyHash, hashTag } from '../../../src/fallback/key-hash.js';
import { availableEngines } from '../../../src/native.js';
import type { FasterKV } from '../../../src/store/faster-kv.js';
import { hexOf, KvModel } from '../../support/kv-model.js';
import { seededPrng } from '../../support/prng.js';
import { bytesOf, freezeLog, openTiny, textOf } from '../../support/store.js';

/** Bytes of the store directory's log segment files, as the file system sees them. */
function segmentFileBytes(dir: string): number {
  return readdirSync(dir).filter((f) => f.startsWith('hlog.log.'))
    .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
}

/** Groups of keys that share a 64-bucket index bucket and a tag: one hash chain each. */
function collidingKeys(groups: number): Uint8Array[][] {
  const byChain = new Map<number, Uint8Array[]>();
  const found: Uint8Array[][] = [];
  for (let i = 0; found.length < groups; i++) {
    const key = bytesOf(`collide-${i}`);
    const hash = keyHash(key);
    const chain = (hash % 64) * 16384 + hashTag(hash);
    const group = byChain.get(chain) ?? [];
    group.push(key);
    byChain.set(chain, group);
    if (group.length === 3) found.push(group);
  }
  return found;
}

describe.each(availableEngines())('FasterKV#compact (%s engine)', (engine) => {
  let kv: FasterKV | undefined;
  afterEach(async () => {
    await kv?.close();
    kv = undefined;
  });

  it('moves live records to the tail, shifts BeginAddress and deletes segment files',
    async () => {
      kv = await openTiny(engine);
      const s = kv.newSession();
      for (let round = 0; round < 20; round++) {
        for (let i = 0; i < 200; i++) s.upsert(bytesOf(`key-${i}`), bytesOf(`v${round}-${i}`));
        freezeLog(kv);
      }
      const dir = kv.options.dir;
      const before = kv.stats();
      expect(segmentFileBytes(dir)).toBe(before.diskBytes);
      const until = before.tailAddress - 3000;
      const result = await kv.compact({ until });
      expect(result.beginAddress).toBeGreaterThanOrEqual(until);
      expect(result.copiedRecords).toBeGreaterThan(0);
      expect(result.copiedRecords).toBeLessThanOrEqual(200);
      expect(result.diskBytesBefore).toBe(before.diskBytes);
      const after = kv.stats();
      expect(after.beginAddress).toBe(result.beginAddress);
      expect(after.diskBytes).toBe(result.diskBytesAfter);
      expect(after.diskBytes).toBeLessThan(before.diskBytes / 2);
      expect(segmentFileBytes(dir)).toBe(after.diskBytes);
      const segment = kv.options.segmentBytes;
      expect(readdirSync(dir)).not.toContain(`hlog.log.${Math.floor(until / segment) - 1}`);
      for (let i = 0; i < 200; i++) expect(textOf(s.read(bytesOf(`key-${i}`)))).toBe(`v19-${i}`);
      const first = [...kv.logScan({ from: 0 })][0]!;
      expect(first.address).toBeGreaterThanOrEqual(result.beginAddress);
    });

  it('keeps every key of a random workload, and deleted keys stay deleted', async () => {
    const rng = seededPrng();
    kv = await openTiny(engine);
    const s = kv.newSession();
    const model = new KvModel();
    for (let i = 0; i < 3000; i++) model.step(s, rng, 0.3);
    const tail = kv.stats().tailAddress;
    const result = await kv.compact({ until: Math.floor(tail * (0.3 + rng.int(60) / 100)) });
    expect(result.scannedRecords).toBeGreaterThan(0);
    model.expectMatches(s);
    for (const key of model.keys) expect(await s.readAsync(key)).toEqual(model.get(key));
    const live = new Map([...kv.scan()].map((r) => [hexOf(r.key), r.value]));
    expect(live).toEqual(model.live());
    await kv.compact({ until: kv.stats().tailAddress });
    model.expectMatches(s);
  });

  it('drops a tombstone and the older records below it without resurrecting the key',
    async () => {
      kv = await openTiny(engine);
      const s = kv.newSession();
      s.upsert(bytesOf('gone'), bytesOf('old'));
      s.upsert(bytesOf('back'), bytesOf('old'));
      s.upsert(bytesOf('late-delete'), bytesOf('old'));
      freezeLog(kv);
      s.delete(bytesOf('gone'));
      s.delete(bytesOf('back'));
      freezeLog(kv);
      s.upsert(bytesOf('back'), bytesOf('new'));
      for (let i = 0; i < 400; i++) s.upsert(bytesOf(`filler-${i}`), bytesOf(`f${i}`));
      const until = kv.stats().tailAddress;
      s.delete(bytesOf('late-delete'));
      const tombstones = [...kv.logScan({ to: until })].filter((r) => r.tombstone);
      expect(tombstones.map((r) => textOf(r.key))).toEqual(['gone', 'back']);
      await kv.compact({ until });
      expect(s.read(bytesOf('gone'))).toBeUndefined();
      expect(textOf(s.read(bytesOf('back')))).toBe('new');
      expect(s.read(bytesOf('late-delete'))).toBeUndefined();
      expect(await s.readAsync(bytesOf('gone'))).toBeUndefined();
      const keys = [...kv.scan()].map((r) => textOf(r.key));
      expect(keys).not.toContain('gone');
      expect(keys).not.toContain('late-delete');
      expect([...kv.logScan()].filter((r) => textOf(r.key) === 'gone')).toEqual([]);
    });

  it('keeps the operations that run while it compacts', async () => {
    const rng = seededPrng();
    kv = await openTiny(engine);
    const s = kv.newSession();
    const model = new KvModel();
    for (let i = 0; i < 2500; i++) model.step(s, rng, 0.4);
    let done = false;
    const compaction = kv.compact({ until: kv.stats().tailAddress }).finally(() => {
      done = true;
    });
    let during = 0;
    while (!done) {
      await model.stepAsync(s, rng, 0.3);
      const key = model.keys[rng.int(model.keys.length)]!;
      expect(await s.readAsync(key)).toEqual(model.get(key));
      during++;
      if (during % 4 === 0) await nextTurn();
    }
    const result = await compaction;
    expect(during).toBeGreaterThan(10);
    expect(result.copiedRecords).toBeGreaterThan(0);
    model.expectMatches(s);
  });

  it('tells colliding keys of one hash chain apart in a tiny index', async () => {
    kv = await openTiny(engine, { indexBuckets: 64 });
    kv.ctx.maintenance = () => {};
    const s = kv.newSession();
    const groups = collidingKeys(12);
    groups.forEach((group, g) => group.forEach((key, k) => s.upsert(key, bytesOf(`${g}/${k}`))));
    for (let i = 0; i < 300; i++) s.upsert(bytesOf(`filler-${i}`), new Uint8Array(40));
    const until = kv.stats().tailAddress;
    groups.forEach((group, g) => {
      s.upsert(group[0]!, bytesOf(`${g}/0 newer`));
      s.delete(group[1]!);
    });
    expect(kv.stats().index.growths).toBe(0);
    await kv.compact({ until });
    groups.forEach((group, g) => {
      expect(textOf(s.read(group[0]!))).toBe(`${g}/0 newer`);
      expect(s.read(group[1]!)).toBeUndefined();
      expect(textOf(s.read(group[2]!))).toBe(`${g}/2`);
    });
  });

  it('checks liveness on the device when the chains below the tail are evicted', async () => {
    kv = await openTiny(engine);
    const s = kv.newSession();
    for (let i = 0; i < 600; i++) s.upsert(bytesOf(`key-${i}`), bytesOf(`old-${i}`));
    const until = kv.stats().tailAddress;
    for (let i = 0; i < 600; i += 2) s.upsert(bytesOf(`key-${i}`), bytesOf(`new-${i}`));
    for (let i = 0; i < 1500; i++) s.upsert(bytesOf(`filler-${i}`), bytesOf(`f${i}`));
    expect(kv.stats().headAddress).toBeGreaterThan(until + 4096);
    const reads = kv.stats().device.reads;
    const result = await kv.compact({ until });
    expect(kv.stats().device.reads - reads).toBeGreaterThan(result.scannedRecords / 10);
    expect(result.copiedRecords).toBe(300);
    for (let i = 0; i < 600; i++) {
      expect(textOf(s.read(bytesOf(`key-${i}`)))).toBe(i % 2 === 0 ? `new-${i}` : `old-${i}`);
    }
  });

  it('rounds `until` up to a record boundary and rejects addresses outside the log',
    async () => {
      kv = await openTiny(engine);
      const s = kv.newSession();
      for (let i = 0; i < 50; i++) s.upsert(bytesOf(`key-${i}`), bytesOf(`value-${i}`));
      const records = [...kv.logScan()];
      const inside = records[10]!;
      const result = await kv.compact({ until: inside.address + 8 });
      expect(result.beginAddress).toBe(inside.nextAddress);
      expect(result.scannedRecords).toBe(11);
      const again = await kv.compact({ until: inside.address });
      expect(again).toMatchObject({ beginAddress: inside.nextAddress, scannedRecords: 0 });
      const tail = kv.stats().tailAddress;
      await expect(kv.compact({ until: tail + 1 })).rejects.toThrow(
        `until must be a log address from 0 to the TailAddress (${tail})`);
      await expect(kv.compact({ until: -1 })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT' });
      await expect(kv.compact({ until: 1.5 })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT' });
      for (let i = 0; i < 50; i++) expect(textOf(s.read(bytesOf(`key-${i}`)))).toBe(`value-${i}`);
    });

  it('keeps the log a retained checkpoint needs, and recovers after compact + checkpoint',
    async () => {
      kv = await openTiny(engine);
      const dir = kv.options.dir;
      const s = kv.newSession('writer');
      const write = (round: number): void => {
        for (let i = 0; i < 300; i++) s.upsert(bytesOf(`key-${i}`), bytesOf(`v${round}-${i}`));
        freezeLog(kv!);
      };
      for (let round = 0; round < 8; round++) write(round);
      await kv.checkpoint();
      for (let round = 8; round < 16; round++) write(round);
      const before = kv.stats().diskBytes;
      const result = await kv.compact({ until: kv.stats().tailAddress });
      expect(result.diskBytesAfter, 'the checkpoint still needs its log')
        .toBeGreaterThanOrEqual(before);
      expect(readdirSync(dir)).toContain('hlog.log.0');
      await kv.checkpoint();
      await kv.checkpoint();
      expect(kv.stats().diskBytes).toBeLessThan(before / 2);
      await kv.close();
      kv = await openTiny(engine, { dir });
      expect(kv.stats().beginAddress).toBe(result.beginAddress);
      const r = kv.resumeSession('writer');
      for (let i = 0; i < 300; i++) expect(textOf(r.read(bytesOf(`key-${i}`)))).toBe(`v15-${i}`);
    });
});
