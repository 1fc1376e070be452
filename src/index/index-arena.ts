/**
 * Creating and growing the hash index arena (layout in index-header.ts). JavaScript-only:
 * `SharedArrayBuffer.grow` cannot be called from native code, so the façade grows the buffer
 * when an index call reports NEEDS_MEMORY, or ahead of need from `maintain()`.
 *
 * Growth protocol (any thread): grow the buffer first, then raise COMMITTED by CAS to at least
 * the new bucket count. COMMITTED therefore never exceeds the buffer's byteLength, and a
 * thread that reads COMMITTED may map that many buckets.
 */
import { FasterError, assert, invalidArgument } from '../errors.js';
import { BUCKET_BYTES } from './hash-bucket.js';
import {
  HEADER_BUCKETS, H_ALLOC_NEXT, H_COMMITTED, H_HEADER_BUCKETS, H_LAYOUT_VERSION, H_MAGIC,
  H_RESIZE_STATE, H_TABLE0_FIRST, H_TABLE0_LOG2, INDEX_MAGIC, LAYOUT_VERSION, MAX_ARENA_BUCKETS,
  MAX_TABLE_LOG2, PHASE_REST, resizeState,
} from './index-header.js';

/** ES2024's growable SharedArrayBuffer, which Node 20 has and the ES2022 lib does not declare. */
interface GrowableBuffer extends SharedArrayBuffer {
  readonly maxByteLength: number;
  grow(newByteLength: number): void;
}
const GrowableSharedArrayBuffer = SharedArrayBuffer as unknown as new (
  byteLength: number, options: { maxByteLength: number },
) => GrowableBuffer;

/** Default reservation: the largest a growable SharedArrayBuffer may be (virtual memory). */
export const DEFAULT_MAX_BYTES = MAX_ARENA_BUCKETS * BUCKET_BYTES;

export interface ArenaOptions {
  /** Main-table buckets: a power of two in [1, 2^25]. */
  buckets: number;
  /** Upper bound of the arena in bytes (reserved, not committed); default 4 GiB. */
  maxBytes?: number;
  /** Buckets to commit beyond the header and table at creation (overflow headroom). */
  spareBuckets?: number;
}

/** Validates `buckets` and returns log2(buckets). */
export function tableLog2(buckets: number): number {
  const log2 = Math.log2(buckets);
  if (!Number.isInteger(log2) || log2 < 0 || log2 > MAX_TABLE_LOG2) {
    throw invalidArgument('buckets', `a power of two in [1, 2^${MAX_TABLE_LOG2}]`, buckets);
  }
  return log2;
}

/** A fresh arena: header, an empty main table at bucket HEADER_BUCKETS, spare buckets. */
export function createArena(options: ArenaOptions): SharedArrayBuffer {
  const log2 = tableLog2(options.buckets);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const spare = options.spareBuckets ?? Math.max(16, options.buckets >>> 3);
  const committed = HEADER_BUCKETS + options.buckets + spare;
  if (!Number.isInteger(maxBytes) || maxBytes < committed * BUCKET_BYTES ||
      maxBytes > DEFAULT_MAX_BYTES) {
    throw invalidArgument('maxBytes',
      `an integer in [${committed * BUCKET_BYTES}, ${DEFAULT_MAX_BYTES}]`, maxBytes);
  }
  const maxBuckets = Math.floor(maxBytes / BUCKET_BYTES);
  const buffer = new GrowableSharedArrayBuffer(committed * BUCKET_BYTES, {
    maxByteLength: maxBuckets * BUCKET_BYTES,
  });
  const w = new Int32Array(buffer, 0, HEADER_BUCKETS * (BUCKET_BYTES / 4));
  w[H_MAGIC] = INDEX_MAGIC;
  w[H_LAYOUT_VERSION] = LAYOUT_VERSION;
  w[H_HEADER_BUCKETS] = HEADER_BUCKETS;
  w[H_RESIZE_STATE] = resizeState(PHASE_REST, 0);
  w[H_TABLE0_FIRST] = HEADER_BUCKETS;
  w[H_TABLE0_LOG2] = log2;
  w[H_ALLOC_NEXT] = HEADER_BUCKETS + options.buckets;
  Atomics.store(w, H_COMMITTED, committed);
  return buffer;
}

/**
 * Makes at least `needed` buckets of the arena committed, growing by doubling so that growth
 * is rare. Throws ERR_INVALID_ARGUMENT naming maxBytes when the reservation is too small.
 */
export function commitArena(memory: SharedArrayBuffer, needed: number): void {
  const buffer = memory as GrowableBuffer;
  const header = new Int32Array(buffer, 0, H_COMMITTED + 1);
  const current = Atomics.load(header, H_COMMITTED);
  if (needed <= current) return;
  const maxBuckets = Math.floor(buffer.maxByteLength / BUCKET_BYTES);
  if (needed > maxBuckets) {
    throw new FasterError('ERR_INVALID_ARGUMENT',
      `the hash index needs ${needed * BUCKET_BYTES} bytes but maxBytes is ` +
      `${buffer.maxByteLength}; open the index with a larger maxBytes`);
  }
  const target = Math.min(maxBuckets, Math.max(needed, current * 2));
  if (buffer.byteLength < target * BUCKET_BYTES) {
    try {
      buffer.grow(target * BUCKET_BYTES);
    } catch (err) {
      if (buffer.byteLength < target * BUCKET_BYTES) throw err;
    }
  }
  for (;;) {
    const seen = Atomics.load(header, H_COMMITTED);
    if (seen >= target) return;
    if (Atomics.compareExchange(header, H_COMMITTED, seen, target) === seen) return;
  }
}

/** Commits ahead of need: keeps at least `headroom` never-used buckets past ALLOC_NEXT. */
export function keepHeadroom(memory: SharedArrayBuffer, headroom: number): void {
  const buffer = memory as GrowableBuffer;
  const header = new Int32Array(buffer, 0, H_COMMITTED + 1);
  const next = Atomics.load(header, H_ALLOC_NEXT);
  assert(next > 0, 'index arena: ALLOC_NEXT unset');
  const wanted = Math.min(next + headroom, Math.floor(buffer.maxByteLength / BUCKET_BYTES));
  if (wanted > Atomics.load(header, H_COMMITTED)) commitArena(buffer, wanted);
}
