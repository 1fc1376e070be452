/**
 * NativeBinding.indexReplayPage, recovery's replay of one page image into the hash index
 * (native/core/page_replay.h): what it redoes and undoes, where it stops for the reference walk
 * of log-replay.ts to judge, and that both engines leave the same page bytes and index words.
 */
import { describe, expect, it } from 'vitest';
import { hashTag } from '../../../src/index/hash-bucket.js';
import { HashIndex, NOT_FOUND } from '../../../src/index/hash-index.js';
import { FIRST_VALID_ADDRESS } from '../../../src/log/address.js';
import {
  availableEngines, selectBinding, type NativeBinding, type ReplayAddresses,
} from '../../../src/native.js';
import { HI_IN_NEW_VERSION, HI_SEALED, HI_VALID } from '../../../src/record/record-info.js';
import {
  OFFSET_KEY_BYTES, RECORD_HEADER_BYTES, readU32, writeU32,
} from '../../../src/record/record-layout.js';
import { decodeReplay } from '../../../src/recovery/log-replay.js';
import { seededPrng, type Prng } from '../../support/prng.js';
import { pageOf, randomRecords } from '../../support/replay-pages.js';

const PAGE = 64 * 1024;

/** The address held for `key`, or undefined when the index has no slot for it. */
function addressOf(binding: NativeBinding, index: HashIndex, key: string): number | undefined {
  const slot = index.findTag(binding.keyHash(Buffer.from(key)));
  return slot === NOT_FOUND ? undefined : index.readEntry(slot);
}

const NONE: ReplayAddresses = { recoverFrom: 0, startAddress: 2 ** 40, beginAddress: 0 };

describe.each(availableEngines())('indexReplayPage on the %s engine', (engine) => {
  const binding = selectBinding(engine);
  const tagOf = (key: string) => hashTag(binding.keyHash(Buffer.from(key)));
  const newIndex = (buckets = 64) => HashIndex.create(binding, { buckets });
  const replay = (index: HashIndex, page: Uint8Array, pageStart: number, from: number,
    to: number, addresses = NONE) => decodeReplay(binding.indexReplayPage(
    new Uint8Array(index.memory), page, pageStart, from, to, addresses));

  it('points each key at its newest valid record and ends at the padding', () => {
    const index = newIndex();
    const pageStart = 3 * PAGE;
    const { page, offsets, end: recordsEnd } = pageOf(pageStart, [
      { key: 'a' }, { key: 'b' }, { key: 'a' }, { key: 'c', flags: 0, previous: 64 }, { key: 'b' },
    ]);
    const before = page.slice();
    const end = replay(index, page, pageStart, 0, PAGE);
    expect(end).toEqual({ how: 'done', offset: recordsEnd, changed: false });
    expect(addressOf(binding, index, 'a')).toBe(pageStart + offsets[2]!);
    expect(addressOf(binding, index, 'b')).toBe(pageStart + offsets[4]!);
    expect(addressOf(binding, index, 'c')).toBeUndefined();
    expect(Buffer.compare(page, before)).toBe(0);
  });

  it('starts at FIRST_VALID_ADDRESS on the first page and stops at `to`', () => {
    const index = newIndex();
    const { page, offsets } = pageOf(0, [{ key: 'x' }, { key: 'y' }, { key: 'z' }]);
    expect(offsets[0]).toBe(FIRST_VALID_ADDRESS);
    const end = replay(index, page, 0, 0, offsets[2]!);
    expect(end).toEqual({ how: 'done', offset: offsets[2], changed: false });
    expect(addressOf(binding, index, 'y')).toBe(offsets[1]);
    expect(addressOf(binding, index, 'z')).toBeUndefined();
  });

  it('undoes InNewVersion records from startAddress on: invalid and sealed, slot restored',
    () => {
      const index = newIndex();
      const pageStart = 2 * PAGE;
      const nv = HI_VALID | HI_IN_NEW_VERSION;
      const { page, offsets } = pageOf(pageStart, [
        { key: 'old', flags: nv },
        { key: 'kept' },
        { key: 'kept', flags: nv, previous: pageStart + 64 },
        { key: 'back', flags: nv, previous: 4096 },
        { key: 'gone', flags: nv, previous: 0 },
        { key: 'sealed', flags: HI_VALID | HI_SEALED },
      ], 64);
      const startAddress = pageStart + offsets[1]!;
      const end = replay(index, page, pageStart, offsets[0]!, PAGE,
        { recoverFrom: pageStart, startAddress, beginAddress: 0 });
      expect(end.how).toBe('done');
      expect(end.changed).toBe(true);
      // Below startAddress an InNewVersion record is version v: redone.
      expect(addressOf(binding, index, 'old')).toBe(pageStart + offsets[0]!);
      expect(readU32(page, offsets[0]! + 4) & (HI_VALID | HI_SEALED)).toBe(HI_VALID);
      // A previous address at or after recoverFrom was replayed already and keeps the slot.
      expect(addressOf(binding, index, 'kept')).toBe(pageStart + offsets[1]!);
      expect(addressOf(binding, index, 'back')).toBe(4096);
      expect(addressOf(binding, index, 'gone')).toBeUndefined();
      for (const k of [2, 3, 4]) {
        expect(readU32(page, offsets[k]! + 4) & (HI_VALID | HI_SEALED)).toBe(HI_SEALED);
      }
      // A sealed record of version v counts, and is unsealed for readers.
      expect(addressOf(binding, index, 'sealed')).toBe(pageStart + offsets[5]!);
      expect(readU32(page, offsets[5]! + 4) & (HI_VALID | HI_SEALED)).toBe(HI_VALID);
    });

  it('stops, with what it did so far, at each thing only the reference walk judges', () => {
    const pageStart = PAGE;
    const keys = [{ key: 'p' }, { key: 'q', flags: HI_VALID | HI_SEALED }, { key: 'r' }];
    const cases: [string, (page: Uint8Array, at: number) => number][] = [
      ['a checksum mismatch', (page, at) => { page[at + RECORD_HEADER_BYTES]! ^= 1; return PAGE; }],
      ['a record running past `to`', (_page, at) => at + 32],
      ['a header cut by `to`', (_page, at) => at + 16],
      ['a zero header before `to` on a short page', (page, at) => {
        page.fill(0, at, at + 8);
        return at + 8 * 40;
      }],
      ['non-zero bytes after padding', (page, at) => {
        page.fill(0, at, at + 8);
        page[PAGE - 3] = 1;
        return PAGE;
      }],
      ['a key length that wraps align8', (page, at) => {
        writeU32(page, at + OFFSET_KEY_BYTES, 2 ** 32 - 3);
        return PAGE;
      }],
    ];
    for (const [name, damage] of cases) {
      const index = newIndex();
      const { page, offsets } = pageOf(pageStart, keys);
      const to = damage(page, offsets[2]!);
      const end = replay(index, page, pageStart, 0, to);
      expect({ name, end }).toEqual({ name, end: { how: 'stopped', offset: offsets[2],
        changed: true } });
      expect(addressOf(binding, index, 'q')).toBe(pageStart + offsets[1]!);
      expect(addressOf(binding, index, 'r')).toBeUndefined();
    }
  });

  it('asks for memory at the record that needs an overflow bucket, and resumes there', () => {
    const index = newIndex(1);
    const records = Array.from({ length: 400 }, (_, i) => ({ key: `key-${i}` }));
    const { page, offsets } = pageOf(5 * PAGE, records);
    let from = 0;
    let asked = 0;
    for (;;) {
      const end = replay(index, page, 5 * PAGE, from, PAGE);
      if (end.how === 'done') break;
      expect(end.how).toBe('needs-memory');
      expect(offsets).toContain(end.offset);
      asked++;
      index.maintain();
      from = end.offset;
    }
    expect(asked).toBeGreaterThan(0);
    // One bucket: keys whose tags collide share a slot, which holds the later one.
    const newestOfTag = new Map<number, number>();
    records.forEach((r, i) => newestOfTag.set(tagOf(r.key), 5 * PAGE + offsets[i]!));
    for (const r of records) {
      expect(addressOf(binding, index, r.key)).toBe(newestOfTag.get(tagOf(r.key)));
    }
  });

  it('rejects bad arguments with ERR_INVALID_ARGUMENT naming them', () => {
    const index = newIndex();
    const arena = new Uint8Array(index.memory);
    const page = new Uint8Array(256);
    const call = (...args: unknown[]) => () =>
      (binding.indexReplayPage as (...a: unknown[]) => number)(...args);
    expect(call(new Uint8Array(64), page, 0, 0, 8, NONE)).toThrow(/memory must be/);
    expect(call(arena, [1], 0, 0, 8, NONE)).toThrow(/page must be a Uint8Array/);
    expect(call(arena, page, -1, 0, 8, NONE)).toThrow(/pageStart must be an integer/);
    expect(call(arena, page, 0, 0, 257, NONE)).toThrow(/to must be at most the page's length/);
    expect(call(arena, page, 0, 0, 8, 5)).toThrow(/addresses must be an object/);
    expect(call(arena, page, 0, 0, 8, { ...NONE, startAddress: -1 }))
      .toThrow(/startAddress must be an integer in \[0, 2\^53\)/);
    expect(call(arena, page, 0, 0, 8, { ...NONE, beginAddress: undefined }))
      .toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});

/** A page of random records over few keys, and sometimes damage. */
function randomPage(prng: Prng, pageStart: number):
  { page: Uint8Array; from: number; to: number; addresses: ReplayAddresses } {
  const records = randomRecords(prng, 50 + prng.int(300), 120, pageStart + PAGE);
  const { page, offsets, end } = pageOf(pageStart, records, prng.int(2) * 64);
  const at = offsets[prng.int(offsets.length)]!;
  const damage = prng.int(9);
  if (damage === 1) page[at + prng.int(24)]! ^= 1 << prng.int(8);
  if (damage === 2) writeU32(page, at + OFFSET_KEY_BYTES, prng.nextU32());
  if (damage === 3) page.fill(0, at, at + 8);
  const to = prng.int(3) === 0 ? offsets[prng.int(offsets.length)]! : prng.int(2) ? PAGE : end;
  const startAddress = pageStart + offsets[prng.int(offsets.length)]!;
  const recoverFrom = prng.int(2) ? pageStart : pageStart + offsets[prng.int(offsets.length)]!;
  const from = prng.int(2) ? offsets[0]! : offsets[prng.int(offsets.length)]!;
  return {
    page, from, to, addresses: { recoverFrom, startAddress, beginAddress: 64 * prng.int(40) },
  };
}

describe('indexReplayPage across engines', () => {
  const engines = availableEngines();

  it.runIf(engines.length === 2)(
    'leaves identical pages and index words and gives identical results, damaged pages too',
    () => {
      const prng = seededPrng();
      for (let round = 0; round < 60; round++) {
        const pageStart = prng.int(4) * PAGE;
        const { page, from, to, addresses } = randomPage(prng, pageStart);
        const outputs = engines.map((engine) => {
          const index = HashIndex.create(selectBinding(engine), { buckets: 2 });
          const copy = page.slice();
          const result = selectBinding(engine).indexReplayPage(new Uint8Array(index.memory),
            copy, pageStart, from, to, addresses);
          return { result, copy, arena: new Uint8Array(index.memory.slice(0)) };
        });
        const [a, b] = outputs as [typeof outputs[0], typeof outputs[0]];
        expect(decodeReplay(b.result)).toEqual(decodeReplay(a.result));
        expect(Buffer.compare(b.copy, a.copy)).toBe(0);
        expect(Buffer.compare(b.arena, a.arena)).toBe(0);
      }
    });
});
