/**
 * A seeded differential test against a Map model: random keys of 1-64 bytes, values of 0-300
 * bytes, a mix of upsert, read, delete and RMW, with memory so small that most records live on
 * the device. Run for each engine, through the sync and the async API.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { availableEngines } from '../../../src/native.js';
import type { FasterKV } from '../../../src/store/faster-kv.js';
import type { RmwFunctions } from '../../../src/store/rmw-functions.js';
import type { Session } from '../../../src/store/session.js';
import { seededPrng, type Prng } from '../../support/prng.js';
import { openTiny } from '../../support/store.js';

/** RMW: append the input byte to the value (copy-update), or bump the last byte in place. */
const appendByte: RmwFunctions<Uint8Array, number> = {
  initial: (input) => Uint8Array.of(input),
  update: (old, input) => {
    const out = new Uint8Array(Math.min(old.length + 1, 300));
    out.set(old.subarray(0, out.length - 1));
    out[out.length - 1] = input;
    return out;
  },
};

function modelRmw(old: Uint8Array | undefined, input: number): Uint8Array {
  return old === undefined ? appendByte.initial(input) : appendByte.update(old, input);
}

function randomKey(rng: Prng, keys: Uint8Array[]): Uint8Array {
  if (keys.length > 0 && rng.int(4) !== 0) return keys[rng.int(keys.length)]!;
  const k = rng.fill(new Uint8Array(1 + rng.int(64)));
  keys.push(k);
  return k;
}

const OPS = 6000;

describe.each(availableEngines())('FasterKV against a Map model (%s engine)', (engine) => {
  let kv: FasterKV<Uint8Array, Uint8Array, number> | undefined;
  afterEach(async () => {
    await kv?.close();
  });

  async function run(mode: 'sync' | 'async'): Promise<void> {
    const rng = seededPrng();
    kv = await openTiny<Uint8Array, Uint8Array, number>(engine, { rmw: appendByte });
    const s = kv.newSession();
    const model = new Map<string, Uint8Array>();
    const keys: Uint8Array[] = [];
    for (let i = 0; i < OPS; i++) {
      const key = randomKey(rng, keys);
      const id = Buffer.from(key).toString('hex');
      const op = rng.int(10);
      if (op < 4) {
        const value = rng.fill(new Uint8Array(rng.int(301)));
        model.set(id, value);
        if (mode === 'sync') s.upsert(key, value); else await s.upsertAsync(key, value);
      } else if (op < 7) {
        const got = mode === 'sync' ? s.read(key) : await s.readAsync(key);
        expect(got, `read #${i}`).toEqual(model.get(id));
      } else if (op < 8) {
        model.delete(id);
        if (mode === 'sync') s.delete(key); else await s.deleteAsync(key);
      } else {
        const input = rng.int(256);
        model.set(id, modelRmw(model.get(id), input));
        if (mode === 'sync') s.rmw(key, input); else await s.rmwAsync(key, input);
      }
    }
    expect(kv.stats().headAddress, 'most records should live on the device').toBeGreaterThan(
      kv.stats().tailAddress / 2);
    for (const key of keys) {
      const id = Buffer.from(key).toString('hex');
      expect(s.read(key)).toEqual(model.get(id));
    }
  }

  it('matches the model through the sync API', () => run('sync'));
  it('matches the model through the async API', () => run('async'));

  it('matches the model with many async reads in flight at once', async () => {
    const rng = seededPrng();
    kv = await openTiny<Uint8Array, Uint8Array, number>(engine, { rmw: appendByte });
    const s = kv.newSession();
    const model = new Map<string, Uint8Array>();
    const keys: Uint8Array[] = [];
    for (let i = 0; i < 3000; i++) {
      const key = randomKey(rng, keys);
      const value = rng.fill(new Uint8Array(rng.int(301)));
      model.set(Buffer.from(key).toString('hex'), value);
      s.upsert(key, value);
    }
    const batch = keys.map((k) => s.readAsync(k));
    const values = await Promise.all(batch);
    values.forEach((v, i) => expect(v).toEqual(model.get(Buffer.from(keys[i]!).toString('hex'))));
  });
});
