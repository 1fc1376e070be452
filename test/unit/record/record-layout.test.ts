import { describe, expect, it } from 'vitest';
import {
  HI_IN_NEW_VERSION, HI_SEALED, HI_TOMBSTONE, HI_VALID, addressHi, addressLo, isLive,
  previousAddressOf,
} from '../../../src/record/record-info.js';
import {
  OFFSET_INFO, OFFSET_KEY_BYTES, OFFSET_VALUE_CAPACITY, RECORD_HEADER_BYTES, recordChecksum,
  recordSize, recordSizeAt, writeU32,
} from '../../../src/record/record-layout.js';

function makeRecord(key: number[], value: number[], hiFlags = HI_VALID): Uint8Array {
  const size = recordSize(key.length, (value.length + 7) & ~7);
  const b = new Uint8Array(size);
  writeU32(b, OFFSET_INFO, addressLo(0x1234_5678_9a));
  writeU32(b, OFFSET_INFO + 4, addressHi(0x1234_5678_9a) | hiFlags);
  writeU32(b, OFFSET_KEY_BYTES, key.length);
  writeU32(b, 16, value.length);
  writeU32(b, OFFSET_VALUE_CAPACITY, (value.length + 7) & ~7);
  b.set(key, RECORD_HEADER_BYTES);
  b.set(value, RECORD_HEADER_BYTES + ((key.length + 7) & ~7));
  return b;
}

describe('record layout', () => {
  it('sizes a record as a 24-byte header plus key and value capacity, 8-byte aligned', () => {
    expect(recordSize(8, 8)).toBe(40);
    expect(recordSize(1, 0)).toBe(32);
    expect(recordSize(0, 0)).toBe(24);
    const r = makeRecord([1, 2, 3], [4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(recordSizeAt(r, 0)).toBe(24 + 8 + 16);
  });

  it('keeps the 48-bit previous address in the header halves', () => {
    const addr = 2 ** 47 - 64;
    expect(previousAddressOf(addressLo(addr), addressHi(addr) | HI_VALID | HI_TOMBSTONE))
      .toBe(addr);
  });

  it('treats a record as live only when it is valid and not sealed', () => {
    expect(isLive(HI_VALID)).toBe(true);
    expect(isLive(HI_VALID | HI_SEALED)).toBe(false);
    expect(isLive(0)).toBe(false);
  });

  it('checksums key, value and the durable header bits, ignoring Valid and Sealed', () => {
    const a = makeRecord([1, 2, 3], [9, 9]);
    const base = recordChecksum(a, 0, a.length);
    const sealed = makeRecord([1, 2, 3], [9, 9], HI_SEALED);
    expect(recordChecksum(sealed, 0, sealed.length)).toBe(base);
    for (const flip of [OFFSET_KEY_BYTES, RECORD_HEADER_BYTES + 1, a.length - 8]) {
      const damaged = a.slice();
      damaged[flip]! ^= 1;
      expect(recordChecksum(damaged, 0, damaged.length)).not.toBe(base);
    }
    const tomb = makeRecord([1, 2, 3], [9, 9], HI_VALID | HI_TOMBSTONE);
    const nv = makeRecord([1, 2, 3], [9, 9], HI_VALID | HI_IN_NEW_VERSION);
    expect(recordChecksum(tomb, 0, tomb.length)).not.toBe(base);
    expect(recordChecksum(nv, 0, nv.length)).not.toBe(base);
  });
});
