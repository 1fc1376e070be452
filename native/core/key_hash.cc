// Two 32-bit Murmur3-style lanes over little-endian words, mixed together at the end:
//   h1 = 0x9E3779B9 ^ n; h2 = 0x7F4A7C15 ^ n (n = key length, all arithmetic mod 2^32)
//   per whole word w:  h1 = rotl(h1 ^ rotl(w*C1, 15)*C2, 13)*5 + 0xE6546B64
//                      h2 = rotl(h2 ^ rotl(w*C2, 17)*C1, 15)*5 + 0x38495AB5
//   tail (1-3 bytes as w): h1 ^= rotl(w*C1, 15)*C2; h2 ^= rotl(w*C2, 17)*C1
//   h1 ^= n; h2 ^= n; h1 += h2; h2 += h1; fmix both; h1 += h2; h2 += h1
// The index takes the bucket from h1 and the 14-bit tag from h2, so they stay independent.
#include "core/key_hash.h"

namespace fasterkv {
namespace core {
namespace {

constexpr uint32_t kC1 = 0xCC9E2D51u;
constexpr uint32_t kC2 = 0x1B873593u;

inline uint32_t Rotl(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

inline uint32_t Fmix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return h;
}

}  // namespace

uint64_t KeyHash(const uint8_t* key, size_t length) {
  const uint32_t n = static_cast<uint32_t>(length);
  uint32_t h1 = 0x9E3779B9u ^ n;
  uint32_t h2 = 0x7F4A7C15u ^ n;
  size_t i = 0;
  for (; i + 4 <= length; i += 4) {
    const uint32_t w = static_cast<uint32_t>(key[i]) | (static_cast<uint32_t>(key[i + 1]) << 8) |
                       (static_cast<uint32_t>(key[i + 2]) << 16) |
                       (static_cast<uint32_t>(key[i + 3]) << 24);
    h1 = Rotl(h1 ^ (Rotl(w * kC1, 15) * kC2), 13) * 5 + 0xE6546B64u;
    h2 = Rotl(h2 ^ (Rotl(w * kC2, 17) * kC1), 15) * 5 + 0x38495AB5u;
  }
  const size_t rest = length - i;
  if (rest > 0) {
    uint32_t w = key[i];
    if (rest > 1) w |= static_cast<uint32_t>(key[i + 1]) << 8;
    if (rest > 2) w |= static_cast<uint32_t>(key[i + 2]) << 16;
    h1 ^= Rotl(w * kC1, 15) * kC2;
    h2 ^= Rotl(w * kC2, 17) * kC1;
  }
  h1 ^= n;
  h2 ^= n;
  h1 += h2;
  h2 += h1;
  h1 = Fmix(h1);
  h2 = Fmix(h2);
  h1 += h2;
  h2 += h1;
  return (static_cast<uint64_t>(h2 & 0x1FFFFFu) << 32) | h1;
}

}  // namespace core
}  // namespace fasterkv
