/**
 * Seeded randomness for tests. `seededPrng()` picks a seed (FASTERKV_TEST_SEED when set, else
 * a random one), and when the current test fails prints it with the command line that replays
 * the run. Call it inside a test.
 */
import { onTestFailed } from 'vitest';
import { Prng, randomSeed } from '../../src/util/prng.js';

export { Prng };

/** The seed for this run: FASTERKV_TEST_SEED when set, else random. */
export function testSeed(): number {
  const fixed = process.env.FASTERKV_TEST_SEED;
  if (fixed !== undefined && fixed !== '') {
    const seed = Number(fixed);
    if (!Number.isInteger(seed)) throw new Error(`FASTERKV_TEST_SEED must be an integer: ${fixed}`);
    return seed >>> 0;
  }
  return randomSeed();
}

/** A generator whose seed is printed if the current test fails. */
export function seededPrng(seed = testSeed()): Prng {
  onTestFailed(() => {
    console.error(`seed ${seed >>> 0}: replay with FASTERKV_TEST_SEED=${seed >>> 0}`);
  });
  return new Prng(seed);
}
