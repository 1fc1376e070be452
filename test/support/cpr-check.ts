/**
 * The CPR kill tests' cycle (test/crash/cpr-kill*.test.ts) and its checks: what a killed
 * child's successor recovered (its `STATE <json>` line) and what an in-process recovery shows,
 * each against the sessions' models (cpr-workload.ts).
 */
import { expect } from 'vitest';
import type { EngineName } from '../../src/native.js';
import { FasterKV } from '../../src/store/faster-kv.js';
import { CRASH_STORE, SESSIONS, SessionModel, sessionId } from './cpr-workload.js';
import { runUntilKilled } from './crash-child.js';
import { seededPrng, type Prng } from './prng.js';
import { tempDir } from './temp-dir.js';

interface RecoveredState {
  readonly point: number;
  readonly excluded: readonly number[];
  readonly values: Record<string, string | null>;
}

/** Checks what the child of `life` recovered (its STATE line) against the models. */
export function checkReport(out: string, models: SessionModel[], life: number): void {
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

/** Recovers the store the last killed child left and checks every session against its model. */
export async function recoverAndCheck(dir: string, engine: EngineName, models: SessionModel[],
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

/**
 * Runs `cycles` lives of `child` (arguments: dir engine life seed) on one store directory,
 * each SIGKILLed `runMs(prng)` ms after it is ready, checking every life's report; then
 * recovers in process and checks. Returns the models. Call inside a test.
 */
export async function killCycles(child: URL, engine: EngineName, cycles: number,
  runMs: (prng: Prng) => number): Promise<SessionModel[]> {
  const prng = seededPrng();
  const dir = tempDir();
  const models = Array.from({ length: SESSIONS }, (_, s) => new SessionModel(s));
  for (let life = 1; life <= cycles; life++) {
    const out = await runUntilKilled(child, [dir, engine, String(life),
      String(prng.nextU32())], runMs(prng));
    checkReport(out, models, life);
  }
  await recoverAndCheck(dir, engine, models, cycles);
  return models;
}
