/**
 * The process the threaded CPR kill test kills: opens (recovers) the store, prints what it
 * recovered (`STATE <json>`, as cpr-child.ts), then spreads the sessions of the deterministic
 * workload over two worker threads attached to the store (cpr-threads.worker.ts: s0 and s1 on
 * one, s2 and s3 on the other). This thread takes checkpoints of every kind one after another,
 * and so does the second worker, until SIGKILL. Prints READY once both workers run their
 * sessions. Arguments: dir engine life seed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import type { EngineName } from '../../src/native.js';
import { FasterKV } from '../../src/store/faster-kv.js';
import { Prng } from '../../src/util/prng.js';
import {
  CHECKPOINT_KINDS, CRASH_STORE, SESSIONS, readValues, sessionId,
} from '../support/cpr-workload.js';
import { startTsWorker } from '../support/ts-worker.js';

const [dir, engine, lifeArg, seedArg] = process.argv.slice(3);
const life = Number(lifeArg);
const prng = new Prng(Number(seedArg));
const workerModule = new URL('./cpr-threads.worker.ts', import.meta.url);

const kv = await FasterKV.open<Uint8Array, Uint8Array, number>({
  dir: dir!, engine: engine as EngineName, ...CRASH_STORE,
});
const known = kv.recoveredFrom?.sessions ?? {};
const reader = 'reader' in known ? kv.resumeSession('reader') : kv.newSession('reader');
const state = Array.from({ length: SESSIONS }, (_, s) => ({
  point: known[sessionId(s)] ?? 0,
  excluded: kv.recoveredFrom?.excludedSerials[sessionId(s)] ?? [],
  values: readValues(s, (key) => reader.read(key)),
}));
reader.close();
process.stdout.write(`STATE ${JSON.stringify(state)}\n`);

const handle = kv.shareHandle();
const half = SESSIONS / 2;
const workers = [0, 1].map((w) => startTsWorker(workerModule, {
  handle, life, seed: prng.nextU32(), checkpoints: w === 1,
  sessions: Array.from({ length: half }, (_, i) => w * half + i),
}));

function readyOf(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited (${code})`)));
  });
}

await Promise.all(workers.map(readyOf));
for (const worker of workers) {
  worker.on('error', (err) => {
    process.stderr.write(`worker failed: ${String(err)}\n`);
    process.exit(1);
  });
}
process.stdout.write('READY\n');
for (let i = prng.int(CHECKPOINT_KINDS.length); ; i++) {
  await sleep(prng.int(4));
  await kv.checkpoint(CHECKPOINT_KINDS[i % CHECKPOINT_KINDS.length]);
}
