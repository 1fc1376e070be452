/**
 * The process the CPR kill test kills: opens (recovers) the store, resumes its sessions — or
 * creates them in the first life — prints what it recovered (`STATE <json>`: each session's
 * CPR point, excluded serials and the values of its keys, read through a separate session,
 * since reads take serial numbers) for the test to check, then runs the deterministic workload
 * on all of them while checkpoints of every kind run one after another, until SIGKILL. Prints
 * READY once the sessions run. Arguments: dir engine life seed.
 */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { FasterKV } from '../../src/store/faster-kv.js';
import type { EngineName } from '../../src/native.js';
import { Prng } from '../../src/util/prng.js';
import {
  CHECKPOINT_KINDS, CRASH_STORE, SESSIONS, issue, opFor, readValues, sessionId,
} from '../support/cpr-workload.js';

const [dir, engine, lifeArg, seedArg] = process.argv.slice(3);
const life = Number(lifeArg);
const prng = new Prng(Number(seedArg));

const kv = await FasterKV.open<Uint8Array, Uint8Array, number>({
  dir: dir!, engine: engine as EngineName, ...CRASH_STORE,
});
const known = kv.recoveredFrom?.sessions ?? {};
const sessions = Array.from({ length: SESSIONS }, (_, s) => (sessionId(s) in known
  ? kv.resumeSession(sessionId(s)) : kv.newSession(sessionId(s))));
const reader = 'reader' in known ? kv.resumeSession('reader') : kv.newSession('reader');
const state = sessions.map((session, s) => ({
  point: session.recoveredSerial, excluded: session.recoveredExcluded,
  values: readValues(s, (key) => reader.read(key)),
}));
reader.close();
process.stdout.write(`STATE ${JSON.stringify(state)}\n`);
const failures: unknown[] = [];
const track = (p: Promise<unknown>): void => {
  p.catch((err: unknown) => failures.push(err));
};

async function checkpoints(): Promise<never> {
  for (let i = prng.int(CHECKPOINT_KINDS.length); ; i++) {
    await sleep(prng.int(4));
    await kv.checkpoint(CHECKPOINT_KINDS[i % CHECKPOINT_KINDS.length]);
  }
}

async function operations(): Promise<never> {
  for (let batch = 1; ; batch++) {
    for (const [s, session] of sessions.entries()) {
      for (let k = prng.int(12); k >= 0; k--) {
        const n = session.serial + 1;
        issue(session, opFor(s, n, life), n, track);
      }
    }
    if (failures.length > 0) throw failures[0];
    if (batch % 64 === 0) await Promise.all(sessions.map((s) => s.completePending()));
    else await nextTurn();
  }
}

process.stdout.write('READY\n');
await Promise.all([checkpoints(), operations()]);
