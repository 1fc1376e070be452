/**
 * The hash index operations of the pure-TypeScript engine: the twin of
 * native/core/hash_index.cc, operating on the same shared arena (src/index/index-header.ts)
 * with the same protocol, so the two engines can work on one index at the same time.
 *
 * Protocol (FASTER's FindTag / FindOrCreateTag, digest §3.3):
 *  - findTag scans the chain of the hash's bucket for a non-tentative entry with its tag;
 *  - findOrCreateTag scans the same way, reclaiming entries whose address is below
 *    beginAddress (never TEMP_INVALID_ADDRESS) and remembering the first empty slot; with none
 *    free it appends an overflow bucket by CAS on the last bucket's overflow word; then it
 *    claims the slot with a TENTATIVE entry, re-scans for any other entry with the same tag
 *    (tentative or not), and either backs off (clears its slot, starts over) or publishes the
 *    entry as (tag, TEMP_INVALID_ADDRESS). Concurrent creators of one tag so end with exactly
 *    one slot.
 *
 * Memory model: scans read entries with plain, aligned 32-bit reads. These are tear-free in
 * the JavaScript memory model, and the tag and tentative bit share one 32-bit half, so a scan
 * never sees a torn tag. Every decision that matters is taken by a 64-bit CAS on the exact
 * word read, and the re-scan after a claim uses Atomics loads, so it is ordered after the
 * claim (the two creators of a tag cannot both miss each other). Atomics calls cost ~20 ns
 * each on Node 20, which is why the found-path uses plain reads.
 *
 * Thread rules: any thread, any number at once. During an index resize (IN_PROGRESS_GROW) an
 * operation whose chunk is not split yet returns NEEDS_SPLIT; the façade splits and retries.
 * No call allocates.
 */
import { FasterError, invalidArgument } from '../errors.js';
import * as bucketLayout from '../index/hash-bucket.js';
import {
  HI_TENTATIVE, KEY_SLOTS, OVERFLOW_SLOT, TAG_MASK, TEMP_INVALID_ADDRESS, entryAddress, hashTag,
} from '../index/hash-bucket.js';
import * as arenaLayout from '../index/index-header.js';
import {
  CHUNK_SPLIT, CORRUPT, H_LAYOUT_VERSION, H_MAGIC, H_RESIZE_STATE, H_SPLIT_CHUNK_LOG2,
  H_SPLIT_STATUS_FIRST, H_TABLE0_FIRST, H_TABLE0_LOG2, INDEX_MAGIC, LAYOUT_VERSION, NEEDS_SPLIT,
  NOT_FOUND, PHASE_IN_PROGRESS_GROW,
} from '../index/index-header.js';
import { BUCKET_WORDS32, IndexMemory, loaded } from '../index/index-memory.js';

const TWO_POW_32 = 4294967296;
/** Internal: the scan lost a race that changed the chain; scan again. */
const RETRY = -100;

const attached: (IndexMemory | undefined)[] = [];

/** Results of `scanForCreate`, kept at module level so the scan allocates nothing. */
let freeSlot = -1;
let lastBucket = 0;

export function indexAttach(memory: Uint8Array): number {
  const buffer = checkArena(memory);
  const free = attached.indexOf(undefined);
  const handle = free >= 0 ? free : attached.length;
  attached[handle] = new IndexMemory(buffer);
  return handle;
}

/** The SharedArrayBuffer of `memory` when it is a whole index arena of this layout. */
export function checkArena(memory: Uint8Array): SharedArrayBuffer {
  const buffer = memory.buffer;
  if (!(buffer instanceof SharedArrayBuffer) || memory.byteOffset !== 0) {
    throw invalidArgument('memory', 'a Uint8Array over a whole index SharedArrayBuffer', memory);
  }
  const header = new Int32Array(buffer, 0, 2);
  if (header[H_MAGIC] !== INDEX_MAGIC) {
    throw invalidArgument('memory', 'an index arena (magic FKVX)', memory);
  }
  if (header[H_LAYOUT_VERSION] !== LAYOUT_VERSION) {
    throw new FasterError('ERR_FORMAT_VERSION',
      `index arena layout version ${header[H_LAYOUT_VERSION]}; this build reads ${LAYOUT_VERSION}`);
  }
  return buffer;
}

export function indexDetach(handle: number): void {
  memoryOf(handle);
  attached[handle] = undefined;
}

export function indexFindTag(handle: number, hash: number): number {
  const m = memoryOf(handle);
  let b = firstBucket(m, hash >>> 0);
  if (b < 0) return b;
  const tag = hashTag(hash);
  let w = m.w32;
  for (;;) {
    if (b >= m.committed) {
      if (!m.covers(b)) return CORRUPT;
      w = m.w32;
    }
    const base = b * BUCKET_WORDS32;
    for (let i = 0; i < KEY_SLOTS; i++) {
      const hi = w[base + 2 * i + 1]!;
      if (hi >>> 16 === tag && (hi !== 0 || w[base + 2 * i]! !== 0)) return b * 8 + i;
    }
    b = w[base + 2 * OVERFLOW_SLOT]!;
    if (b === 0) return NOT_FOUND;
  }
}

export function indexFindOrCreateTag(handle: number, hash: number, beginAddress: number): number {
  return findOrCreateTagIn(memoryOf(handle), hash, beginAddress);
}

/** indexFindOrCreateTag on the arena `m` (for callers that hold the memory, not a handle). */
export function findOrCreateTagIn(m: IndexMemory, hash: number, beginAddress: number): number {
  const first = firstBucket(m, hash >>> 0);
  if (first < 0) return first;
  const tag = hashTag(hash);
  for (;;) {
    const found = scanForCreate(m, first, tag, beginAddress);
    if (found !== NOT_FOUND) return found;
    let slot = freeSlot;
    if (slot < 0) {
      slot = appendOverflow(m, lastBucket);
      if (slot === RETRY) continue;
      if (slot < 0) return slot;
    }
    if (!m.cas64(slot, 0, 0, TEMP_INVALID_ADDRESS, (tag << 16) | HI_TENTATIVE)) continue;
    if (otherSlotHasTag(m, first, tag, slot)) {
      m.store64(slot, 0, 0);
      continue;
    }
    m.store64(slot, TEMP_INVALID_ADDRESS, tag << 16);
    return slot;
  }
}

export function indexReadEntry(handle: number, slot: number): number {
  return slotMemory(handle, slot).loadEntryAddress(slot);
}

export function indexCasEntryAddress(
  handle: number, slot: number, expectedAddress: number, newAddress: number,
): boolean {
  return casEntryAddressIn(slotMemory(handle, slot), slot, expectedAddress, newAddress);
}

/** indexCasEntryAddress on the arena `m`. REQUIRES: `slot` lies in it. */
export function casEntryAddressIn(
  m: IndexMemory, slot: number, expectedAddress: number, newAddress: number,
): boolean {
  m.load64(slot);
  const { lo, hi } = loaded;
  if (hi < 0 || (hi | lo) === 0 || entryAddress(lo, hi) !== expectedAddress) return false;
  const newHi = (hi & ~0xffff) | (Math.floor(newAddress / TWO_POW_32) & 0xffff);
  return m.casLoaded(slot, newAddress | 0, newHi);
}

export function indexClearIfAddress(handle: number, slot: number, address: number): boolean {
  return clearIfAddressIn(slotMemory(handle, slot), slot, address);
}

/** indexClearIfAddress on the arena `m`. REQUIRES: `slot` lies in it. */
export function clearIfAddressIn(m: IndexMemory, slot: number, address: number): boolean {
  m.load64(slot);
  const { lo, hi } = loaded;
  if (hi < 0 || (hi | lo) === 0 || entryAddress(lo, hi) !== address) return false;
  return m.casLoaded(slot, 0, 0);
}

/** Every numeric layout constant of the TypeScript side, by name. */
export function indexLayout(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries({ ...bucketLayout, ...arenaLayout })) {
    if (typeof value === 'number') out[name] = value;
  }
  return out;
}

function memoryOf(handle: number): IndexMemory {
  const m = attached[handle];
  if (m === undefined) throw invalidArgument('handle', 'an attached index handle', handle);
  return m;
}

function slotMemory(handle: number, slot: number): IndexMemory {
  const m = memoryOf(handle);
  if (!(slot >= 0 && m.covers(Math.floor(slot / 8)))) {
    throw invalidArgument('slot', 'a slot of this index', slot);
  }
  return m;
}

/** The first bucket of `lo`'s chain in the active table, or NEEDS_SPLIT / CORRUPT. */
function firstBucket(m: IndexMemory, lo: number): number {
  const w = m.w32;
  const state = w[H_RESIZE_STATE]!;
  const version = state & 1;
  const mask = (1 << w[H_TABLE0_LOG2 + 2 * version]!) - 1;
  const bucket = w[H_TABLE0_FIRST + 2 * version]! + (lo & mask);
  if (state >>> 8 === PHASE_IN_PROGRESS_GROW) {
    const oldMask = (1 << w[H_TABLE0_LOG2 + 2 * (version ^ 1)]!) - 1;
    const chunk = (lo & oldMask) >>> w[H_SPLIT_CHUNK_LOG2]!;
    const word = w[H_SPLIT_STATUS_FIRST]! * BUCKET_WORDS32 + chunk;
    if (!m.covers(word >>> 4)) return CORRUPT;
    if (Atomics.load(m.w32, word) !== CHUNK_SPLIT) return NEEDS_SPLIT;
  }
  return bucket;
}

/**
 * One pass over the chain for findOrCreateTag: returns the slot holding `tag`, NOT_FOUND or
 * CORRUPT; leaves the first empty (or reclaimed) slot in `freeSlot` (-1 if none) and the
 * chain's last bucket in `lastBucket`.
 */
function scanForCreate(m: IndexMemory, first: number, tag: number, beginAddress: number): number {
  freeSlot = -1;
  let b = first;
  let w = m.w32;
  for (;;) {
    if (b >= m.committed) {
      if (!m.covers(b)) return CORRUPT;
      w = m.w32;
    }
    const base = b * BUCKET_WORDS32;
    for (let i = 0; i < KEY_SLOTS; i++) {
      const lo = w[base + 2 * i]!;
      const hi = w[base + 2 * i + 1]!;
      if ((hi | lo) === 0) {
        if (freeSlot < 0) freeSlot = b * 8 + i;
      } else if (hi >= 0) {
        const address = (lo >>> 0) + (hi & 0xffff) * TWO_POW_32;
        if (address < beginAddress && address !== TEMP_INVALID_ADDRESS) {
          if (m.cas64(b * 8 + i, lo, hi, 0, 0) && freeSlot < 0) freeSlot = b * 8 + i;
        } else if (hi >>> 16 === tag) {
          return b * 8 + i;
        }
      }
    }
    lastBucket = b;
    b = w[base + 2 * OVERFLOW_SLOT]!;
    if (b === 0) return NOT_FOUND;
  }
}

/** Links a new overflow bucket after `last`; returns its first slot, RETRY or NEEDS_MEMORY. */
function appendOverflow(m: IndexMemory, last: number): number {
  const word = last * 8 + OVERFLOW_SLOT;
  m.load64(word);
  const { lo, hi } = loaded;
  if (lo !== 0) return RETRY;
  const bucket = m.allocBucket();
  if (bucket < 0) return bucket;
  if (m.cas64(word, 0, hi, bucket, hi)) return bucket * 8;
  m.freeBucket(bucket);
  return RETRY;
}

/** Whether a slot of the chain other than `mine` holds `tag`, tentative or not. */
function otherSlotHasTag(m: IndexMemory, first: number, tag: number, mine: number): boolean {
  let b = first;
  for (;;) {
    if (!m.covers(b)) return false;
    const w = m.w32;
    const base = b * BUCKET_WORDS32;
    for (let i = 0; i < KEY_SLOTS; i++) {
      if (b * 8 + i === mine) continue;
      const hi = Atomics.load(w, base + 2 * i + 1);
      if (((hi >>> 16) & TAG_MASK) === tag && (hi !== 0 || Atomics.load(w, base + 2 * i) !== 0)) {
        return true;
      }
    }
    b = Atomics.load(w, base + 2 * OVERFLOW_SLOT);
    if (b === 0) return false;
  }
}
