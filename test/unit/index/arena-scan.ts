/**
 * Test helper: reads a hash index arena directly (not through an engine) so tests can check
 * what the protocol left in memory.
 */
import {
  KEY_SLOTS, OVERFLOW_SLOT, entryAddress, entryTag,
} from '../../../src/index/hash-bucket.js';
import {
  HEADER_BUCKETS, H_ALLOC_NEXT, H_FREE_HEAD, H_RESIZE_STATE, H_TABLE0_FIRST, H_TABLE0_LOG2,
  resizeVersion,
} from '../../../src/index/index-header.js';
import { IndexMemory, loaded } from '../../../src/index/index-memory.js';

export interface ScannedEntry {
  /** Main-table bucket number of the chain. */
  bucket: number;
  slot: number;
  tag: number;
  address: number;
  tentative: boolean;
}

/** Every non-empty key entry of the active table, chain by chain. */
export function scanArena(memory: SharedArrayBuffer): ScannedEntry[] {
  const m = new IndexMemory(memory);
  const w = m.w32;
  const v = resizeVersion(Atomics.load(w, H_RESIZE_STATE));
  const first = w[H_TABLE0_FIRST + 2 * v]!;
  const buckets = 2 ** w[H_TABLE0_LOG2 + 2 * v]!;
  const out: ScannedEntry[] = [];
  for (let bucket = 0; bucket < buckets; bucket++) {
    let b = first + bucket;
    while (b !== 0) {
      for (let i = 0; i < KEY_SLOTS; i++) {
        m.load64(b * 8 + i);
        if ((loaded.lo | loaded.hi) === 0) continue;
        out.push({
          bucket, slot: b * 8 + i, tag: entryTag(loaded.hi),
          address: entryAddress(loaded.lo, loaded.hi), tentative: loaded.hi < 0,
        });
      }
      m.load64(b * 8 + OVERFLOW_SLOT);
      b = loaded.lo;
    }
  }
  return out;
}

/** Chain length (buckets, main bucket included) of every main-table bucket. */
export function chainLengths(memory: SharedArrayBuffer): number[] {
  const m = new IndexMemory(memory);
  const w = m.w32;
  const v = resizeVersion(Atomics.load(w, H_RESIZE_STATE));
  const first = w[H_TABLE0_FIRST + 2 * v]!;
  const lengths: number[] = [];
  for (let bucket = 0; bucket < 2 ** w[H_TABLE0_LOG2 + 2 * v]!; bucket++) {
    let length = 0;
    for (let b = first + bucket; b !== 0; length++) {
      m.load64(b * 8 + OVERFLOW_SLOT);
      b = loaded.lo;
    }
    lengths.push(length);
  }
  return lengths;
}

/** A 53-bit hash with the given low 32 bits (bucket bits) and 14-bit tag. */
export function makeHash(low32: number, tag: number): number {
  return (tag << 7) * 4294967296 + (low32 >>> 0);
}

/**
 * Accounts for every allocated bucket: header, main table, chained overflow buckets and the
 * free list must add up to ALLOC_NEXT (REQUIRES: no resize has run, so one table exists).
 */
export function bucketAccount(memory: SharedArrayBuffer): {
  allocated: number; table: number; chained: number; free: number;
} {
  const m = new IndexMemory(memory);
  const w = m.w32;
  const table = 2 ** w[H_TABLE0_LOG2]!;
  const chained = chainLengths(memory).reduce((sum, n) => sum + n - 1, 0);
  let free = 0;
  m.load64(H_FREE_HEAD / 2);
  for (let b = loaded.lo; b !== 0; b = Atomics.load(w, b * 16)) free++;
  return { allocated: Atomics.load(w, H_ALLOC_NEXT) - HEADER_BUCKETS, table, chained, free };
}
