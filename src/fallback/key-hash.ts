/**
 * The key hash of the hash index: 53 bits, returned as a non-negative integer `number` so the
 * hot path needs no BigInt. Pure TypeScript twin of native/core/key_hash.cc; the two are
 * bit-identical (pinned by test vectors in test/unit/checksum.test.ts).
 *
 * Definition (all arithmetic mod 2^32, words little-endian, n = key length):
 *   h1 = 0x9E3779B9 ^ n;  h2 = 0x7F4A7C15 ^ n
 *   for each whole 4-byte word w:
 *     k1 = rotl(w * C1, 15) * C2;  h1 = rotl(h1 ^ k1, 13) * 5 + 0xE6546B64
 *     k2 = rotl(w * C2, 17) * C1;  h2 = rotl(h2 ^ k2, 15) * 5 + 0x38495AB5
 *   tail (1-3 bytes, little-endian into w): h1 ^= rotl(w * C1, 15) * C2; h2 ^= rotl(w * C2, 17) * C1
 *   h1 ^= n; h2 ^= n; h1 += h2; h2 += h1; h1 = fmix(h1); h2 = fmix(h2); h1 += h2; h2 += h1
 *   hash = (h2 & 0x1FFFFF) * 2^32 + h1
 * with C1 = 0xCC9E2D51, C2 = 0x1B873593 and fmix Murmur3's 32-bit finalizer.
 * The index takes the bucket from the low bits (h1) and the 14-bit tag from h2 bits 7..20,
 * so bucket and tag stay independent for tables of up to 2^32 buckets.
 */
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const TWO_POW_32 = 4294967296;

export function keyHash(key: Uint8Array): number {
  return keyHashAt(key, 0, key.length);
}

/** keyHash of the key `data[start, end)`, without a view for it (recovery's replay). */
export function keyHashAt(key: Uint8Array, start: number, end: number): number {
  const n = end - start;
  let h1 = 0x9e3779b9 ^ n;
  let h2 = 0x7f4a7c15 ^ n;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const w = key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24);
    let k1 = Math.imul(w, C1);
    k1 = Math.imul((k1 << 15) | (k1 >>> 17), C2);
    h1 ^= k1;
    h1 = (Math.imul((h1 << 13) | (h1 >>> 19), 5) + 0xe6546b64) | 0;
    let k2 = Math.imul(w, C2);
    k2 = Math.imul((k2 << 17) | (k2 >>> 15), C1);
    h2 ^= k2;
    h2 = (Math.imul((h2 << 15) | (h2 >>> 17), 5) + 0x38495ab5) | 0;
  }
  const rest = end - i;
  if (rest > 0) {
    let w = key[i]!;
    if (rest > 1) w |= key[i + 1]! << 8;
    if (rest > 2) w |= key[i + 2]! << 16;
    let k1 = Math.imul(w, C1);
    h1 ^= Math.imul((k1 << 15) | (k1 >>> 17), C2);
    let k2 = Math.imul(w, C2);
    h2 ^= Math.imul((k2 << 17) | (k2 >>> 15), C1);
  }
  h1 ^= n;
  h2 ^= n;
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  return (h2 & 0x1fffff) * TWO_POW_32 + (h1 >>> 0);
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** The 14-bit tag of a hash (its top 14 bits). */
export function hashTag(hash: number): number {
  return (Math.floor(hash / TWO_POW_32) >>> 7) & 0x3fff;
}
