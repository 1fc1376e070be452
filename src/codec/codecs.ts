/**
 * Codecs: how keys and values of a type T become bytes and back (API.md, fixed).
 * `decode` receives a view that is only valid during the call when the store passes one; every
 * codec here returns a value that does not alias store memory.
 */
import { invalidArgument } from '../errors.js';

export interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

const TWO_POW_64 = 1n << 64n;

/** Bytes as they are; `decode` returns a copy so it never aliases store memory. */
const bytes: Codec<Uint8Array> = {
  encode(value) {
    if (!(value instanceof Uint8Array)) throw invalidArgument('value', 'a Uint8Array', value);
    return value;
  },
  decode: (b) => Uint8Array.prototype.slice.call(b),
};

const utf8: Codec<string> = {
  encode(value) {
    if (typeof value !== 'string') throw invalidArgument('value', 'a string', value);
    return Buffer.from(value, 'utf8');
  },
  decode: (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8'),
};

const json: Codec<unknown> = {
  encode(value) {
    const text = JSON.stringify(value);
    if (text === undefined) throw invalidArgument('value', 'JSON-serializable', value);
    return Buffer.from(text, 'utf8');
  },
  decode: (b) => JSON.parse(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8')),
};

/** An unsigned 64-bit integer, 8 bytes little-endian. */
const uint64: Codec<bigint> = {
  encode(value) {
    if (typeof value !== 'bigint' || value < 0n || value >= TWO_POW_64) {
      throw invalidArgument('value', 'a bigint in [0, 2^64)', value);
    }
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, value, true);
    return out;
  },
  decode(b) {
    if (b.length !== 8) throw invalidArgument('uint64 value', 'exactly 8 bytes long', b);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  },
};

export const codecs = { bytes, utf8, json, uint64 } as const;
