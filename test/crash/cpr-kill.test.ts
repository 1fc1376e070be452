/**
 * CPR under process kills: a child process runs several sessions of the deterministic
 * workload (test/support/cpr-workload.ts) with checkpoints of every kind running meanwhile;
 * the test SIGKILLs it at a random moment. The next child recovers the store and reports what
 * it found before it resumes the sessions and goes on; the test checks for every session that
 * each operation up to its CPR point (except the excluded serials) is reflected and no later
 * one is. After the last kill the test recovers and checks in process. 30 cycles per engine
 * by default; FASTERKV_CRASH_CYCLES sets the count (`npm run test:crash`: 1,000).
 */
import { describe, expect, it } from 'vitest';
import { availableEngines } from '../../src/native.js';
import { killCycles } from '../support/cpr-check.js';

const CYCLES = Number(process.env.FASTERKV_CRASH_CYCLES ?? 30);
const child = new URL('./cpr-child.ts', import.meta.url);

describe.each(availableEngines())('CPR under SIGKILL (%s)', (engine) => {
  it(`gives every session back a prefix of its operations after each of ${CYCLES} kills`,
    async () => {
      const models = await killCycles(child, engine, CYCLES, (prng) => 10 + prng.int(80));
      expect(models.every((m) => m.point > 0)).toBe(true);
    }, 60_000 + CYCLES * 2_000);
});
