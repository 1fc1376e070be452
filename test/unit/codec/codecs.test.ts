import { describe, expect, it } from 'vitest';
import { codecs } from '../../../src/codec/codecs.js';
import { rmwFunctions } from '../../../src/store/rmw-functions.js';

describe('codecs', () => {
  it('round-trips bytes and returns a copy that does not alias the input', () => {
    const src = new Uint8Array(new SharedArrayBuffer(4)).fill(7);
    const out = codecs.bytes.decode(codecs.bytes.encode(src));
    expect(out).toEqual(new Uint8Array([7, 7, 7, 7]));
    src[0] = 1;
    expect(out[0]).toBe(7);
    expect(out.buffer).toBeInstanceOf(ArrayBuffer);
  });

  it('round-trips utf8 strings including non-ASCII text', () => {
    for (const s of ['', 'key-1', 'größe ✓ 日本 🚀']) {
      expect(codecs.utf8.decode(codecs.utf8.encode(s))).toBe(s);
    }
  });

  it('round-trips JSON values and refuses what JSON cannot hold', () => {
    const v = { a: [1, 2, { b: 'c' }], n: null };
    expect(codecs.json.decode(codecs.json.encode(v))).toEqual(v);
    expect(() => codecs.json.encode(undefined)).toThrow(/JSON-serializable/);
  });

  it('encodes uint64 as 8 little-endian bytes over the whole range', () => {
    expect(codecs.uint64.encode(1n)).toEqual(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]));
    const max = (1n << 64n) - 1n;
    expect(codecs.uint64.decode(codecs.uint64.encode(max))).toBe(max);
    expect(() => codecs.uint64.encode(-1n)).toThrow(/\[0, 2\^64\)/);
    expect(() => codecs.uint64.encode(1n << 64n)).toThrow(expect.objectContaining({
      code: 'ERR_INVALID_ARGUMENT',
    }));
  });

  it('rejects values of the wrong type, naming what is allowed', () => {
    expect(() => codecs.bytes.encode('x' as never)).toThrow(/value must be a Uint8Array/);
    expect(() => codecs.utf8.encode(5 as never)).toThrow(/value must be a string/);
  });
});

describe('rmwFunctions.counter', () => {
  const { counter } = rmwFunctions;
  const asBig = (b: Uint8Array): bigint => codecs.uint64.decode(b);

  it('starts at its first input and adds later inputs, numbers and bigints alike', () => {
    let v = counter.initial(5);
    v = counter.update(v, 7n);
    expect(asBig(v)).toBe(12n);
  });

  it('adds in place across the 32-bit boundary with carry', () => {
    const v = codecs.uint64.encode(0xffff_ffffn);
    expect(counter.inPlace!(v, 1)).toBe(true);
    expect(asBig(v)).toBe(0x1_0000_0000n);
    expect(counter.inPlace!(v, 2 ** 40)).toBe(true);
    expect(asBig(v)).toBe(0x1_0000_0000n + (1n << 40n));
  });

  it('wraps modulo 2^64 like the unsigned integer it stores', () => {
    const v = codecs.uint64.encode((1n << 64n) - 1n);
    counter.inPlace!(v, 2);
    expect(asBig(v)).toBe(1n);
  });

  it('declines in-place updates of values that are not 8 bytes long', () => {
    expect(counter.inPlace!(new Uint8Array(4), 1)).toBe(false);
    expect(asBig(counter.update(new Uint8Array(3), 4))).toBe(4n);
  });
});
