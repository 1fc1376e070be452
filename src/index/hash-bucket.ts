/**
 * Hash bucket and hash entry layout of the FasterKV hash index (FASTER's `HashBucket` and
 * `HashBucketEntry`). Mirrored bit for bit by native/core/hash_bucket.h; a unit test pins the
 * two sets of constants together.
 *
 * A bucket is one cache line: 64 bytes = 8 little-endian 64-bit entries.
 *
 *   entry:   0      1      2      3      4      5      6      7
 *          [ key  | key  | key  | key  | key  | key  | key  | overflow ]
 *
 * Key-slot entry (64 bits):
 *
 *    63   62   61 ............ 48   47   46 ....................... 0
 *   +----+----+------------------+----+------------------------------+
 *   | T  | P  |   tag (14 bits)  | RC |   logical address (47 bits)  |
 *   +----+----+------------------+----+------------------------------+
 *   T  = tentative: the slot is being claimed and is invisible to lookups;
 *   P  = FASTER's "pending" bit, always 0 here (so an entry read as a double is never NaN);
 *   RC = read-cache flag (address bit 47), reserved for a read cache.
 *
 * Value 0 is an empty slot. A live entry never holds 0: a freshly created slot carries the
 * "temp invalid" address 1 until the store installs its first record address.
 *
 * Overflow entry (entry 7): bits 0..47 = arena bucket index of the next bucket of the chain
 * (0 = end of chain); bits 48..63 are reserved for FASTER's bucket latch (shared count in
 * 48..62, exclusive in 63) and are preserved by every update of the pointer.
 *
 * JavaScript reads an entry as two 32-bit halves, `lo` (bits 0..31) and `hi` (bits 32..63):
 *   address = lo + (hi & 0xFFFF) * 2^32;  tag = (hi >>> 16) & 0x3FFF;  tentative = hi < 0.
 * The tag and tentative bit live in `hi` alone, so a scan that reads only `hi` sees them
 * without tearing.
 *
 * Tag and bucket come from the 53-bit key hash (src/fallback/key-hash.ts):
 *   bucket = (hash mod 2^32) & (buckets - 1);  tag = hashTag(hash) = the top 14 of the 53 bits.
 */
import { hashTag } from '../fallback/key-hash.js';

export const BUCKET_BYTES = 64;
export const ENTRIES_PER_BUCKET = 8;
/** Entries 0..6 hold keys. */
export const KEY_SLOTS = 7;
/** Entry 7 holds the overflow-bucket pointer. */
export const OVERFLOW_SLOT = 7;

export const ADDRESS_BITS = 48;
export const READ_CACHE_BIT = 47;
export const TAG_SHIFT = 48;
export const TAG_BITS = 14;
export const PENDING_BIT = 62;
export const TENTATIVE_BIT = 63;

/** Entry word of an empty slot. */
export const EMPTY_ENTRY = 0;
/** FASTER's `kTempInvalidAddress`: the address of a claimed slot with no record yet. */
export const TEMP_INVALID_ADDRESS = 1;
/** FASTER's `kFirstValidAddress`: record addresses start here. */
export const FIRST_VALID_ADDRESS = 64;

export const MAX_ADDRESS = 2 ** ADDRESS_BITS - 1;
export const TAG_MASK = (1 << TAG_BITS) - 1;

/** Masks on the `hi` half (bits 32..63) of an entry. */
export const HI_ADDRESS_MASK = 0xffff;
export const HI_TAG_SHIFT = TAG_SHIFT - 32;
export const HI_TENTATIVE = 1 << (TENTATIVE_BIT - 32);

const TWO_POW_32 = 4294967296;

/** The `lo` half (bits 0..31) of an entry holding `address`. */
export function entryLo(address: number): number {
  return address >>> 0;
}

/** The `hi` half (bits 32..63) of an entry holding `address`, `tag` and `tentative`. */
export function entryHi(address: number, tag: number, tentative: boolean): number {
  const high = Math.floor(address / TWO_POW_32) & HI_ADDRESS_MASK;
  return (high | ((tag & TAG_MASK) << HI_TAG_SHIFT) | (tentative ? HI_TENTATIVE : 0)) | 0;
}

export function entryAddress(lo: number, hi: number): number {
  return (lo >>> 0) + (hi & HI_ADDRESS_MASK) * TWO_POW_32;
}

export function entryTag(hi: number): number {
  return (hi >>> HI_TAG_SHIFT) & TAG_MASK;
}

export function entryTentative(hi: number): boolean {
  return hi < 0;
}

/** A whole entry word, for tests, dumps and diagnostics (not for hot paths). */
export function packEntry(address: number, tag: number, tentative: boolean): bigint {
  const lo = BigInt(entryLo(address));
  const hi = BigInt(entryHi(address, tag, tentative) >>> 0);
  return (hi << 32n) | lo;
}

export interface UnpackedEntry {
  address: number;
  tag: number;
  tentative: boolean;
}

export function unpackEntry(word: bigint): UnpackedEntry {
  const unsigned = BigInt.asUintN(64, word);
  const lo = Number(unsigned & 0xffffffffn);
  const hi = Number(unsigned >> 32n) | 0;
  return { address: entryAddress(lo, hi), tag: entryTag(hi), tentative: entryTentative(hi) };
}

/** The main-table bucket of `hash` in a table of `buckets` (a power of two) buckets. */
export function hashBucket(hash: number, buckets: number): number {
  return (hash >>> 0) & (buckets - 1);
}

export { hashTag };
