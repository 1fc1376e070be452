// The key hash of the hash index: 53 bits, so it fits a JS number exactly. Twin of
// src/fallback/key-hash.ts, bit-identical; the definition is in that file's header and is
// restated in key_hash.cc. Pure function; safe from any thread.
#ifndef FASTERKV_CORE_KEY_HASH_H_
#define FASTERKV_CORE_KEY_HASH_H_

#include <cstddef>
#include <cstdint>

namespace fasterkv {
namespace core {

// Returns (h2 & 0x1FFFFF) * 2^32 + h1, always below 2^53.
uint64_t KeyHash(const uint8_t* key, size_t length);

}  // namespace core
}  // namespace fasterkv

#endif  // FASTERKV_CORE_KEY_HASH_H_
