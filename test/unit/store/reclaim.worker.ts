/**
 * Worker for worker-reclaim.test.ts: attaches to the store of `workerData.handle`, takes one
 * shared resource the way an operation would, posts 'holding', and blocks (still inside its
 * "operation": protected) until it is terminated. workerData: { handle, hold, key }.
 *  - 'lock': the exclusive lock of `key`'s record;   - 'read-lock': its shared lock;
 *  - 'turn': the page turn of the tail page, begun and never finished;
 *  - 'flush': the flush token of the tail page's frame;   - 'closer': the closer token;
 *  - 'hole': 64 bytes of log space, allocated and never written.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FasterKV } from '../../../src/store/faster-kv.js';
import { internalRead } from '../../../src/store/operations.js';
import { keyHash } from '../../../src/fallback/key-hash.js';
import { I_CLOSER, I_TURN_OWNER, I_TURN_PAGE } from '../../../src/log/log-state.js';
import type { FasterKVHandle } from '../../../src/store/store-setup.js';

const { handle, hold, key } = workerData as { handle: FasterKVHandle; hold: string;
  key: string };
const kv = FasterKV.attach(handle);
const { ctx } = kv;
const state = ctx.log.state;
const token = ctx.epoch.owner;

ctx.epoch.protect();
if (hold === 'lock' || hold === 'read-lock') {
  const k = Buffer.from(key);
  internalRead(ctx, k, keyHash(k));
  if (ctx.sharedLocked >= 0) ctx.locks!.unlockShared(ctx.sharedLocked);
  const off = ctx.foundOffset;
  if (hold === 'lock') ctx.locks!.lockExclusive(off);
  else ctx.locks!.lockShared(off);
} else if (hold === 'turn') {
  state.loadTail();
  state.addTail(BigInt(ctx.log.pageBytes), ctx.log.pageBytes, ctx.epoch.entry);
  Atomics.store(state.words, I_TURN_PAGE, state.tailPage);
  Atomics.store(state.words, I_TURN_OWNER, token);
} else if (hold === 'hole') {
  if (ctx.log.tryAllocate(64) <= 0) throw new Error('the tail page had no room');
} else if (hold === 'flush') {
  state.loadTail();
  Atomics.store(state.slotBusy, state.tailPage % ctx.log.frameCount, token);
} else {
  Atomics.store(state.words, I_CLOSER, token);
}
parentPort!.postMessage('holding');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
