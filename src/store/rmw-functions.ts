/**
 * Read-modify-write functions (API.md, fixed shape) and the built-in counter.
 *
 * `initial(input)` makes the value of a key that has none; `update(old, input)` makes the new
 * value from the old one (copy-update to the tail); `inPlace(value, input)`, when present, edits
 * the record's value bytes in the mutable region and returns false to fall back to `update`.
 * The counter treats an old value that is not 8 bytes long as 0.
 * `initial` and `update` see values through the store's `valueCodec`, unless `raw` is true: then
 * they see and return encoded bytes (the built-in counter is raw, so it works with any codec).
 */

export interface RmwFunctions<V = Uint8Array, I = unknown> {
  initial(input: I): V;
  update(old: V, input: I): V;
  inPlace?(value: Uint8Array, input: I): boolean;
  /** When true, `initial`/`update` work on encoded bytes, bypassing `valueCodec`. */
  readonly raw?: boolean;
}

const TWO_POW_32 = 4294967296;
const MASK_64 = (1n << 64n) - 1n;

/** Splits a counter input into 32-bit halves (wrapping mod 2^64, like the stored integer). */
function inputHalves(input: number | bigint, out: Uint32Array): void {
  if (typeof input === 'number' && Number.isSafeInteger(input) && input >= 0) {
    out[0] = input >>> 0;
    out[1] = Math.floor(input / TWO_POW_32) >>> 0;
    return;
  }
  const v = BigInt(input) & MASK_64;
  out[0] = Number(v & 0xffffffffn);
  out[1] = Number(v >> 32n);
}

const halves = new Uint32Array(2);

function readU32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v; b[o + 1] = v >>> 8; b[o + 2] = v >>> 16; b[o + 3] = v >>> 24;
}

/** Adds `input` to the 8-byte little-endian integer in `value` (mod 2^64), without BigInt. */
function addInPlace(value: Uint8Array, input: number | bigint): void {
  inputHalves(input, halves);
  const lo = readU32(value, 0) + halves[0]!;
  const carry = lo >= TWO_POW_32 ? 1 : 0;
  writeU32(value, 0, lo >>> 0);
  writeU32(value, 4, (readU32(value, 4) + halves[1]! + carry) >>> 0);
}

/** An unsigned 64-bit little-endian counter; the input (number or bigint) is added to it. */
const counter: RmwFunctions<Uint8Array, number | bigint> = {
  raw: true,
  initial(input) {
    const out = new Uint8Array(8);
    addInPlace(out, input);
    return out;
  },
  update(old, input) {
    const out = new Uint8Array(8);
    if (old.length === 8) out.set(old);
    addInPlace(out, input);
    return out;
  },
  inPlace(value, input) {
    if (value.length !== 8) return false;
    addInPlace(value, input);
    return true;
  },
};

export const rmwFunctions = { counter } as const;
