/**
 * CPR under simulated power cuts, in process: the store runs on a FaultStorage (every file and
 * device in one simulated disk). Each cycle recovers, checks every session against its model
 * (test/support/cpr-workload.ts), resumes the sessions and runs the workload with checkpoints
 * of every kind started and left running, then cuts power at a random moment — unsynced
 * writes are lost, the last one sometimes torn — and kills the "process" (ProcessStorage), so
 * the next cycle recovers from what survived: no checkpoint may ever be found damaged. 400
 * cycles per engine by default; `npm run test:crash` runs 5 x FASTERKV_CRASH_CYCLES (5,000).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FasterKV } from '../../src/store/faster-kv.js';
import { FaultStorage } from '../../src/storage/fault-storage.js';
import { availableEngines, type EngineName } from '../../src/native.js';
import type { Session } from '../../src/store/session.js';
import {
  CHECKPOINT_KINDS, CRASH_STORE, SESSIONS, SessionModel, issue, opFor, sessionId,
} from '../support/cpr-workload.js';
import { ProcessStorage } from '../support/process-storage.js';
import { seededPrng, type Prng } from '../support/prng.js';

const CYCLES = process.env.FASTERKV_CRASH_CYCLES === undefined ? 400
  : 5 * Number(process.env.FASTERKV_CRASH_CYCLES);

type Kv = FasterKV<Uint8Array, Uint8Array, number>;
type KvSession = Session<Uint8Array, Uint8Array, number>;

const recoveredKinds = new Set<string>();

/**
 * Recovers, checks each session against its model, and resumes (or creates) the sessions.
 * Reads take serial numbers too, so they go through a separate, closed-afterwards session.
 */
async function recoverAndCheck(storage: ProcessStorage, engine: EngineName,
  models: SessionModel[], life: number): Promise<{ kv: Kv; sessions: KvSession[] }> {
  const kv = await FasterKV.open<Uint8Array, Uint8Array, number>({
    storage, engine, ...CRASH_STORE,
  });
  const info = kv.recoveredFrom;
  expect(kv.recoveryReport.skipped).toEqual([]);
  if (info !== undefined) recoveredKinds.add(info.type);
  const reader = info?.sessions.reader === undefined ? kv.newSession('reader')
    : kv.resumeSession('reader');
  const sessions = models.map((model) => {
    const id = sessionId(model.s);
    const point = info?.sessions[id];
    model.advance(point ?? 0, info?.excludedSerials[id] ?? [], life - 1);
    const session = point === undefined ? kv.newSession(id) : kv.resumeSession(id);
    expect(session.recoveredSerial).toBe(model.point);
    expect(session.recoveredExcluded).toEqual(model.excluded);
    model.verify((key) => reader.read(key));
    return session;
  });
  reader.close();
  return { kv, sessions };
}

/** Runs the workload until a random moment; checkpoints start and are left running. */
async function runLife(kv: Kv, sessions: KvSession[], life: number, prng: Prng):
  Promise<void> {
  const ignore = (p: Promise<unknown>): void => {
    p.catch(() => undefined);
  };
  for (let step = prng.int(24); step >= 0; step--) {
    const s = prng.int(SESSIONS);
    const session = sessions[s]!;
    for (let k = prng.int(16); k >= 0; k--) {
      const n = session.serial + 1;
      issue(session, opFor(s, n, life), n, ignore);
    }
    const roll = prng.int(8);
    if (roll === 0) ignore(kv.checkpoint(CHECKPOINT_KINDS[prng.int(CHECKPOINT_KINDS.length)]));
    if (roll <= 2) await nextTurn();
    if (roll === 3) await kv.checkpoint(CHECKPOINT_KINDS[prng.int(CHECKPOINT_KINDS.length)]);
  }
}

describe.each(availableEngines())('CPR under power cuts (%s)', (engine) => {
  it(`gives every session back a prefix of its operations after each of ${CYCLES} cuts`,
    async () => {
      const prng = seededPrng();
      const disk = new FaultStorage({ label: 'power-cut' });
      const models = Array.from({ length: SESSIONS }, (_, s) => new SessionModel(s));
      let torn = 0;
      for (let life = 1; life <= CYCLES; life++) {
        const proc = new ProcessStorage(disk);
        const { kv, sessions } = await recoverAndCheck(proc, engine, models, life);
        await runLife(kv, sessions, life, prng);
        const report = disk.powerCut({ tear: prng.int(2) === 0, seed: prng.nextU32() });
        proc.kill();
        torn += Object.values(report.devices).filter((d) => d.torn !== undefined).length;
      }
      expect(models.every((m) => m.point > 0)).toBe(true);
      expect(models.some((m) => m.excluded.length > 0)).toBe(true);
      expect([...recoveredKinds].sort()).toEqual(['foldover', 'snapshot']);
      expect(torn).toBeGreaterThan(0);
    }, 600_000);
});
