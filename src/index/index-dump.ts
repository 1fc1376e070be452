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
 * Fuzzy: the dump runs while operations continue. It copies the main table with one
 * TypedArray `set` out of the arena's SharedArrayBuffer, then each overflow bucket of each
 * chain the same way, following the successor the copy of the previous bucket recorded (so the
 * chains of the image are consistent with themselves). V8 copies out of a SharedArrayBuffer
 * with a relaxed-atomic memcpy, in aligned machine words when source and target are equally
 * aligned (both are 8-byte aligned here): each 8-byte entry is read with one access, as
 * IndexMemory's loadEntryAddress reads it, so no entry is torn, but the image mixes states
 * from during the dump. Recovery replays
 * the log from the address recorded before the dump started, which repairs it. Tentative
 * entries may be captured; `loadImage` clears them. REQUIRES for dump: no index resize in
 * progress (phase REST); the checkpoint state machine never overlaps a grow.
 */
import { FasterError, assert, corruption } from '../errors.js';
import { BUCKET_BYTES, KEY_SLOTS, OVERFLOW_SLOT } from './hash-bucket.js';
import {
  H_OVERFLOW_COUNT, H_RESIZE_STATE, H_TABLE0_FIRST, H_TABLE0_LOG2, PHASE_REST, resizePhase,
  resizeVersion,
} from './index-header.js';
import type { IndexMemory } from './index-memory.js';

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
  assert(m.covers(first + buckets - 1), 'index arena: table beyond COMMITTED');
  // Room for the overflow buckets allocated so far; chains grown during the dump grow it.
  let capacity = buckets + Atomics.load(w, H_OVERFLOW_COUNT) + 64;
  let image = new Uint8Array(IMAGE_HEADER_BYTES + capacity * BUCKET_BYTES);
  // The main table in one copy (see the header for why entries are not torn).
  image.set(new Uint8Array(m.buffer, first * BUCKET_BYTES, buckets * BUCKET_BYTES),
    IMAGE_HEADER_BYTES);
  let words = new Int32Array(image.buffer);
  let overflow = 0;
  for (let i = 0; i < buckets; i++) {
    // Follow the chain as the copies recorded it: each copied bucket names its successor.
    let link = (IMAGE_HEADER_BYTES + i * BUCKET_BYTES) / 4 + 2 * OVERFLOW_SLOT;
    for (;;) {
      const next = words[link]! >>> 0;
      words[link + 1] = 0;
      if (next === 0) break;
      assert(m.covers(next), 'index arena: overflow pointer beyond COMMITTED');
      if (buckets + overflow === capacity) {
        capacity *= 2;
        const grown = new Uint8Array(IMAGE_HEADER_BYTES + capacity * BUCKET_BYTES);
        grown.set(image);
        image = grown;
        words = new Int32Array(image.buffer);
      }
      const at = IMAGE_HEADER_BYTES + (buckets + overflow) * BUCKET_BYTES;
      image.set(new Uint8Array(m.buffer, next * BUCKET_BYTES, BUCKET_BYTES), at);
      overflow++;
      words[link] = overflow;
      link = at / 4 + 2 * OVERFLOW_SLOT;
    }
  }
  image = image.subarray(0, IMAGE_HEADER_BYTES + (buckets + overflow) * BUCKET_BYTES);
  const view = new DataView(image.buffer);
  view.setUint32(0, IMAGE_MAGIC, true);
  view.setUint32(4, IMAGE_VERSION, true);
  view.setUint32(8, log2, true);
  view.setUint32(12, overflow, true);
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
 * pointers to arena buckets, and clearing tentative entries. The buckets go in with two bulk
 * copies (the arena is not shared yet); a pass over the copied words then fixes them up.
 */
export function loadImage(
  m: IndexMemory, image: Uint8Array, info: ImageInfo, overflowFirst: number, path: string,
): void {
  const buckets = 2 ** info.log2;
  const first = m.w32[H_TABLE0_FIRST]!;
  const mainBytes = buckets * BUCKET_BYTES;
  const arena = new Uint8Array(m.buffer);
  arena.set(image.subarray(IMAGE_HEADER_BYTES, IMAGE_HEADER_BYTES + mainBytes),
    first * BUCKET_BYTES);
  arena.set(image.subarray(IMAGE_HEADER_BYTES + mainBytes), overflowFirst * BUCKET_BYTES);
  // Find what needs fixing by reading the image (a plain buffer reads faster than the shared
  // arena), and write to the arena only there: chain links and tentative entries are few.
  const body = image.subarray(IMAGE_HEADER_BYTES);
  const words = body.byteOffset % 4 === 0
    ? new Int32Array(body.buffer, body.byteOffset, body.length / 4)
    : new Int32Array(body.slice().buffer);
  const total = buckets + info.overflowBuckets;
  const w = m.w32;
  for (let k = 0; k < total; k++) {
    const src = k * 16;
    const link = src + 2 * OVERFLOW_SLOT;
    const next = words[link]! >>> 0;
    let tentative = false;
    for (let e = 0; e < KEY_SLOTS; e++) if (words[src + 2 * e + 1]! < 0) tentative = true;
    if (next === 0 && words[link + 1] === 0 && !tentative) continue;
    if (next > info.overflowBuckets) {
      const offset = IMAGE_HEADER_BYTES + k * BUCKET_BYTES;
      throw corruption(path, offset, 'overflow pointer out of range');
    }
    const dst = (k < buckets ? first + k : overflowFirst + (k - buckets)) * 16;
    for (let e = 0; e < KEY_SLOTS && tentative; e++) {
      if (words[src + 2 * e + 1]! < 0) {
        w[dst + 2 * e] = 0;
        w[dst + 2 * e + 1] = 0;
      }
    }
    w[dst + 2 * OVERFLOW_SLOT] = next === 0 ? 0 : overflowFirst + next - 1;
    w[dst + 2 * OVERFLOW_SLOT + 1] = 0;
  }
  Atomics.store(m.w32, H_OVERFLOW_COUNT, info.overflowBuckets);
}

function imageCrc(image: Uint8Array, crc32c: Crc32c): number {
  const head = crc32c(image.subarray(0, 16), 0);
  return crc32c(image.subarray(IMAGE_HEADER_BYTES), head) >>> 0;
}
