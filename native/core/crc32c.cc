// CRC32C, two paths: the SSE4.2 `crc32` instruction 8 bytes at a time, and slicing-by-8
// tables for CPUs without it. The choice is made once from CPUID; both paths are checked
// against each other and against the TypeScript twin by the tests.
#include "core/crc32c.h"

#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace fasterkv {
namespace core {
namespace {

constexpr uint32_t kPolynomial = 0x82F63B78u;

// kTables.t[k][b] is the CRC register after byte b followed by k zero bytes, so eight bytes
// can be folded with eight independent lookups. Built at compile time (8 KiB, read-only).
struct Tables {
  uint32_t t[8][256];
};

constexpr Tables BuildTables() {
  Tables tables{};
  for (uint32_t b = 0; b < 256; b++) {
    uint32_t c = b;
    for (int i = 0; i < 8; i++) c = (c & 1) ? (c >> 1) ^ kPolynomial : c >> 1;
    tables.t[0][b] = c;
  }
  for (uint32_t b = 0; b < 256; b++) {
    uint32_t c = tables.t[0][b];
    for (int k = 1; k < 8; k++) {
      c = tables.t[0][c & 0xFF] ^ (c >> 8);
      tables.t[k][b] = c;
    }
  }
  return tables;
}

constexpr Tables kTables = BuildTables();

inline uint32_t LoadLittleEndian32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

// Advances the (pre-inverted) CRC register `c` over data[0, length) with tables.
uint32_t ExtendPortable(uint32_t c, const uint8_t* p, size_t length) {
  const auto& t = kTables.t;
  for (; length >= 8; p += 8, length -= 8) {
    const uint32_t lo = LoadLittleEndian32(p) ^ c;
    const uint32_t hi = LoadLittleEndian32(p + 4);
    c = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
        t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
  }
  for (; length > 0; p++, length--) c = t[0][(c ^ *p) & 0xFF] ^ (c >> 8);
  return c;
}

#if defined(__x86_64__)
// Same register semantics as ExtendPortable, on the SSE4.2 instruction. Only called after
// the CPUID check; the target attribute lets it compile without -msse4.2 for the whole file.
__attribute__((target("sse4.2"))) uint32_t ExtendSse42(uint32_t c, const uint8_t* p,
                                                         size_t length) {
  uint64_t c64 = c;
  for (; length >= 8; p += 8, length -= 8) {
    uint64_t word;
    std::memcpy(&word, p, sizeof(word));
    c64 = _mm_crc32_u64(c64, word);
  }
  uint32_t c32 = static_cast<uint32_t>(c64);
  for (; length > 0; p++, length--) c32 = _mm_crc32_u8(c32, *p);
  return c32;
}
#endif

bool DetectHardware() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
#else
  return false;
#endif
}

const bool kHardware = DetectHardware();

}  // namespace

uint32_t Crc32c(uint32_t crc, const uint8_t* data, size_t length) {
#if defined(__x86_64__)
  if (kHardware) return ~ExtendSse42(~crc, data, length);
#endif
  return ~ExtendPortable(~crc, data, length);
}

uint32_t Crc32cPortable(uint32_t crc, const uint8_t* data, size_t length) {
  return ~ExtendPortable(~crc, data, length);
}

bool Crc32cHardware() { return kHardware; }

}  // namespace core
}  // namespace fasterkv
