/**
 * Index resize (FASTER's grow, digest §3.4): the main table doubles online, and the old table
 * is split into the new one chunk by chunk. Split work needs the store's records, so it runs
 * in TypeScript for both engines; the index calls only report NEEDS_SPLIT.
 *
 * Phases (RESIZE_STATE in the shared header, so any thread of any engine can take part):
 *   REST(v) --prepareGrow--> PREPARE_GROW(v) --startGrow--> IN_PROGRESS_GROW(1-v) --> REST(1-v)
 *  - prepareGrow allocates table version 1-v with twice the buckets and the chunk-status array
 *    (one int32 per chunk of up to 2^14 old buckets); operations still use table v.
 *  - startGrow flips to IN_PROGRESS_GROW(1-v). REQUIRES: no operation holds a slot of table v
 *    (the store calls it from an epoch-bump action after every thread saw PREPARE_GROW).
 *  - An operation on an unsplit chunk gets NEEDS_SPLIT; the façade splits that chunk (claim by
 *    CAS UNSPLIT -> SPLITTING by the claimer's id, split, store SPLIT) or waits for the thread
 *    splitting it. The thread that splits the last chunk moves the phase to REST(1-v).
 *  - A claimer that dies mid-split (a terminated worker) is found by its id: `reclaimSplits`
 *    zeroes the new buckets of its chunks and makes them UNSPLIT again, and they are split
 *    anew (the overflow buckets it had taken are not reused).
 *
 * Splitting one old entry (tag t, address a) whose records are split between new buckets
 * `b` (hash bit n clear) and `b + 2^n` (set), n = log2(old buckets):
 *  - record at a not in memory: (t, a) goes to both halves (disk lookups compare keys anyway);
 *  - else (t, a) goes to the half of hash(a), and the chain is walked back for the first record
 *    of the other half (FASTER's TraceBackForOtherChainStart); that record, or the first one
 *    found on disk, becomes the other half's entry. A chain that ends first leaves the other
 *    half without an entry.
 * The new buckets of a chunk are written only by the thread that claimed the chunk, and are
 * published by the SPLIT status store; old buckets are only read.
 */
import { assert } from '../errors.js';
import {
  FIRST_VALID_ADDRESS, KEY_SLOTS, OVERFLOW_SLOT, entryAddress,
} from './hash-bucket.js';
import {
  CHUNK_SPLIT, CHUNK_SPLITTING, CHUNK_UNSPLIT, H_RESIZE_STATE, H_SPLIT_CHUNKS_LEFT,
  H_SPLIT_CHUNK_LOG2, H_SPLIT_STATUS_FIRST, H_TABLE0_FIRST, H_TABLE0_LOG2,
  PHASE_IN_PROGRESS_GROW, PHASE_REST, resizePhase, resizeState, resizeVersion,
} from './index-header.js';
import { BUCKET_WORDS32, IndexMemory, loaded } from './index-memory.js';

/** What splitting needs from the store: its records, by logical address. */
export interface RecordLookup {
  /** The key hash of the record at `address`, or undefined when it is not in memory. */
  hashAt(address: number): number | undefined;
  /** The record's PreviousAddress. REQUIRES: hashAt(address) !== undefined. */
  previousAddressAt(address: number): number;
}

/** Allocates a zeroed overflow bucket, growing the arena if needed (never fails). */
export type BucketAllocator = () => number;

/** Describes the resize in progress; all fields read from the shared header. */
interface SplitPlan {
  oldFirst: number;
  oldLog2: number;
  newFirst: number;
  chunkLog2: number;
  statusWord: number;
  newVersion: number;
}

function readPlan(m: IndexMemory): SplitPlan | undefined {
  const w = m.w32;
  const state = Atomics.load(w, H_RESIZE_STATE);
  if (resizePhase(state) !== PHASE_IN_PROGRESS_GROW) return undefined;
  const v = resizeVersion(state);
  return {
    oldFirst: w[H_TABLE0_FIRST + 2 * (v ^ 1)]!,
    oldLog2: w[H_TABLE0_LOG2 + 2 * (v ^ 1)]!,
    newFirst: w[H_TABLE0_FIRST + 2 * v]!,
    chunkLog2: w[H_SPLIT_CHUNK_LOG2]!,
    statusWord: w[H_SPLIT_STATUS_FIRST]! * BUCKET_WORDS32,
    newVersion: v,
  };
}

/**
 * Makes sure the chunk holding `hash`'s old bucket is split: splits it, or waits for the
 * thread that is splitting it. Returns at once if no resize is in progress.
 */
export function splitChunkOf(
  m: IndexMemory, hash: number, lookup: RecordLookup, alloc: BucketAllocator, claimer: number,
): void {
  const plan = readPlan(m);
  if (plan === undefined) return;
  const chunk = ((hash >>> 0) & ((1 << plan.oldLog2) - 1)) >>> plan.chunkLog2;
  if (!claimAndSplit(m, plan, chunk, lookup, alloc, claimer)) {
    waitForChunk(m, plan, chunk, lookup, alloc, claimer);
  }
}

/** Splits up to `maxChunks` unclaimed chunks; returns how many this call split. */
export function helpSplit(
  m: IndexMemory, maxChunks: number, lookup: RecordLookup, alloc: BucketAllocator,
  claimer: number,
): number {
  const plan = readPlan(m);
  if (plan === undefined) return 0;
  const chunks = 2 ** (plan.oldLog2 - plan.chunkLog2);
  let done = 0;
  for (let c = 0; c < chunks && done < maxChunks; c++) {
    if (claimAndSplit(m, plan, c, lookup, alloc, claimer)) done++;
  }
  return done;
}

/**
 * Gives back the chunks that `claimer` (a thread that died) was splitting: their new buckets
 * are zeroed and they are UNSPLIT again. Returns how many. REQUIRES: `claimer` never runs again.
 */
export function reclaimSplits(m: IndexMemory, claimer: number): number {
  const plan = readPlan(m);
  if (plan === undefined) return 0;
  const chunks = 2 ** (plan.oldLog2 - plan.chunkLog2);
  const oldBuckets = 2 ** plan.oldLog2;
  let reclaimed = 0;
  for (let c = 0; c < chunks; c++) {
    const word = plan.statusWord + c;
    assert(m.covers(word >>> 4), 'index arena: split status beyond COMMITTED');
    if (Atomics.load(m.w32, word) !== splittingBy(claimer)) continue;
    const from = c << plan.chunkLog2;
    const to = Math.min(oldBuckets, from + 2 ** plan.chunkLog2);
    for (let b = from; b < to; b++) {
      zeroBucket(m, plan.newFirst + b);
      zeroBucket(m, plan.newFirst + b + oldBuckets);
    }
    Atomics.store(m.w32, word, CHUNK_UNSPLIT);
    Atomics.notify(m.w32, word);
    reclaimed++;
  }
  return reclaimed;
}

/** The status of a chunk being split by `claimer` (a positive thread id). */
function splittingBy(claimer: number): number {
  return CHUNK_SPLITTING + claimer;
}

function zeroBucket(m: IndexMemory, bucket: number): void {
  assert(m.covers(bucket), 'index arena: new table beyond COMMITTED');
  const base = bucket * BUCKET_WORDS32;
  for (let i = 0; i < BUCKET_WORDS32; i++) Atomics.store(m.w32, base + i, 0);
}

function claimAndSplit(
  m: IndexMemory, plan: SplitPlan, chunk: number, lookup: RecordLookup, alloc: BucketAllocator,
  claimer: number,
): boolean {
  const word = plan.statusWord + chunk;
  assert(m.covers(word >>> 4), 'index arena: split status beyond COMMITTED');
  if (Atomics.compareExchange(m.w32, word, CHUNK_UNSPLIT, splittingBy(claimer)) !==
    CHUNK_UNSPLIT) {
    return false;
  }
  const oldBuckets = 2 ** plan.oldLog2;
  const from = chunk << plan.chunkLog2;
  const to = Math.min(oldBuckets, from + 2 ** plan.chunkLog2);
  for (let b = from; b < to; b++) {
    splitBucket(m, plan, b, lookup, alloc);
  }
  Atomics.store(m.w32, word, CHUNK_SPLIT);
  Atomics.notify(m.w32, word);
  if (Atomics.sub(m.w32, H_SPLIT_CHUNKS_LEFT, 1) === 1) {
    Atomics.store(m.w32, H_RESIZE_STATE, resizeState(PHASE_REST, plan.newVersion));
  }
  return true;
}

/** Waits for another thread's split of `chunk`; splits it here if that thread was reclaimed. */
function waitForChunk(m: IndexMemory, plan: SplitPlan, chunk: number, lookup: RecordLookup,
  alloc: BucketAllocator, claimer: number): void {
  const word = plan.statusWord + chunk;
  for (;;) {
    const status = Atomics.load(m.w32, word);
    if (status === CHUNK_SPLIT) return;
    if (status === CHUNK_UNSPLIT) {
      if (claimAndSplit(m, plan, chunk, lookup, alloc, claimer)) return;
      continue;
    }
    Atomics.wait(m.w32, word, status, 1);
  }
}

/** Moves every entry of old bucket `oldBucket`'s chain into new buckets b and b + 2^n. */
function splitBucket(
  m: IndexMemory, plan: SplitPlan, oldBucket: number, lookup: RecordLookup,
  alloc: BucketAllocator,
): void {
  const oldBuckets = 2 ** plan.oldLog2;
  const left = plan.newFirst + oldBucket;
  const right = left + oldBuckets;
  let b = plan.oldFirst + oldBucket;
  while (b !== 0) {
    assert(m.covers(b), 'index arena: overflow pointer beyond COMMITTED');
    for (let i = 0; i < KEY_SLOTS; i++) {
      m.load64(b * 8 + i);
      const { lo, hi } = loaded;
      if (hi < 0) continue;
      const address = entryAddress(lo, hi);
      if (address < FIRST_VALID_ADDRESS) continue;
      const tagHi = hi & ~0xffff;
      const hash = lookup.hashAt(address);
      if (hash === undefined) {
        appendEntry(m, left, address, tagHi, alloc);
        appendEntry(m, right, address, tagHi, alloc);
        continue;
      }
      const toRight = ((hash >>> 0) & oldBuckets) !== 0;
      appendEntry(m, toRight ? right : left, address, tagHi, alloc);
      const other = otherChainStart(lookup, address, toRight, oldBuckets);
      if (other >= FIRST_VALID_ADDRESS) {
        appendEntry(m, toRight ? left : right, other, tagHi, alloc);
      }
    }
    m.load64(b * 8 + OVERFLOW_SLOT);
    b = loaded.lo;
  }
}

/**
 * Walks back from the record at `address` (which is in memory and belongs to the half
 * `toRight`) to the first record of the other half, or the first record not in memory.
 * Returns its address, or an address below FIRST_VALID_ADDRESS when the chain ends first.
 */
function otherChainStart(
  lookup: RecordLookup, address: number, toRight: boolean, oldBuckets: number,
): number {
  let at = lookup.previousAddressAt(address);
  while (at >= FIRST_VALID_ADDRESS) {
    const hash = lookup.hashAt(at);
    if (hash === undefined || (((hash >>> 0) & oldBuckets) !== 0) !== toRight) return at;
    at = lookup.previousAddressAt(at);
  }
  return at;
}

/** Puts (tag, address) into the first empty slot of new bucket `first`'s chain. */
function appendEntry(
  m: IndexMemory, first: number, address: number, tagHi: number, alloc: BucketAllocator,
): void {
  let b = first;
  for (;;) {
    assert(m.covers(b), 'index arena: new table beyond COMMITTED');
    const w = m.w32;
    const base = b * BUCKET_WORDS32;
    for (let i = 0; i < KEY_SLOTS; i++) {
      if ((w[base + 2 * i]! | w[base + 2 * i + 1]!) === 0) {
        m.store64(b * 8 + i, address >>> 0, tagHi | (Math.floor(address / 4294967296) & 0xffff));
        return;
      }
    }
    const next = w[base + 2 * OVERFLOW_SLOT]!;
    if (next !== 0) {
      b = next;
      continue;
    }
    const bucket = alloc();
    m.store64(b * 8 + OVERFLOW_SLOT, bucket, w[base + 2 * OVERFLOW_SLOT + 1]!);
    b = bucket;
  }
}
