/**
 * The workload of the worker-thread differential tests: worker `w` of a run with seed `seed`
 * issues `count` operations from its own generator, so the test thread can replay each
 * worker's stream and know what the store must hold afterwards.
 *
 *  - own keys `w<w>/k<i>`: upserts of self-checking values of varying length (some fit in
 *    place, some outgrow their record), deletes, reads checked exactly against the worker's
 *    model, and RMW counters `w<w>/c<i>`;
 *  - shared keys `s/k<i>`: every worker upserts self-checking values and reads them back (a
 *    read must see one whole value, never a torn one);
 *  - shared counters `s/c<i>`: every worker adds to them (sync and async RMW); their final
 *    values are the sums of every worker's inputs.
 */
import type { RmwFunctions } from '../../src/store/rmw-functions.js';
import { Prng } from '../../src/util/prng.js';

export const OWN_KEYS = 64;
export const OWN_COUNTERS = 16;
export const SHARED_KEYS = 8;
export const SHARED_COUNTERS = 4;

export type Op =
  | { kind: 'upsert' | 'delete' | 'read'; key: string; value: Uint8Array | undefined }
  | { kind: 'rmw'; key: string; input: number; async: boolean }
  | { kind: 'readShared' | 'upsertShared'; key: string; value: Uint8Array | undefined };

/**
 * A 64-bit counter (first 8 bytes, little-endian) whose value grows by 8 bytes for inputs that
 * are multiples of 3 and whose in-place update declines inputs that are multiples of 4: RMWs
 * then copy-update from mutable records too, which must seal them (no lost update).
 */
export const stretchCounter: RmwFunctions<Uint8Array, number> = {
  raw: true,
  initial: (input) => withCount(new Uint8Array(8), 0n, input),
  update: (old, input) => withCount(new Uint8Array(old.length + (input % 3 === 0 ? 8 : 0)),
    Buffer.from(old).readBigUInt64LE(0), input),
  inPlace(value, input) {
    if (input % 4 === 0) return false;
    withCount(value, Buffer.from(value.buffer, value.byteOffset, 8).readBigUInt64LE(0), input);
    return true;
  },
};

function withCount(out: Uint8Array, old: bigint, input: number): Uint8Array {
  new DataView(out.buffer, out.byteOffset, 8).setBigUint64(0, old + BigInt(input), true);
  return out;
}

/** A value whose bytes say its length and tag: `checkValue` detects any tearing. */
export function makeValue(tag: number, length: number): Uint8Array {
  const v = new Uint8Array(length);
  const view = new DataView(v.buffer);
  view.setUint32(0, length, true);
  view.setUint32(4, tag, true);
  for (let i = 8; i < length; i++) v[i] = (tag * 31 + i) & 0xff;
  return v;
}

/** The tag of a self-checking value; throws if it is torn. */
export function checkValue(v: Uint8Array, where: string): number {
  const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
  if (v.length < 8 || view.getUint32(0, true) !== v.length) {
    throw new Error(`${where}: torn value (length ${v.length})`);
  }
  const tag = view.getUint32(4, true);
  for (let i = 8; i < v.length; i++) {
    if (v[i] !== ((tag * 31 + i) & 0xff)) throw new Error(`${where}: torn value at byte ${i}`);
  }
  return tag;
}

/** Worker `w`'s operations, in order. */
export function* opsOf(seed: number, w: number, count: number): Generator<Op> {
  const prng = new Prng((seed ^ Math.imul(w + 1, 0x9e3779b1)) >>> 0);
  for (let n = 0; n < count; n++) {
    const pick = prng.int(100);
    const tag = (w << 24) | n;
    if (pick < 15) {
      const key = `w${w}/k${prng.int(OWN_KEYS)}`;
      yield { kind: 'upsert', key, value: makeValue(tag, 8 + 8 * prng.int(12)) };
    } else if (pick < 18) {
      yield { kind: 'delete', key: `w${w}/k${prng.int(OWN_KEYS)}`, value: undefined };
    } else if (pick < 25) {
      yield { kind: 'read', key: `w${w}/k${prng.int(OWN_KEYS)}`, value: undefined };
    } else if (pick < 30) {
      yield { kind: 'rmw', key: `w${w}/c${prng.int(OWN_COUNTERS)}`, input: 1 + prng.int(9),
        async: prng.int(4) === 0 };
    } else if (pick < 60) {
      yield { kind: 'rmw', key: `s/c${prng.int(SHARED_COUNTERS)}`, input: 1 + prng.int(9),
        async: prng.int(4) === 0 };
    } else if (pick < 80) {
      const key = `s/k${prng.int(SHARED_KEYS)}`;
      yield { kind: 'upsertShared', key, value: makeValue(tag, 8 + 8 * prng.int(12)) };
    } else {
      yield { kind: 'readShared', key: `s/k${prng.int(SHARED_KEYS)}`, value: undefined };
    }
  }
}

/** What the store must hold after every worker ran `count` operations. */
export function expectedState(seed: number, workers: number, count: number):
  Map<string, Uint8Array | bigint | undefined> {
  const state = new Map<string, Uint8Array | bigint | undefined>();
  const add = (key: string, input: number): void => {
    state.set(key, ((state.get(key) as bigint | undefined) ?? 0n) + BigInt(input));
  };
  for (let w = 0; w < workers; w++) {
    for (const op of opsOf(seed, w, count)) {
      if (op.kind === 'upsert') state.set(op.key, op.value);
      else if (op.kind === 'delete') state.set(op.key, undefined);
      else if (op.kind === 'rmw') add(op.key, op.input);
    }
  }
  return state;
}
