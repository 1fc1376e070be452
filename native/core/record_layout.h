// The FasterKV record layout (persisted format version 1), as the native walks read it.
// Restates src/record/record-layout.ts and src/record/record-info.ts; a test pins both engines
// to the same bytes.
//
//   offset 0   header word, 8 bytes: low 32 bits + high 16 bits = PreviousAddress; flags in
//              the high 32 bits (Tombstone 55, Valid 56, Sealed 57, InNewVersion 61, ...)
//          8   CRC32C of the record (record_checksums.h), little-endian
//         12   key bytes     16   value bytes     20   value capacity
//         24   key, padded to 8 bytes, then the value's capacity
// Little-endian targets only (x86-64, arm64), as the rest of the addon.
#ifndef FASTERKV_CORE_RECORD_LAYOUT_H_
#define FASTERKV_CORE_RECORD_LAYOUT_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace fasterkv {
namespace core {
namespace record {

constexpr size_t kHeaderBytes = 24;
constexpr size_t kOffsetCrc = 8;
constexpr size_t kOffsetKeyBytes = 12;
constexpr size_t kOffsetValueCapacity = 20;

// Flags in the high 32 bits of the header word.
constexpr uint32_t kHiAddressMask = 0xffffu;
constexpr uint32_t kHiTombstone = 1u << (55 - 32);
constexpr uint32_t kHiValid = 1u << (56 - 32);
constexpr uint32_t kHiSealed = 1u << (57 - 32);
constexpr uint32_t kHiInNewVersion = 1u << (61 - 32);

inline uint32_t LoadU32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline void StoreU32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }

}  // namespace record
}  // namespace core
}  // namespace fasterkv

#endif  // FASTERKV_CORE_RECORD_LAYOUT_H_
