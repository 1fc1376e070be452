import { describe, expect, it } from 'vitest';
import { FIRST_VALID_ADDRESS } from '../../../src/log/address.js';
import { availableEngines, selectBinding } from '../../../src/native.js';
import { HI_DIRTY, HI_VALID, addressHi, addressLo } from '../../../src/record/record-info.js';
import {
  OFFSET_CRC, OFFSET_KEY_BYTES, OFFSET_VALUE_CAPACITY, RECORD_HEADER_BYTES, readU32,
  recordChecksum, recordSize, writeU32,
} from '../../../src/record/record-layout.js';
import { decodeWalk, walkPageRecords } from '../../../src/record/record-walk.js';
import { seededPrng, type Prng } from '../../support/prng.js';

const PAGE = 64 * 1024;

/** A page of random records from `start`, then zero padding; returns it and the offsets. */
function randomPage(prng: Prng, start = 0): { page: Uint8Array; offsets: number[] } {
  const page = new Uint8Array(PAGE);
  const offsets: number[] = [];
  let off = start;
  for (;;) {
    const keyBytes = 1 + prng.int(40);
    const capacity = 8 * prng.int(30);
    const size = recordSize(keyBytes, capacity);
    if (off + size > PAGE - 1000) break;
    const previous = prng.int(2 ** 20) * 8;
    writeU32(page, off, addressLo(previous));
    writeU32(page, off + 4, addressHi(previous) | HI_VALID | (prng.int(2) ? HI_DIRTY : 0));
    writeU32(page, off + OFFSET_KEY_BYTES, keyBytes);
    writeU32(page, off + 16, prng.int(capacity + 1));
    writeU32(page, off + OFFSET_VALUE_CAPACITY, capacity);
    for (let i = off + RECORD_HEADER_BYTES; i < off + size; i++) page[i] = prng.int(256);
    offsets.push(off);
    off += size;
  }
  return { page, offsets };
}

/** The checksums filled record by record, as before the engines walked pages themselves. */
function filledByWalk(page: Uint8Array, pageStart: number, from: number, to: number):
  Uint8Array {
  const copy = page.slice();
  walkPageRecords(copy, pageStart, from, to, (off, size) => {
    writeU32(copy, off + OFFSET_CRC, recordChecksum(copy, off, size));
  });
  return copy;
}

const engines = availableEngines().map((e) => selectBinding(e));

/** The first offset where `a` and `b` differ, -1 when they are equal (fast on 64 KiB). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe.each(availableEngines())('pageChecksums on the %s engine', (engine) => {
  const binding = selectBinding(engine);

  it('fills the same checksums as a record-by-record walk, and stops at padding', () => {
    const prng = seededPrng();
    const { page, offsets } = randomPage(prng, 0);
    const filled = page.slice();
    const end = decodeWalk(binding.pageChecksums(filled, 4 * PAGE, 0, PAGE, false));
    expect(firstDifference(filled, filledByWalk(page, 4 * PAGE, 0, PAGE))).toBe(-1);
    expect(end.how).toBe('padding');
    expect(end.offset).toBeGreaterThan(offsets.at(-1)!);
    expect(readU32(filled, offsets[0]! + OFFSET_CRC)).not.toBe(0);
  });

  it('starts at FIRST_VALID_ADDRESS on the first page and stops at `to`', () => {
    const prng = seededPrng();
    const { page, offsets } = randomPage(prng, FIRST_VALID_ADDRESS);
    page.fill(0xee, 0, FIRST_VALID_ADDRESS);
    const to = offsets[3]!;
    const filled = page.slice();
    const end = decodeWalk(binding.pageChecksums(filled, 0, 0, to, false));
    expect(end).toEqual({ how: 'end', offset: to });
    expect(firstDifference(filled, filledByWalk(page, 0, 0, to))).toBe(-1);
    expect(firstDifference(filled.subarray(0, FIRST_VALID_ADDRESS),
      page.subarray(0, FIRST_VALID_ADDRESS))).toBe(-1);
    expect(readU32(filled, to + OFFSET_CRC)).toBe(0);
  });

  it('verifies without writing, and names the first record whose checksum differs', () => {
    const prng = seededPrng();
    const { page, offsets } = randomPage(prng, 0);
    binding.pageChecksums(page, PAGE, 0, PAGE, false);
    const good = page.slice();
    expect(decodeWalk(binding.pageChecksums(page, PAGE, 0, PAGE, true)).how).toBe('padding');
    expect(firstDifference(page, good)).toBe(-1);
    const k = 1 + prng.int(offsets.length - 1);
    page[offsets[k]! + RECORD_HEADER_BYTES]! ^= 0x10;
    expect(decodeWalk(binding.pageChecksums(page, PAGE, 0, PAGE, true)))
      .toEqual({ how: 'mismatch', offset: offsets[k] });
    // The Valid, Sealed and Dirty bits are not checksummed.
    page.set(good);
    writeU32(page, offsets[k]! + 4, readU32(page, offsets[k]! + 4) ^ HI_VALID ^ HI_DIRTY);
    expect(decodeWalk(binding.pageChecksums(page, PAGE, 0, PAGE, true)).how).toBe('padding');
  });

  it('reports a record whose lengths leave the page as bad-length, where it starts', () => {
    const prng = seededPrng();
    for (const capacity of [PAGE, 2 ** 32 - 8, 2 ** 31]) {
      const { page, offsets } = randomPage(prng, 0);
      writeU32(page, offsets[2]! + OFFSET_VALUE_CAPACITY, capacity);
      expect(decodeWalk(binding.pageChecksums(page, PAGE, 0, PAGE, false)))
        .toEqual({ how: 'bad-length', offset: offsets[2] });
    }
    const header = new Uint8Array(20);
    header[0] = 1;
    expect(decodeWalk(binding.pageChecksums(header, PAGE, 0, 20, false)))
      .toEqual({ how: 'bad-length', offset: 0 });
  });

  it('works on views over a SharedArrayBuffer at an offset', () => {
    const prng = seededPrng();
    const { page } = randomPage(prng, 0);
    const shared = new Uint8Array(new SharedArrayBuffer(PAGE + 4096), 4096, PAGE);
    shared.set(page);
    binding.pageChecksums(shared, PAGE, 0, PAGE, false);
    expect(firstDifference(Uint8Array.from(shared), filledByWalk(page, PAGE, 0, PAGE))).toBe(-1);
  });

  it('rejects bad arguments with ERR_INVALID_ARGUMENT naming them', () => {
    const page = new Uint8Array(64);
    const call = (...args: unknown[]) => () =>
      (binding.pageChecksums as (...a: unknown[]) => number)(...args);
    expect(call([1], 0, 0, 8, false)).toThrow(/page must be a Uint8Array/);
    expect(call(page, -1, 0, 8, false)).toThrow(/pageStart must be an integer in \[0, 2\^53\)/);
    expect(call(page, 0, 0.5, 8, false)).toThrow(/from must be/);
    expect(call(page, 0, 0, 65, false)).toThrow(/to must be at most the page's length; got 65/);
    expect(call(page, 0, 0, 8, 1)).toThrow(/verify must be a boolean/);
    try {
      call(page, 0, 0, 65, false)();
    } catch (err) {
      expect((err as { code: string }).code).toBe('ERR_INVALID_ARGUMENT');
    }
  });
});

describe('pageChecksums across engines', () => {
  it('gives byte-identical pages and identical results on every engine, damaged ones too', () => {
    const prng = seededPrng();
    for (let round = 0; round < 20; round++) {
      const { page, offsets } = randomPage(prng, prng.int(2) * 64);
      // Damage some rounds: a flipped byte, a wild length, a zero header mid-page.
      const k = prng.int(offsets.length);
      const damage = prng.int(4);
      if (damage === 1) page[offsets[k]! + prng.int(24)]! ^= 1 << prng.int(8);
      if (damage === 2) writeU32(page, offsets[k]! + OFFSET_KEY_BYTES, prng.nextU32());
      if (damage === 3) page.fill(0, offsets[k]!, offsets[k]! + 8);
      const pageStart = prng.int(3) * PAGE;
      const from = prng.int(2) ? 0 : offsets[prng.int(offsets.length)]!;
      const to = prng.int(2) ? PAGE : offsets[prng.int(offsets.length)]!;
      for (const verify of [false, true]) {
        const outputs = engines.map((b) => {
          const copy = page.slice();
          return { result: b.pageChecksums(copy, pageStart, from, to, verify), copy };
        });
        for (const o of outputs.slice(1)) {
          expect(o.result).toBe(outputs[0]!.result);
          expect(firstDifference(o.copy, outputs[0]!.copy)).toBe(-1);
        }
      }
    }
  });
});
