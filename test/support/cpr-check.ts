/**
 * The checks of the CPR kill tests (test/crash/cpr-kill*.test.ts): what a killed child's
 * successor recovered (its `STATE <json>` line) and what an in-process recovery shows, each
 * against the sessions' models (cpr-workload.ts).
 */
import { expect } from 'vitest';
import type { EngineName } from '../../src/native.js';
import { FasterKV } from '../../src/store/faster-kv.js';
import { CRASH_STORE, SessionModel, sessionId } from './cpr-workload.js';

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
