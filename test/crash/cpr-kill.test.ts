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
import { FasterKV } from '../../src/store/faster-kv.js';
import { availableEngines, type EngineName } from '../../src/native.js';
import {
  CRASH_STORE, SESSIONS, SessionModel, sessionId,
} from '../support/cpr-workload.js';
import { runUntilKilled } from '../support/crash-child.js';
import { seededPrng } from '../support/prng.js';
import { tempDir } from '../support/temp-dir.js';

const CYCLES = Number(process.env.FASTERKV_CRASH_CYCLES ?? 30);
const child = new URL('./cpr-child.ts', import.meta.url);

interface RecoveredState {
  readonly point: number;
  readonly excluded: readonly number[];
  readonly values: Record<string, string | null>;
}

/** Checks what a child recovered (its STATE line) against the models. */
function checkReport(out: string, models: SessionModel[], life: number): void {
  const line = out.split('\n').find((l) => l.startsWith('STATE '));
  if (line === undefined) throw new Error(`child of life ${life} did not report:\n${out}`);
  const state = JSON.parse(line.slice(6)) as RecoveredState[];
  for (const model of models) {
    const recovered = state[model.s]!;
    model.advance(recovered.point, recovered.excluded, life - 1);
    expect(recovered.excluded).toEqual(model.excluded);
    model.verifyValues(recovered.values);
  }
}

/** Recovers the store the killed child left and checks every session against its model. */
async function recoverAndCheck(dir: string, engine: EngineName, models: SessionModel[],
  life: number): Promise<void> {
  const kv = await FasterKV.open<Uint8Array, Uint8Array, number>({ dir, engine, ...CRASH_STORE });
  try {
    const info = kv.recoveredFrom;
    for (const model of models) {
      const id = sessionId(model.s);
      const point = info?.sessions[id] ?? 0;
      model.advance(point, info?.excludedSerials[id] ?? [], life);
      const session = info === undefined ? kv.newSession(`check-${id}`) : kv.resumeSession(id);
      expect(session.recoveredSerial).toBe(point);
      expect(session.recoveredExcluded).toEqual(model.excluded);
      model.verify((key) => session.read(key));
    }
  } finally {
    await kv.close();
  }
}

describe.each(availableEngines())('CPR under SIGKILL (%s)', (engine) => {
  it(`gives every session back a prefix of its operations after each of ${CYCLES} kills`,
    async () => {
      const prng = seededPrng();
      const dir = tempDir();
      const models = Array.from({ length: SESSIONS }, (_, s) => new SessionModel(s));
      for (let life = 1; life <= CYCLES; life++) {
        const out = await runUntilKilled(child, [dir, engine, String(life),
          String(prng.nextU32())], 10 + prng.int(80));
        checkReport(out, models, life);
      }
      await recoverAndCheck(dir, engine, models, CYCLES);
      expect(models.every((m) => m.point > 0)).toBe(true);
    }, 60_000 + CYCLES * 2_000);
});
