/**
 * SharedSegments: what the FileDevices of several worker_threads over the same segment files
 * must agree on (a store shared with workers: each thread opens its own file handles, and
 * any thread may write, sync or truncate). Kept in one SharedArrayBuffer.
 *
 *  - Dirty segments. A write through one thread's handle is made durable by an fdatasync
 *    through any handle of the same file, so "dirty" is shared: each completed write marks
 *    its segment in a small table, and a sync on any thread fsyncs every segment marked there.
 *    An entry is (segment + 1) << 24 | generation, one BigInt64 word: a write bumps the
 *    generation; a sync clears the entry only if its generation did not change while its
 *    fdatasync ran (compare-and-swap), so a write that completed meanwhile stays marked. A
 *    sync therefore never clears a mark it has not covered, and never has to wait for another
 *    thread's sync: a mark is only removed after an fdatasync that started later than the
 *    write completed. When the table is full, the writer syncs the table itself to make room.
 *  - Truncation. The thread that deletes segments records the bound; other threads forget
 *    their handles below it when they next touch the device.
 *  - Existence. A segment another thread created is found on disk when first needed (the
 *    device's own list only knows what it saw at open and what it created).
 *
 * Thread rules: any number of threads, one FileDevice each over the same buffer.
 */
import { assert } from '../errors.js';

const ENTRIES = 15;
const W_TRUNCATED_BELOW = 0;
const W_FIRST_ENTRY = 1;
const BYTES = (W_FIRST_ENTRY + ENTRIES) * 8;
const GEN_BITS = 24n;
const GEN_MASK = (1n << GEN_BITS) - 1n;

export class SharedSegments {
  readonly buffer: SharedArrayBuffer;
  private readonly words: BigInt64Array;

  /** A fresh table, or (with `buffer`) a view over another thread's. */
  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(BYTES);
    assert(this.buffer.byteLength === BYTES, 'SharedSegments: wrong buffer size');
    this.words = new BigInt64Array(this.buffer);
  }

  /** Segments below this one were deleted by some thread. */
  get truncatedBelow(): number {
    return Number(Atomics.load(this.words, W_TRUNCATED_BELOW));
  }

  noteTruncated(segment: number): void {
    const next = BigInt(segment);
    for (;;) {
      const now = Atomics.load(this.words, W_TRUNCATED_BELOW);
      if (now >= next) return;
      if (Atomics.compareExchange(this.words, W_TRUNCATED_BELOW, now, next) === now) return;
    }
  }

  /**
   * Marks `segment` dirty after a completed write. False when the table is full: the caller
   * syncs the marked segments (which clears them) and marks again.
   */
  markDirty(segment: number): boolean {
    const words = this.words;
    const tag = BigInt(segment + 1);
    for (;;) {
      let empty = -1;
      let raced = false;
      for (let i = W_FIRST_ENTRY; i < W_FIRST_ENTRY + ENTRIES; i++) {
        const v = Atomics.load(words, i);
        if (v === 0n) {
          if (empty < 0) empty = i;
        } else if (v >> GEN_BITS === tag) {
          const bumped = (tag << GEN_BITS) | ((v + 1n) & GEN_MASK);
          if (Atomics.compareExchange(words, i, v, bumped) === v) return true;
          raced = true;
          break;
        }
      }
      if (raced) continue;
      if (empty < 0) return false;
      if (Atomics.compareExchange(words, empty, 0n, (tag << GEN_BITS) | 1n) === 0n) return true;
    }
  }

  /** The marked entries now: pairs of (entry index, word), for `sync` then `clear`. */
  snapshot(out: bigint[]): bigint[] {
    out.length = 0;
    for (let i = W_FIRST_ENTRY; i < W_FIRST_ENTRY + ENTRIES; i++) {
      const v = Atomics.load(this.words, i);
      if (v !== 0n) out.push(BigInt(i), v);
    }
    return out;
  }

  /** Clears entry `index` if it still holds `word` (no write completed since it was read). */
  clear(index: bigint, word: bigint): void {
    Atomics.compareExchange(this.words, Number(index), word, 0n);
  }

  /** Clears the entry of `segment` whatever its generation (the segment was deleted). */
  forget(segment: number): void {
    const tag = BigInt(segment + 1);
    for (let i = W_FIRST_ENTRY; i < W_FIRST_ENTRY + ENTRIES; i++) {
      const v = Atomics.load(this.words, i);
      if (v !== 0n && v >> GEN_BITS === tag) Atomics.compareExchange(this.words, i, v, 0n);
    }
  }

  /** The segment number of a snapshot word. */
  static segmentOf(word: bigint): number {
    return Number((word >> GEN_BITS) - 1n);
  }
}
