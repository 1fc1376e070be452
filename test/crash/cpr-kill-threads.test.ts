/**
 * CPR under process kills with sessions on worker threads: as cpr-kill.test.ts, but the
 * child (cpr-threads-child.ts) runs its four sessions on two worker threads attached to one
 * store, and checkpoints are started both by the thread that opened the store and by a worker.
 * After every SIGKILL the next child recovers and reports, and the test checks that each
 * session got back exactly a prefix of its operations (minus its excluded serials). 12 cycles
 * per engine by default; FASTERKV_CRASH_CYCLES sets the count.
 */
import { describe, expect, it } from 'vitest';
import { availableEngines } from '../../src/native.js';
import { killCycles } from '../support/cpr-check.js';

const CYCLES = Number(process.env.FASTERKV_CRASH_CYCLES ?? 12);
const child = new URL('./cpr-threads-child.ts', import.meta.url);

describe.each(availableEngines())(
  'CPR under SIGKILL with sessions on two workers (%s)', (engine) => {
    it(`gives every session back a prefix of its operations after each of ${CYCLES} kills`,
      async () => {
        const models = await killCycles(child, engine, CYCLES, (prng) => 100 + prng.int(300));
        expect(models.every((m) => m.point > 0)).toBe(true);
      }, 60_000 + CYCLES * 4_000);
  });
