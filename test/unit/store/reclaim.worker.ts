/**
 * Worker for worker-reclaim.test.ts: attaches to the store of `workerData.handle`, takes one
 * shared resource the way an operation would, posts 'holding', and blocks (still inside its
 * "operation": protected) until it is terminated. workerData: { handle, hold, key }.
 *  - 'lock': the exclusive lock of `key`'s record;   - 'read-lock': its shared lock;
 *  - 'turn': the page turn of the tail page, begun and never finished;
 *  - 'flush': the flush token of the tail page's frame;   - 'closer': the closer token;
 *  - 'hole': 64 bytes of log space, allocated and never written;
 *  - 'action': the read-only epoch action of a shift to the tail, claimed and half run (it
 *    raised SafeReadOnlyAddress and had not yet asked for the flush);
 *  - 'split': an index growth started, and the split of its (only) chunk claimed and half
 *    done (stopped at the first entry that needs its record).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FasterKV } from '../../../src/store/faster-kv.js';
import { DONE, internalRead, internalUpsert } from '../../../src/store/operations.js';
import { keyHash } from '../../../src/fallback/key-hash.js';
import { splitChunkOf } from '../../../src/index/index-split.js';
import {
  I_CLOSER, I_TURN_OWNER, I_TURN_PAGE, W_SAFE_READ_ONLY,
} from '../../../src/log/log-state.js';
import type { FasterKVHandle } from '../../../src/store/store-setup.js';

const { handle, hold, key } = workerData as { handle: FasterKVHandle; hold: string;
  key: string };
const kv = FasterKV.attach(handle);
const { ctx } = kv;
const state = ctx.log.state;
const token = ctx.epoch.owner;
// Operations called without a session act in the state word they read (no checkpoint runs).
ctx.cprWord = Atomics.load(ctx.cprWords, 0);

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
} else if (hold === 'action') {
  // Two pages past the read-only lag first, so the request the action loses covers whole
  // pages (a later shift into the same page would have asked for all of it anyway).
  for (let i = 0; i < 120; i++) {
    const k = Buffer.from(`w${i}`);
    while (internalUpsert(ctx, k, keyHash(k), Buffer.alloc(40), 0, true) !== DONE);
  }
  // This thread's handler of the read-only action (kind 1: the log's first) stops halfway.
  (ctx.epoch as unknown as { handlers: ((a: number) => void)[] }).handlers[1] = (address) => {
    state.casMax(W_SAFE_READ_ONLY, address);
    parentPort!.postMessage('holding');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  };
  ctx.log.shiftReadOnlyToTail();
  throw new Error('the read-only action did not run on this thread');
} else if (hold === 'split') {
  const index = ctx.index;
  if (!index.prepareGrow()) throw new Error('a growth is already under way');
  index.startGrow();
  const parts = index as unknown as { arena: never; allocForSplit: () => number };
  const stop = {
    hashAt(): number {
      parentPort!.postMessage('holding');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      return 0;
    },
    previousAddressAt: () => 0,
  };
  splitChunkOf(parts.arena, 0, stop, parts.allocForSplit, index.splitClaimer);
  throw new Error('the split did not meet an entry');
} else if (hold === 'flush') {
  state.loadTail();
  Atomics.store(state.slotBusy, state.tailPage % ctx.log.frameCount, token);
} else {
  Atomics.store(state.words, I_CLOSER, token);
}
parentPort!.postMessage('holding');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
