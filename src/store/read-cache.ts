/**
 * ReadCache (opt-in, the `readCache` option; digest §3.5): records read from the device are
 * kept in a fixed amount of memory, so hot records below HeadAddress are served again without
 * I/O. Every device read of a record (reads, RMWs, scans' and compaction's chain walks) goes
 * through DiskRecordReader, which asks the cache first and fills it after a verified read.
 *
 * Keyed by log address, not spliced into hash chains. A record on the device never changes
 * while the store runs (its checksummed bytes are final once flushed, and updates append new
 * records that chain walks meet in memory first), so a cached copy is exact for as long as it
 * is kept: nothing is invalidated on upsert, RMW or delete, nothing is unlinked on eviction,
 * index entries never point into the cache (bit 47 of an address stays reserved), and index
 * checkpoints are unaffected. The cost against FASTER's chain-prefix read cache: a read still
 * walks the in-memory part of its chain before it reaches the cache.
 *
 * Layout, one SharedArrayBuffer (so threads attached to the store will share it):
 *   header  Int32 words: [0] TAIL (ring position, wraps at 2^32) [1] hits [2] misses
 *           [3] inserts [4] slot count
 *   slots   SLOT_WORDS Int32 each, direct-mapped by address: [0] sequence (odd while being
 *           written: a seqlock) [1] address low 32 bits [2] address high bits [3] ring position
 *           [4] length
 *   ring    RING bytes (a power of two): record copies, each contiguous (a copy that would wrap
 *           starts again at the ring's start).
 * A copy is intact while no later reservation reached over it: (TAIL - position) mod 2^32 <=
 * RING, checked after the copy is read out; a reader that loses either check misses.
 * Thread rules: a ReadCache object belongs to one thread; the buffer is shared.
 */
import { invalidArgument } from '../errors.js';

const W_TAIL = 0;
const W_HITS = 1;
const W_MISSES = 2;
const W_INSERTS = 3;
const W_SLOTS = 4;
const HEADER_WORDS = 16;
const SLOT_WORDS = 8;
const S_SEQ = 0;
const S_LO = 1;
const S_HI = 2;
const S_POS = 3;
const S_LEN = 4;
/** Ring bytes per slot: the slot table is small next to the copies it indexes. */
const BYTES_PER_SLOT = 256;
const TWO_32 = 4294967296;

export const MIN_READ_CACHE_BYTES = 64 * 1024;
export const MAX_READ_CACHE_BYTES = 2 ** 30;

export interface ReadCacheStats {
  /** Bytes of shared memory the cache holds (ring and slots). */
  readonly bytes: number;
  readonly hits: number;
  readonly misses: number;
  readonly inserts: number;
}

export class ReadCache {
  readonly buffer: SharedArrayBuffer;
  private readonly words: Int32Array;
  private readonly ring: Uint8Array;
  private readonly ringBytes: number;
  private readonly slotMask: number;

  /** A new cache of about `memoryBytes`, or (with a buffer) a view over another thread's. */
  constructor(source: number | SharedArrayBuffer) {
    let buffer: SharedArrayBuffer;
    let slots: number;
    if (typeof source === 'number') {
      const ringBytes = 2 ** Math.floor(Math.log2(checkBytes(source)));
      slots = ringBytes / BYTES_PER_SLOT;
      buffer = new SharedArrayBuffer(4 * (HEADER_WORDS + slots * SLOT_WORDS) + ringBytes);
      new Int32Array(buffer, 0, HEADER_WORDS)[W_SLOTS] = slots;
    } else {
      buffer = source;
      slots = Atomics.load(new Int32Array(buffer, 0, HEADER_WORDS), W_SLOTS);
    }
    this.buffer = buffer;
    this.ringBytes = slots * BYTES_PER_SLOT;
    this.slotMask = slots - 1;
    const ringStart = 4 * (HEADER_WORDS + slots * SLOT_WORDS);
    this.words = new Int32Array(buffer, 0, ringStart / 4);
    this.ring = new Uint8Array(buffer, ringStart, this.ringBytes);
  }

  /**
   * The cached record at `address`: copied into `into` when it is large enough (a view of
   * it is returned), else into a new array; undefined on a miss.
   */
  get(address: number, into?: Uint8Array): Uint8Array | undefined {
    const words = this.words;
    const s = this.slotOf(address);
    const seq = Atomics.load(words, s + S_SEQ);
    const match = (seq & 1) === 0 && words[s + S_LO] === (address >>> 0) &&
      words[s + S_HI] === Math.floor(address / TWO_32);
    const pos = words[s + S_POS]! >>> 0;
    const length = words[s + S_LEN]!;
    if (!match || Atomics.load(words, s + S_SEQ) !== seq || length <= 0 || !this.intact(pos)) {
      Atomics.add(words, W_MISSES, 1);
      return undefined;
    }
    const out = into !== undefined && into.length >= length
      ? into.subarray(0, length) : new Uint8Array(length);
    const start = pos & (this.ringBytes - 1);
    out.set(this.ring.subarray(start, start + length));
    if (!this.intact(pos) || Atomics.load(words, s + S_SEQ) !== seq) {
      Atomics.add(words, W_MISSES, 1);
      return undefined;
    }
    Atomics.add(words, W_HITS, 1);
    return out;
  }

  /** Keeps a copy of `record`, the verified device bytes of the record at `address`. */
  put(address: number, record: Uint8Array): void {
    const length = record.length;
    if (length === 0 || length > this.ringBytes / 4) return;
    const pos = this.reserve(length);
    const start = pos & (this.ringBytes - 1);
    this.ring.set(record, start);
    const words = this.words;
    const s = this.slotOf(address);
    const seq = Atomics.load(words, s + S_SEQ);
    if ((seq & 1) !== 0 || Atomics.compareExchange(words, s + S_SEQ, seq, seq + 1) !== seq) {
      return;
    }
    words[s + S_LO] = address >>> 0;
    words[s + S_HI] = Math.floor(address / TWO_32);
    words[s + S_POS] = pos | 0;
    words[s + S_LEN] = length;
    Atomics.store(words, s + S_SEQ, seq + 2);
    Atomics.add(words, W_INSERTS, 1);
  }

  stats(): ReadCacheStats {
    const words = this.words;
    return {
      bytes: this.buffer.byteLength,
      hits: Atomics.load(words, W_HITS),
      misses: Atomics.load(words, W_MISSES),
      inserts: Atomics.load(words, W_INSERTS),
    };
  }

  /** Reserves `length` contiguous ring bytes; returns their ring position. */
  private reserve(length: number): number {
    const words = this.words;
    for (;;) {
      const tail = Atomics.load(words, W_TAIL) >>> 0;
      const offset = tail & (this.ringBytes - 1);
      const start = offset + length > this.ringBytes ? tail + this.ringBytes - offset : tail;
      const next = (start + length) >>> 0;
      if (Atomics.compareExchange(words, W_TAIL, tail | 0, next | 0) === (tail | 0)) {
        return start >>> 0;
      }
    }
  }

  /** Whether no reservation since the copy at `pos` was made has reached over it. */
  private intact(pos: number): boolean {
    return ((Atomics.load(this.words, W_TAIL) - pos) >>> 0) <= this.ringBytes;
  }

  private slotOf(address: number): number {
    const mixed = Math.imul((address >>> 3) ^ Math.floor(address / TWO_32), 0x9e3779b1);
    return HEADER_WORDS + ((mixed >>> 7) & this.slotMask) * SLOT_WORDS;
  }
}

/** Resolves the `readCache` option: bytes of cache, 0 when off. */
export function readCacheBytes(option: unknown, memoryBytes: number): number {
  if (option === undefined || option === false) return 0;
  if (option === true) {
    return Math.min(MAX_READ_CACHE_BYTES, Math.max(MIN_READ_CACHE_BYTES, memoryBytes / 4));
  }
  if (option === null || typeof option !== 'object') {
    throw invalidArgument('readCache', 'a boolean or { memoryBytes }', option);
  }
  const bytes = (option as { memoryBytes?: unknown }).memoryBytes;
  if (bytes === undefined) return readCacheBytes(true, memoryBytes);
  return checkBytes(bytes);
}

function checkBytes(bytes: unknown): number {
  if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < MIN_READ_CACHE_BYTES ||
      bytes > MAX_READ_CACHE_BYTES) {
    throw invalidArgument('readCache.memoryBytes',
      `an integer from ${MIN_READ_CACHE_BYTES} to ${MAX_READ_CACHE_BYTES}`, bytes);
  }
  return bytes;
}
