/**
 * Layout of the hash index memory: ONE growable SharedArrayBuffer (the "arena") that every
 * thread and both engines operate on in place. Mirrored by native/core/hash_index.h (a unit
 * test pins the constants together).
 *
 * The arena is an array of 64-byte buckets addressed by bucket index. Buckets 0..1 hold the
 * header; everything after is handed out by a bump allocator (`ALLOC_NEXT`) and a free list:
 * main tables, overflow buckets, and the chunk-status array of an index resize.
 *
 *   byte 0          128                         ALLOC_NEXT*64        COMMITTED*64   maxByteLength
 *   +--------------+-----------+--------------+-----+---------------+--------------+- - - - - -+
 *   | header       | table v0  | overflow ... | ... | (free, zero)  | (unused)     | reserved  |
 *   +--------------+-----------+--------------+-----+---------------+--------------+- - - - - -+
 *
 * Header (32 little-endian 32-bit words):
 *
 *   word  field              meaning
 *   0     MAGIC              'FKVX' (0x58564B46)
 *   1     LAYOUT_VERSION     LAYOUT_VERSION below; bumped on any change to this diagram
 *   2     HEADER_BUCKETS     2
 *   3     RESIZE_STATE       phase << 8 | active table version (0 or 1)
 *   4     TABLE0_FIRST       first arena bucket of table version 0
 *   5     TABLE0_LOG2        log2(buckets) of table version 0
 *   6     TABLE1_FIRST       first arena bucket of table version 1 (0 until the first grow)
 *   7     TABLE1_LOG2        log2(buckets) of table version 1
 *   8     ALLOC_NEXT         next never-used arena bucket (bump pointer)
 *   9     COMMITTED          buckets backed by the buffer's current byteLength
 *   10-11 FREE_HEAD          64-bit free-list head: lo = bucket index (0 = empty), hi = ABA count
 *   12    OVERFLOW_COUNT     overflow buckets in use by the active table version
 *   13    SPLIT_STATUS_FIRST arena bucket of the chunk-status array (one int32 per chunk)
 *   14    SPLIT_CHUNK_LOG2   log2(old-table buckets per split chunk)
 *   15    SPLIT_CHUNKS_LEFT  chunks not yet split (the last splitter moves the phase to REST)
 *   16    SPLIT_CHUNKS       number of chunks
 *   17-31 reserved, zero
 *
 * Invariants: ALLOC_NEXT <= COMMITTED <= byteLength / 64; every bucket at or above ALLOC_NEXT is
 * zero; a bucket on the free list is zero except word 0, which links to the next free bucket.
 * Thread rules: RESIZE_STATE, ALLOC_NEXT, COMMITTED, FREE_HEAD, OVERFLOW_COUNT and
 * SPLIT_CHUNKS_LEFT change only by atomic operations; the other words are written before the
 * state change that publishes them.
 */

export const INDEX_MAGIC = 0x58564b46;
export const LAYOUT_VERSION = 1;
export const HEADER_BUCKETS = 2;
export const HEADER_WORDS = 32;

export const H_MAGIC = 0;
export const H_LAYOUT_VERSION = 1;
export const H_HEADER_BUCKETS = 2;
export const H_RESIZE_STATE = 3;
export const H_TABLE0_FIRST = 4;
export const H_TABLE0_LOG2 = 5;
export const H_TABLE1_FIRST = 6;
export const H_TABLE1_LOG2 = 7;
export const H_ALLOC_NEXT = 8;
export const H_COMMITTED = 9;
/** Int32 word of the free-list head; its BigInt64 index is H_FREE_HEAD / 2. */
export const H_FREE_HEAD = 10;
export const H_OVERFLOW_COUNT = 12;
export const H_SPLIT_STATUS_FIRST = 13;
export const H_SPLIT_CHUNK_LOG2 = 14;
export const H_SPLIT_CHUNKS_LEFT = 15;
export const H_SPLIT_CHUNKS = 16;

/** Resize phases (FASTER's `ResizeOperationStatus`); persisted: never renumber. */
export const PHASE_REST = 0;
export const PHASE_PREPARE_GROW = 1;
export const PHASE_IN_PROGRESS_GROW = 2;

/** Chunk status during IN_PROGRESS_GROW; persisted in the arena: never renumber. */
export const CHUNK_UNSPLIT = 0;
/** Being split by thread id t: CHUNK_SPLITTING + t (t >= 1; never CHUNK_SPLIT). */
export const CHUNK_SPLITTING = 2 ** 16;
export const CHUNK_SPLIT = 2;

/** FASTER's `kSizeofChunk`: old-table buckets split as one unit of work. */
export const SPLIT_CHUNK_LOG2_MAX = 14;

/**
 * Largest arena: 2^26 buckets = 4 GiB, the largest maxByteLength V8 accepts for a growable
 * SharedArrayBuffer. Every slot (word index = bucket * 8 + entry) is then below 2^29 and
 * stays a small integer on the hot path.
 */
export const MAX_ARENA_BUCKETS = 2 ** 26;
/** Largest main table: a grow to 2^25 buckets still fits the old table beside the new one. */
export const MAX_TABLE_LOG2 = 25;

/**
 * Results of the index calls besides a slot (a slot is a word index, >= 0). Shared by both
 * engines; persisted nowhere, but pinned against the C++ values by a test.
 */
export const NOT_FOUND = -1;
/** The call met an unsplit chunk of an index resize; split it (TS side) and call again. */
export const NEEDS_SPLIT = -2;
/** The allocator needs more committed arena; grow the buffer (TS side) and call again. */
export const NEEDS_MEMORY = -3;
/** The arena is inconsistent (a pointer beyond the committed buckets). */
export const CORRUPT = -4;

export function resizePhase(state: number): number {
  return state >>> 8;
}

export function resizeVersion(state: number): number {
  return state & 1;
}

export function resizeState(phase: number, version: number): number {
  return (phase << 8) | version;
}
