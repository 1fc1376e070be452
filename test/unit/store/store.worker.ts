/**
 * Worker for worker-threads.test.ts: attaches to the store of `workerData.handle` and runs one
 * task, then posts its result. workerData: { handle, task, worker, workers, count, seed, start }.
 *  - 'roundtrip': reads the owner's keys `o<i>` (i < count) sync and async (most live on the
 *    device), writes `t<i>` = `v<i>` (enough to reach the device), reads them back both ways,
 *    adds to counter `c`, deletes `t0`; posts what it read.
 *  - 'workload': waits at the start gate, runs its stream of thread-workload.ts, checking every
 *    read, then closes its store; posts { ops }.
 *  - 'forever': runs its workload stream over and over without checking, posting 'running'
 *    after the first pass, until it is terminated.
 *  - 'hold': posts 'attached', waits at the `start` gate until the test sets it, tries to attach
 *    a second time and posts the error code it got, then closes and posts 'closed'.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FasterKV } from '../../../src/store/faster-kv.js';
import { rmwFunctions } from '../../../src/store/rmw-functions.js';
import type { Session } from '../../../src/store/session.js';
import type { FasterKVHandle } from '../../../src/store/store-setup.js';
import { checkValue, opsOf, stretchCounter } from '../../support/thread-workload.js';

const { handle, task, worker, workers, count, seed, start } = workerData as {
  handle: FasterKVHandle; task: string; worker: number; workers: number; count: number;
  seed: number; start: SharedArrayBuffer | undefined;
};

const kv = FasterKV.attach<Uint8Array, Uint8Array, number>(handle, {
  rmw: task === 'roundtrip' ? rmwFunctions.counter : stretchCounter,
});
const text = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : Buffer.from(b).toString();

async function roundtrip(): Promise<unknown> {
  const s = kv.newSession(`roundtrip-${worker}`);
  const owners = [];
  for (let i = 0; i < count; i++) {
    const key = Buffer.from(`o${i}`);
    owners.push([text(s.read(key)), text(await s.readAsync(key))]);
  }
  for (let i = 0; i < count; i++) s.upsert(Buffer.from(`t${i}`), Buffer.from(`v${i}`));
  await s.upsertAsync(Buffer.from('t1'), Buffer.from('async'));
  const mine = [];
  for (let i = 0; i < count; i++) {
    const key = Buffer.from(`t${i}`);
    mine.push([text(s.read(key)), text(await s.readAsync(key))]);
  }
  s.rmw(Buffer.from('c'), 5);
  await s.rmwAsync(Buffer.from('c'), 7);
  s.delete(Buffer.from('t0'));
  await s.deleteAsync(Buffer.from('t2'));
  await s.completePending();
  const serial = s.serial;
  s.close();
  await kv.close();
  return { owners, mine, serial };
}

function waitAtGate(): void {
  if (start === undefined) return;
  const gate = new Int32Array(start);
  Atomics.add(gate, 0, 1);
  while (Atomics.load(gate, 0) < workers) Atomics.wait(gate, 0, Atomics.load(gate, 0), 5);
}

async function run(s: Session<Uint8Array, Uint8Array, number>, check: boolean): Promise<number> {
  const own = new Map<string, Uint8Array | undefined>();
  const pending: Promise<unknown>[] = [];
  let n = 0;
  for (const op of opsOf(seed, worker, count)) {
    const key = Buffer.from(op.key);
    const where = `worker ${worker} op ${n} ${op.kind} ${op.key}`;
    if (op.kind === 'upsert') {
      s.upsert(key, op.value!);
      own.set(op.key, op.value);
    } else if (op.kind === 'delete') {
      s.delete(key);
      own.set(op.key, undefined);
    } else if (op.kind === 'read') {
      const got = n % 2 === 0 ? s.read(key) : await s.readAsync(key);
      const want = own.get(op.key);
      if (check && Buffer.compare(Buffer.from(got ?? []), Buffer.from(want ?? [])) !== 0) {
        throw new Error(`${where}: read ${text(got)?.length} bytes, expected ${want?.length}`);
      }
    } else if (op.kind === 'rmw') {
      if (op.async) pending.push(s.rmwAsync(key, op.input));
      else s.rmw(key, op.input);
    } else if (op.kind === 'upsertShared') {
      s.upsert(key, op.value!);
    } else {
      const got = n % 2 === 0 ? s.read(key) : await s.readAsync(key);
      if (got !== undefined) checkValue(got, where);
    }
    if (++n % 256 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(pending);
  return n;
}

async function workload(): Promise<unknown> {
  waitAtGate();
  const s = kv.newSession(`w${worker}`);
  const ops = await run(s, true);
  s.close();
  await kv.close();
  return { ops };
}

async function forever(): Promise<never> {
  const s = kv.newSession(`w${worker}`);
  for (let pass = 0; ; pass++) {
    await run(s, false);
    if (pass === 0) parentPort!.postMessage('running');
  }
}

async function hold(): Promise<unknown> {
  parentPort!.postMessage('attached');
  const gate = new Int32Array(start!);
  while (Atomics.load(gate, 0) === 0) Atomics.wait(gate, 0, 0, 20);
  try {
    FasterKV.attach(handle);
    parentPort!.postMessage('attached again');
  } catch (err) {
    parentPort!.postMessage((err as { code?: string }).code);
  }
  await kv.close();
  return 'closed';
}

const tasks: Record<string, () => Promise<unknown>> = { roundtrip, workload, forever, hold };
parentPort!.postMessage(await tasks[task]!());
