/**
 * The persisted formats, pinned: entry headers (log-entry.ts), commit records
 * (commit-metadata.ts) and the commit-metadata ring (commit-store.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  COMMIT_HEADER_BYTES, commitRecordLength, decodeCommitRecord, encodeCommitRecord,
  type CommitRecord,
} from '../../../src/fasterlog/commit-metadata.js';
import { CommitStore, RING_BYTES } from '../../../src/fasterlog/commit-store.js';
import { LogAppender } from '../../../src/fasterlog/log-appender.js';
import {
  checkEntry, ENTRY_CORRUPT, ENTRY_END, entryChecksum, entrySize, entryWord, readU32, wordKind,
  wordLength, wordsOf, writeU32, zeroBytes,
} from '../../../src/fasterlog/log-entry.js';
import { MemoryDevice } from '../../../src/device/memory-device.js';
import { availableEngines, selectBinding } from '../../../src/native.js';
import { MemoryStorage } from '../../../src/storage/memory-storage.js';
import { FaultStorage } from '../../../src/storage/fault-storage.js';
import { openLog } from '../../support/log-fixture.js';

function record(overrides: Partial<CommitRecord> = {}): CommitRecord {
  return {
    commitNumber: 7, beginAddress: 4096, untilAddress: 1 << 20, previousUntilAddress: 65536,
    previousChecksum: 0xdeadbeef, writerNonce: 12345, timeMs: 1_700_000_000_000,
    anchor: false, iterators: new Map([['consumer-a', 8192], ['ü', 1 << 19]]),
    cookie: new Uint8Array([1, 2, 3]), pageBytes: 4096, segmentBytes: 1 << 16, ...overrides,
  };
}

describe.each(availableEngines())('persisted formats (%s engine)', (engine) => {
  const binding = selectBinding(engine);

  describe('entries', () => {
    function appendOne(payload: Uint8Array, checksum: boolean): Uint8Array {
      const log = openLog(new MemoryDevice({ segmentBytes: 1 << 16, sectorBytes: 512 }),
        binding, { pageBytes: 4096, memoryBytes: 8192, mutableFraction: 0 });
      const appender = new LogAppender(log, binding, checksum);
      log.epoch.protect();
      const address = appender.append(payload, 'sync');
      log.epoch.unprotect();
      const at = log.physicalOffset(address);
      return log.memory.slice(at - 64, at - 64 + 4096);
    }

    it('lays out checksum, word, payload and zero padding to 8 bytes', () => {
      const page = appendOne(new Uint8Array([10, 20, 30]), true);
      const word = readU32(page, 64 + 4);
      expect(wordKind(word)).toBe(1);
      expect(wordLength(word)).toBe(3);
      expect(word >>> 29 & 1).toBe(1);
      expect([...page.subarray(72, 80)]).toEqual([10, 20, 30, 0, 0, 0, 0, 0]);
      const covered = new Uint8Array(7);
      covered.set(page.subarray(68, 72));
      covered.set([10, 20, 30], 4);
      expect(readU32(page, 64)).toBe(binding.crc32c(covered, 0));
      expect(checkEntry(binding, page, 64, 4096, true)).toBe(16);
      expect(entrySize(3)).toBe(16);
      expect(entrySize(0)).toBe(8);
    });

    it("checks only the word with checksum 'none'", () => {
      const page = appendOne(new Uint8Array([10, 20, 30]), false);
      expect(readU32(page, 64 + 4) >>> 29 & 1).toBe(0);
      expect(readU32(page, 64)).toBe(binding.crc32c(page.subarray(68, 72), 0));
      page[72] = 99;
      expect(checkEntry(binding, page, 64, 4096, true)).toBe(16);
    });

    it('checksums each entry with its own word when sizes and kinds alternate', () => {
      const payload = new Uint8Array(40).fill(7);
      for (const [kind, length] of [[1, 40], [1, 40], [3, 40], [1, 3], [1, 40], [2, 0],
        [1, 0], [3, 3]] as const) {
        const word = entryWord(kind, length, true);
        const covered = new Uint8Array(4 + length);
        writeU32(covered, 0, word);
        covered.set(payload.subarray(0, length), 4);
        expect(entryChecksum(binding, word, payload, 0, length), `kind ${kind} length ${length}`)
          .toBe(binding.crc32c(covered, 0));
      }
    });

    it('tells an unwritten header from a damaged one', () => {
      const page = appendOne(new Uint8Array(100).fill(5), true);
      expect(checkEntry(binding, page, 64 + 112, 4096, true)).toBe(ENTRY_END);
      const cases: Array<[string, (p: Uint8Array) => void]> = [
        ['payload byte', (p) => { p[100]! ^= 1; }],
        ['checksum', (p) => { p[64]! ^= 1; }],
        ['length', (p) => writeU32(p, 68, (readU32(p, 68) & ~0xfffffff) | 101)],
        ['reserved bit', (p) => writeU32(p, 68, readU32(p, 68) | 0x1000_0000)],
        ['kind 0', (p) => writeU32(p, 68, readU32(p, 68) & 0x3fff_ffff)],
        ['length past the page', (p) => writeU32(p, 68, (readU32(p, 68) & ~0xfffffff) | 5000)],
      ];
      for (const [what, damage] of cases) {
        const copy = page.slice();
        damage(copy);
        expect(checkEntry(binding, copy, 64, 4096, true), what).toBe(ENTRY_CORRUPT);
      }
    });
  });

  describe('zeroBytes', () => {
    it('zeroes exactly [from, to) of shared memory, at any alignment and length', () => {
      const memory = new Uint8Array(new SharedArrayBuffer(512), 3, 400);
      for (const words of [undefined, wordsOf(memory)]) {
        for (const [from, to] of [[0, 0], [1, 2], [5, 70], [0, 64], [3, 397], [0, 400],
          [13, 14], [100, 399]] as const) {
          memory.fill(0xa5);
          zeroBytes(memory, from, to, words);
          const zeroed = [...memory].map((b, i) => (i >= from && i < to ? b === 0 : b === 0xa5));
          expect(zeroed.every(Boolean), `[${from}, ${to})`).toBe(true);
        }
      }
    });
  });

  describe('commit records', () => {
    it('round-trip every field, and the checksum identifies the record', () => {
      const original = record();
      const length = commitRecordLength(original.iterators, original.cookie);
      expect(length).toBe(COMMIT_HEADER_BYTES + 10 + 10 + 10 + 2 + 3);
      const bytes = new Uint8Array(length + 16);
      const checksum = encodeCommitRecord(binding, original, bytes, 8);
      const decoded = decodeCommitRecord(binding, bytes, 8, 8 + length, 'test');
      expect(decoded).toMatchObject({ ...original, checksum, length });
      expect(readU32(bytes, 8)).toBe(0x52434c46);
      const again = encodeCommitRecord(binding, record({ timeMs: original.timeMs + 1 }),
        new Uint8Array(length), 0);
      expect(again).not.toBe(checksum);
    });

    it('reject any damaged byte, and refuse a newer format version', () => {
      const original = record({ cookie: undefined, iterators: new Map() });
      const bytes = new Uint8Array(COMMIT_HEADER_BYTES);
      encodeCommitRecord(binding, original, bytes, 0);
      for (let i = 0; i < bytes.length; i++) {
        const copy = bytes.slice();
        copy[i]! ^= 0x40;
        expect(typeof decodeCommitRecord(binding, copy, 0, copy.length, 'test'), `byte ${i}`)
          .toBe('string');
      }
      const newer = bytes.slice();
      newer[4] = 2;
      const crc = binding.crc32c(newer.subarray(0, 12), 0);
      writeU32(newer, 12, binding.crc32c(newer.subarray(16), crc));
      expect(() => decodeCommitRecord(binding, newer, 0, newer.length, 'the ring'))
        .toThrow(expect.objectContaining({ code: 'ERR_FORMAT_VERSION' }));
    });
  });

  describe('the commit-metadata ring', () => {
    it('gives back records in sequence order, the newest last, across a wrap', () => {
      const storage = new MemoryStorage();
      const { store, created } = CommitStore.open(storage, binding, false)!;
      expect(created).toBe(true);
      const cookie = new Uint8Array(3000);
      const writes = Math.ceil(RING_BYTES / 4096) + 40;
      for (let n = 1; n <= writes; n++) {
        const withCookie = n % 2 === 1 ? cookie : undefined;
        store.writeSync(store.prepare(record({ commitNumber: n, cookie: withCookie })));
      }
      const reopened = CommitStore.open(storage, binding, false)!;
      expect(reopened.created).toBe(false);
      const { records, damaged } = reopened.store.readAll();
      expect(damaged).toBe(0);
      const numbers = records.map((r) => r.commit.commitNumber);
      expect(numbers[numbers.length - 1]).toBe(writes);
      expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
      expect(numbers.length).toBeGreaterThan(100);
    });

    it('falls back past a torn newest record to the one before it', () => {
      let damagedSeen = 0;
      const big = record({ cookie: new Uint8Array(3900).fill(9) });
      for (let seed = 1; seed <= 24; seed++) {
        const storage = new FaultStorage();
        const { store } = CommitStore.open(storage, binding, false)!;
        store.writeSync(store.prepare({ ...big, commitNumber: 1 }));
        const second = store.prepare({ ...big, commitNumber: 2 });
        store.device.writeSync(second.buffer, second.position);
        const cut = storage.powerCut({ tear: true, seed }).devices['fasterlog.commits']!;
        const { records, damaged } = CommitStore.open(storage, binding, false)!.store.readAll();
        const newest = records[records.length - 1]!.commit.commitNumber;
        const length = 24 + commitRecordLength(big.iterators, big.cookie);
        const { wholeSectors, tornBytes } = cut.torn!;
        const whole = wholeSectors === 1 || tornBytes >= length;
        expect(newest, `seed ${seed}`).toBe(whole ? 2 : 1);
        if (!whole && tornBytes >= 4) {
          expect(damaged, `seed ${seed}`).toBe(1);
          damagedSeen++;
        }
      }
      expect(damagedSeen).toBeGreaterThan(0);
    });
  });
});
