/**
 * Index image: the main table and its overflow buckets copied out as bytes (FASTER's fuzzy
 * index checkpoint, digest §7.3 PREP_INDEX_CHECKPOINT) and loaded back (§8.1 step 6). The
 * checkpoint code writes and reads the image; this module only encodes and decodes it.
 *
 * Image (little-endian):
 *
 *   offset  size  field
 *   0       4     magic 'FKVI' (0x49564B46)
 *   4       4     format version (IMAGE_VERSION)
 *   8       4     log2 of the main-table bucket count
 *   12      4     overflow bucket count M
 *   16      4     CRC32C of bytes [0, 16) followed by the body
 *   20      12    reserved, zero
 *   32      N*64  main table, bucket i of the active table at 32 + 64 i
 *   ...     M*64  overflow buckets; the overflow bucket numbered k (1-based) at 32 + 64 (N+k-1)
 *
 * Each bucket is the arena's 64 bytes except its overflow entry: bits 0..47 hold the number k
 * of the next overflow bucket in the image (0 = end of chain), bits 48..63 (latch) are zero.
 *
 * Fuzzy: the dump runs while operations continue, reading each key entry with one aligned
 * 8-byte load through a Float64Array (one access on 64-bit targets, as IndexMemory's
 * loadEntryAddress; an entry is never a NaN pattern, so the double carries its bits) and each
 * overflow pointer with an atomic 64-bit load, so no entry is torn but the image mixes states
 * from during the dump. Recovery replays
 * the log from the address recorded before the dump started, which repairs it. Tentative
 * entries may be captured; `loadImage` clears them. REQUIRES for dump: no index resize in
 * progress (phase REST); the checkpoint state machine never overlaps a grow.
 */
import { FasterError, assert, corruption } from '../errors.js';
import { BUCKET_BYTES, ENTRIES_PER_BUCKET, KEY_SLOTS, OVERFLOW_SLOT } from './hash-bucket.js';
import {
  H_OVERFLOW_COUNT, H_RESIZE_STATE, H_TABLE0_FIRST, H_TABLE0_LOG2, PHASE_REST, resizePhase,
  resizeVersion,
} from './index-header.js';
import { IndexMemory, loaded } from './index-memory.js';

export const IMAGE_MAGIC = 0x49564b46;
export const IMAGE_VERSION = 1;
export const IMAGE_HEADER_BYTES = 32;

/** CRC32C continuing from `crc` (the binding's crc32c). */
export type Crc32c = (data: Uint8Array, crc: number) => number;

/** Copies the active table and its overflow chains into a new image. */
export function dumpImage(m: IndexMemory, crc32c: Crc32c): Uint8Array {
  const w = m.w32;
  const state = Atomics.load(w, H_RESIZE_STATE);
  assert(resizePhase(state) === PHASE_REST, 'index dump during a resize');
  const v = resizeVersion(state);
  const first = w[H_TABLE0_FIRST + 2 * v]!;
  const log2 = w[H_TABLE0_LOG2 + 2 * v]!;
  const buckets = 2 ** log2;
  const chains: number[] = [];
  for (let i = 0; i < buckets; i++) collectChain(m, first + i, chains);
  const numbering = new Map<number, number>();
  chains.forEach((bucket, k) => numbering.set(bucket, k + 1));
  const image = new Uint8Array(IMAGE_HEADER_BYTES + (buckets + chains.length) * BUCKET_BYTES);
  const words = new Int32Array(image.buffer);
  const doubles = new Float64Array(image.buffer);
  for (let i = 0; i < buckets; i++) copyBucket(m, first + i, words, doubles, i, numbering);
  chains.forEach((bucket, k) => copyBucket(m, bucket, words, doubles, buckets + k, numbering));
  const view = new DataView(image.buffer);
  view.setUint32(0, IMAGE_MAGIC, true);
  view.setUint32(4, IMAGE_VERSION, true);
  view.setUint32(8, log2, true);
  view.setUint32(12, chains.length, true);
  view.setUint32(16, imageCrc(image, crc32c), true);
  return image;
}

/** Facts of a verified image, for `loadImage`. */
export interface ImageInfo {
  log2: number;
  overflowBuckets: number;
}

/**
 * Checks magic, CRC32C, version and size; `path` names the image in errors. The CRC comes
 * before the version, so a damaged version field reads as damage, not as a newer format.
 */
export function verifyImage(image: Uint8Array, crc32c: Crc32c, path: string): ImageInfo {
  if (image.length < IMAGE_HEADER_BYTES) throw corruption(path, 0, 'index image too short');
  const view = new DataView(image.buffer, image.byteOffset, image.length);
  if (view.getUint32(0, true) !== IMAGE_MAGIC) throw corruption(path, 0, 'bad index image magic');
  if (view.getUint32(16, true) !== imageCrc(image, crc32c)) {
    throw corruption(path, 16, 'index image checksum mismatch');
  }
  const version = view.getUint32(4, true);
  if (version !== IMAGE_VERSION) {
    throw new FasterError('ERR_FORMAT_VERSION',
      `${path}: index image format version ${version}; this build reads ${IMAGE_VERSION}`,
      { path, offset: 4 });
  }
  const log2 = view.getUint32(8, true);
  const overflowBuckets = view.getUint32(12, true);
  const expected = IMAGE_HEADER_BYTES + (2 ** log2 + overflowBuckets) * BUCKET_BYTES;
  if (log2 > 31 || image.length !== expected) {
    throw corruption(path, 8, `index image of ${image.length} bytes, header says ${expected}`);
  }
  return { log2, overflowBuckets };
}

/**
 * Copies a verified image into a fresh arena whose table 0 has 2^info.log2 buckets, placing
 * the overflow buckets at `overflowFirst` (a region the caller allocated), rewriting chain
 * pointers to arena buckets, and clearing tentative entries.
 */
export function loadImage(
  m: IndexMemory, image: Uint8Array, info: ImageInfo, overflowFirst: number, path: string,
): void {
  const buckets = 2 ** info.log2;
  const first = m.w32[H_TABLE0_FIRST]!;
  const words = new Int32Array(image.slice(IMAGE_HEADER_BYTES).buffer);
  const total = buckets + info.overflowBuckets;
  for (let k = 0; k < total; k++) {
    const arenaBucket = k < buckets ? first + k : overflowFirst + (k - buckets);
    const src = k * 16;
    const dst = arenaBucket * 16;
    for (let e = 0; e < KEY_SLOTS; e++) {
      const tentative = words[src + 2 * e + 1]! < 0;
      m.w32[dst + 2 * e] = tentative ? 0 : words[src + 2 * e]!;
      m.w32[dst + 2 * e + 1] = tentative ? 0 : words[src + 2 * e + 1]!;
    }
    const next = words[src + 2 * OVERFLOW_SLOT]! >>> 0;
    if (next > info.overflowBuckets) {
      const offset = IMAGE_HEADER_BYTES + k * BUCKET_BYTES;
      throw corruption(path, offset, 'overflow pointer out of range');
    }
    m.w32[dst + 2 * OVERFLOW_SLOT] = next === 0 ? 0 : overflowFirst + next - 1;
  }
  Atomics.store(m.w32, H_OVERFLOW_COUNT, info.overflowBuckets);
}

function collectChain(m: IndexMemory, bucket: number, chains: number[]): void {
  let b = bucket;
  for (;;) {
    assert(m.covers(b), 'index arena: overflow pointer beyond COMMITTED');
    m.load64(b * ENTRIES_PER_BUCKET + OVERFLOW_SLOT);
    b = loaded.lo;
    if (b === 0) return;
    chains.push(b);
  }
}

/** Copies one bucket; a successor appended after `collectChain` ran ends the chain. */
function copyBucket(m: IndexMemory, bucket: number, words: Int32Array, doubles: Float64Array,
  at: number, numbering: Map<number, number>): void {
  const dst = (IMAGE_HEADER_BYTES + at * BUCKET_BYTES) / 8;
  const src = bucket * ENTRIES_PER_BUCKET;
  const f64 = m.f64;
  for (let e = 0; e < KEY_SLOTS; e++) doubles[dst + e] = f64[src + e]!;
  m.load64(src + OVERFLOW_SLOT);
  words[2 * (dst + OVERFLOW_SLOT)] = numbering.get(loaded.lo) ?? 0;
}

function imageCrc(image: Uint8Array, crc32c: Crc32c): number {
  const head = crc32c(image.subarray(0, 16), 0);
  return crc32c(image.subarray(IMAGE_HEADER_BYTES), head) >>> 0;
}
