/**
 * Growing the hash index from the store (digest §3.4). The index implements the resize
 * (hash-index.ts, index-split.ts); this module decides when, and drives its phases through the
 * store's epoch:
 *
 *  - When: on page turns. After a slow allocation (a page turn, or a wait for a frame)
 *    appendRecord calls `ctx.maintenance()` at that thread's next append, before allocating —
 *    page-level, never per operation, and at the one point where an operation already expects
 *    the index to have moved: it finds its slot again after allocating. The check commits index memory ahead of need (`maintain`) and grows the index when
 *    the overflow buckets added since the last growth reach half the main table.
 *  - Why "since the last growth": a split cannot tell which half an entry belongs to when its
 *    record is on the device (that would take a device read per entry, inside an operation),
 *    so such an entry goes to both halves (FASTER does the same). A store whose records are
 *    mostly on the device therefore keeps its overflow buckets through a doubling; measured
 *    from the baseline left by the split, growth follows the tags inserted since, and the
 *    index stays proportional to the number of keys instead of doubling again at once.
 *  - How: REST -> PREPARE_GROW (prepareGrow allocates the doubled table), then an epoch bump
 *    whose action — run once every thread has moved past the epoch in which PREPARE_GROW
 *    became visible — calls startGrow and splits every chunk at once. Operations that meet
 *    PREPARE_GROW wait in the index (`whilePreparing`, refreshing their epoch) rather than
 *    take a slot of the old table, so when the action runs no thread holds one: slots taken
 *    before the bump belong to operations protected in an older epoch, which the action
 *    waits for.
 *  - Splitting everything in the action keeps IN_PROGRESS_GROW from outliving it, so an index
 *    checkpoint (which dumps the active table) never sees half-split chunks. The cost is one
 *    pause per doubling, proportional to the table (amortized over the records that filled it).
 *
 * Epoch action kinds in use by a store: 1-3 HybridLog, 8 CPR, 9 index growth.
 * Thread rules: every thread attached to the store installs the same action handler.
 */
import type { HashIndex } from '../index/hash-index.js';
import type { StoreContext } from './store-context.js';

export const INDEX_GROW_ACTION_KIND = 9;

/** Shared words: [0] overflow buckets right after the last growth's split. */
const W_BASELINE = 0;

/**
 * Wires index growth into `ctx`: the page-turn check, the epoch action, the PREPARE wait.
 * `shared` holds the growth baseline (a fresh one unless another thread's is given).
 */
export function installIndexGrowth(ctx: StoreContext,
  shared = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)): SharedArrayBuffer {
  const { index, epoch } = ctx;
  const words = new Int32Array(shared);
  epoch.registerAction(INDEX_GROW_ACTION_KIND, () => finishGrow(index, words));
  index.whilePreparing = () => epoch.progress();
  ctx.maintenance = () => maybeGrow(ctx, words);
  return shared;
}

/** The page-turn check. REQUIRES: no index slot held across the call. */
function maybeGrow(ctx: StoreContext, words: Int32Array): void {
  const index = ctx.index;
  index.maintain();
  if (index.phase !== 'REST') return;
  const added = index.overflowBuckets - Atomics.load(words, W_BASELINE);
  if (added * 2 < index.tableBuckets || !index.prepareGrow()) return;
  ctx.epoch.bumpCurrentEpoch(INDEX_GROW_ACTION_KIND, 0, 0);
}

/**
 * The epoch action: every thread has seen PREPARE_GROW. Runs protected (a drain). Run again
 * when the thread running it died (drain-list.ts), it finishes the split that thread began.
 */
function finishGrow(index: HashIndex, words: Int32Array): void {
  if (index.phase === 'REST') return;
  if (index.phase === 'PREPARE_GROW') index.startGrow();
  splitAll(index);
  Atomics.store(words, W_BASELINE, index.overflowBuckets);
}

/** Splits until the resize is over (another thread may be finishing chunks it claimed). */
function splitAll(index: HashIndex): void {
  while (index.phase === 'IN_PROGRESS_GROW') index.helpSplit(Number.MAX_SAFE_INTEGER);
}
