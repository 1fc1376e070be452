/**
 * A small seeded pseudo-random generator for fault injection and tests: a Weyl sequence
 * (step 0x9E3779B9) passed through Murmur3's 32-bit finalizer. Deterministic for a seed, fast,
 * statistically good enough for picking tear points and test data; not for cryptography.
 *
 * Thread rules: an instance is plain state; use one per thread.
 */
export class Prng {
  /** The seed this generator started from, for failure messages that let a run be replayed. */
  readonly seed: number;
  private state: number;

  /** REQUIRES: `seed` is an integer; only its low 32 bits matter. */
  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.state = this.seed;
  }

  /** The next unsigned 32-bit value. */
  nextU32(): number {
    this.state = (this.state + 0x9e3779b9) | 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** A uniform integer in [0, bound). REQUIRES: 0 < bound <= 2^32. */
  int(bound: number): number {
    return Math.floor((this.nextU32() / 4294967296) * bound);
  }

  /** Fills `dst` with random bytes and returns it. */
  fill(dst: Uint8Array): Uint8Array {
    for (let i = 0; i < dst.length; i += 4) {
      let v = this.nextU32();
      for (let j = i; j < i + 4 && j < dst.length; j++) {
        dst[j] = v & 0xff;
        v >>>= 8;
      }
    }
    return dst;
  }
}

/** A fresh seed from the system's randomness, for callers that were not given one. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 4294967296) >>> 0;
}
