/**
 * Worker of cpr-threads-child.ts: attaches to the store, resumes its sessions of the
 * deterministic workload (or creates them in the first life), posts 'ready', then runs them
 * until the process is killed; with `checkpoints` it also takes checkpoints of every kind.
 * workerData: { handle, life, seed, checkpoints, sessions: number[] }.
 */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { FasterKV } from '../../src/store/faster-kv.js';
import type { Session } from '../../src/store/session.js';
import type { FasterKVHandle } from '../../src/store/store-setup.js';
import { Prng } from '../../src/util/prng.js';
import {
  CHECKPOINT_KINDS, CRASH_STORE, issue, opFor, sessionId,
} from '../support/cpr-workload.js';

const { handle, life, seed, checkpoints, sessions: ids } = workerData as {
  handle: FasterKVHandle; life: number; seed: number; checkpoints: boolean; sessions: number[];
};
const prng = new Prng(seed);
const kv = FasterKV.attach<Uint8Array, Uint8Array, number>(handle, { rmw: CRASH_STORE.rmw });

function open(s: number): Session<Uint8Array, Uint8Array, number> {
  try {
    return kv.resumeSession(sessionId(s));
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_UNKNOWN_SESSION') throw err;
    return kv.newSession(sessionId(s));
  }
}

const sessions = ids.map((s) => ({ s, session: open(s) }));
const failures: unknown[] = [];
const track = (p: Promise<unknown>): void => {
  p.catch((err: unknown) => failures.push(err));
};

async function checkpointLoop(): Promise<never> {
  for (let i = prng.int(CHECKPOINT_KINDS.length); ; i++) {
    await sleep(1 + prng.int(6));
    await kv.checkpoint(CHECKPOINT_KINDS[i % CHECKPOINT_KINDS.length]);
  }
}

async function operations(): Promise<never> {
  for (let batch = 1; ; batch++) {
    for (const { s, session } of sessions) {
      for (let k = prng.int(12); k >= 0; k--) {
        const n = session.serial + 1;
        issue(session, opFor(s, n, life), n, track);
      }
    }
    if (failures.length > 0) throw failures[0];
    if (batch % 64 === 0) await Promise.all(sessions.map((x) => x.session.completePending()));
    else await nextTurn();
  }
}

parentPort!.postMessage('ready');
await Promise.all(checkpoints ? [checkpointLoop(), operations()] : [operations()]);
