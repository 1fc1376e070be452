/**
 * A Map model of a byte-keyed FasterKV for differential tests: random keys and values from a
 * seeded Prng, the same operations applied to a session and to the model, and a check that
 * every key the run touched reads back as the model says.
 */
import { expect } from 'vitest';
import type { Prng } from './prng.js';

/** What the model drives: a byte-keyed, byte-valued session (any RMW input type). */
export interface KvSession {
  upsert(key: Uint8Array, value: Uint8Array): number;
  delete(key: Uint8Array): number;
  read(key: Uint8Array): Uint8Array | undefined;
  upsertAsync(key: Uint8Array, value: Uint8Array): Promise<number>;
  deleteAsync(key: Uint8Array): Promise<number>;
}

export const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export class KvModel {
  readonly values = new Map<string, Uint8Array>();
  readonly keys: Uint8Array[] = [];

  /** A new key (1-`maxKeyBytes` random bytes) with probability `fresh`, else a known one. */
  key(rng: Prng, fresh = 0.25, maxKeyBytes = 64): Uint8Array {
    const known = this.keys.length > 0 && rng.nextU32() / 2 ** 32 >= fresh;
    if (known) return this.keys[rng.int(this.keys.length)]!;
    const key = rng.fill(new Uint8Array(1 + rng.int(maxKeyBytes)));
    this.keys.push(key);
    return key;
  }

  value(rng: Prng, maxBytes = 200): Uint8Array {
    return rng.fill(new Uint8Array(rng.int(maxBytes + 1)));
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.values.get(hexOf(key));
  }

  /** Upserts (most of the time) or deletes a random key in `s` and in the model. */
  step(s: KvSession, rng: Prng, fresh = 0.25): void {
    const key = this.key(rng, fresh);
    if (rng.int(8) === 0) {
      s.delete(key);
      this.values.delete(hexOf(key));
    } else {
      const value = this.value(rng);
      s.upsert(key, value);
      this.values.set(hexOf(key), value);
    }
  }

  /** As step, through the async API. */
  async stepAsync(s: KvSession, rng: Prng, fresh = 0.25): Promise<void> {
    const key = this.key(rng, fresh);
    if (rng.int(8) === 0) {
      this.values.delete(hexOf(key));
      await s.deleteAsync(key);
    } else {
      const value = this.value(rng);
      this.values.set(hexOf(key), value);
      await s.upsertAsync(key, value);
    }
  }

  /** Every key ever used reads back as the model says (sync reads). */
  expectMatches(s: KvSession): void {
    for (const key of this.keys) {
      const got = s.read(key);
      const want = this.get(key);
      // A cheap comparison first: the matcher (and its message) only for a mismatch.
      if (!sameBytes(got, want)) expect(got, `key ${hexOf(key)}`).toEqual(want);
    }
  }

  /** The live entries, as hex key -> value. */
  live(): Map<string, Uint8Array> {
    return new Map(this.values);
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.compare(a, b) === 0;
}
