/**
 * Views over the hash index arena (layout in index-header.ts) and its bucket allocator, shared
 * by the pure-TypeScript index engine (src/fallback/hash-index.ts) and the HashIndex façade.
 * native/core/hash_index.cc implements the same allocator on the same words.
 *
 * Views are fixed-length and cover the first COMMITTED buckets seen by this thread: V8 runs
 * fixed-length views over a growable SharedArrayBuffer several times faster than
 * length-tracking ones. When another thread grows the arena, a bucket index at or beyond
 * `committed` makes the holder call `covers()`, which rebuilds the views.
 *
 * Allocation (any thread, latch-free):
 *  - overflow buckets: pop the free list (64-bit head with an ABA counter), else bump
 *    ALLOC_NEXT by CAS; NEEDS_MEMORY when the committed arena is exhausted;
 *  - regions (tables, chunk-status arrays): bump only;
 *  - growth of the buffer itself is JavaScript-only (`SharedArrayBuffer.grow`) and lives in
 *    the façade, never inside an index call.
 */
import { assert } from '../errors.js';
import { BUCKET_BYTES } from './hash-bucket.js';
import {
  H_ALLOC_NEXT, H_COMMITTED, H_FREE_HEAD, H_OVERFLOW_COUNT, NEEDS_MEMORY,
} from './index-header.js';

/** Int32 words per bucket. */
export const BUCKET_WORDS32 = BUCKET_BYTES / 4;

const TWO_POW_32 = 4294967296;
const scratch64 = new BigInt64Array(2);
const scratch32 = new Int32Array(scratch64.buffer);
const scratchF64 = new Float64Array(scratch64.buffer);

export class IndexMemory {
  readonly buffer: SharedArrayBuffer;
  /** Buckets covered by `w32` / `w64`. */
  committed = 0;
  w32: Int32Array;
  w64: BigInt64Array;
  /** The same words as doubles, for loadEntryAddress. */
  f64: Float64Array;

  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.w32 = new Int32Array(0);
    this.w64 = new BigInt64Array(0);
    this.f64 = new Float64Array(0);
    this.remap();
  }

  /** Whether `bucket` lies in the views, rebuilding them once if the arena has grown. */
  covers(bucket: number): boolean {
    if (bucket < this.committed) return true;
    this.remap();
    return bucket < this.committed;
  }

  remap(): void {
    const header = new Int32Array(this.buffer, 0, H_COMMITTED + 1);
    const committed = Atomics.load(header, H_COMMITTED);
    if (committed === this.committed && this.w32.length > 0) return;
    const bytes = committed * BUCKET_BYTES;
    assert(bytes <= this.buffer.byteLength, 'index arena: COMMITTED beyond the buffer');
    this.committed = committed;
    this.w32 = new Int32Array(this.buffer, 0, bytes / 4);
    this.w64 = new BigInt64Array(this.buffer, 0, bytes / 8);
    this.f64 = new Float64Array(this.buffer, 0, bytes / 8);
  }

  /** Compare-and-swap of the 64-bit word `index` given as 32-bit halves. */
  cas64(index: number, expLo: number, expHi: number, newLo: number, newHi: number): boolean {
    scratch32[0] = expLo;
    scratch32[1] = expHi;
    scratch32[2] = newLo;
    scratch32[3] = newHi;
    const expected = scratch64[0]!;
    return Atomics.compareExchange(this.w64, index, expected, scratch64[1]!) === expected;
  }

  /** Atomic store of the 64-bit word `index` given as 32-bit halves. */
  store64(index: number, lo: number, hi: number): void {
    scratch32[0] = lo;
    scratch32[1] = hi;
    Atomics.store(this.w64, index, scratch64[0]!);
  }

  /**
   * Atomic load of the 64-bit word `index`; the halves are left in `loadedLo` / `loadedHi`.
   * (Module-level results keep the hot path free of allocations.)
   */
  load64(index: number): void {
    const word = Atomics.load(this.w64, index);
    scratch64[0] = word;
    loaded.word = word;
    loaded.lo = scratch32[0]!;
    loaded.hi = scratch32[1]!;
  }

  /**
   * The address in key-slot entry `index`, read on every store operation: a plain read of the
   * word through a Float64Array, which V8 performs on 64-bit targets as one aligned 8-byte load
   * (a single atomic access on x86-64 and AArch64, so the halves belong to one entry value),
   * instead of a BigInt64 Atomics.load (~20 ns, and it allocates). An entry's bit pattern is
   * never a NaN (bit 62 is always 0), so the double carries it unchanged. A plain read may be
   * stale; callers validate what they act on with casEntryAddress.
   */
  loadEntryAddress(index: number): number {
    scratchF64[0] = this.f64[index]!;
    return (scratch32[0]! >>> 0) + (scratch32[1]! & 0xffff) * TWO_POW_32;
  }

  /**
   * Compare-and-swap of word `index` from the word the last `load64` returned (reusing its
   * BigInt saves an allocation on the hot path) to (newLo, newHi).
   */
  casLoaded(index: number, newLo: number, newHi: number): boolean {
    scratch32[2] = newLo;
    scratch32[3] = newHi;
    const expected = loaded.word;
    return Atomics.compareExchange(this.w64, index, expected, scratch64[1]!) === expected;
  }

  /** A zeroed bucket for an overflow chain, or NEEDS_MEMORY. */
  allocBucket(): number {
    const popped = this.popFree();
    const bucket = popped !== 0 ? popped : this.allocRegion(1);
    if (bucket !== NEEDS_MEMORY) Atomics.add(this.w32, H_OVERFLOW_COUNT, 1);
    return bucket;
  }

  /** Returns a bucket that was never published (a CAS loser's) to the free list. */
  freeBucket(bucket: number): void {
    const head = H_FREE_HEAD / 2;
    const link = bucket * BUCKET_WORDS32;
    for (;;) {
      this.load64(head);
      const { lo, hi } = loaded;
      Atomics.store(this.w32, link, lo);
      if (this.cas64(head, lo, hi, bucket, (hi + 1) | 0)) break;
    }
    Atomics.sub(this.w32, H_OVERFLOW_COUNT, 1);
  }

  /** `count` contiguous zero buckets from the bump region, or NEEDS_MEMORY. */
  allocRegion(count: number): number {
    const w = this.w32;
    for (;;) {
      const next = Atomics.load(w, H_ALLOC_NEXT);
      if (next + count > Atomics.load(w, H_COMMITTED)) return NEEDS_MEMORY;
      if (Atomics.compareExchange(w, H_ALLOC_NEXT, next, next + count) === next) {
        assert(this.covers(next + count - 1), 'index arena: allocation beyond the views');
        return next;
      }
    }
  }

  private popFree(): number {
    const head = H_FREE_HEAD / 2;
    for (;;) {
      this.load64(head);
      const { lo, hi } = loaded;
      if (lo === 0) return 0;
      assert(this.covers(lo), 'index arena: free-list head beyond COMMITTED');
      const link = lo * BUCKET_WORDS32;
      const next = Atomics.load(this.w32, link);
      if (this.cas64(head, lo, hi, next, (hi + 1) | 0)) {
        Atomics.store(this.w32, link, 0);
        return lo;
      }
    }
  }
}

/** Result of `IndexMemory.load64`: the word and its halves. */
export const loaded = { lo: 0, hi: 0, word: 0n };
