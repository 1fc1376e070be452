// See record_checksums.h. Layout constants restate src/record/record-layout.ts and
// record-info.ts (persisted format version 1); a test pins both engines to the same bytes.
#include "core/record_checksums.h"

#include <cstring>

#include "core/crc32c.h"

namespace fasterkv {
namespace core {
namespace {

constexpr uint64_t kFirstValidAddress = 64;
constexpr size_t kHeaderBytes = 24;
constexpr size_t kOffsetCrc = 8;
constexpr size_t kOffsetKeyBytes = 12;
constexpr size_t kOffsetValueCapacity = 20;
// HI_ADDRESS_MASK | HI_TOMBSTONE | HI_IN_NEW_VERSION, in the high 32 bits of the header word.
constexpr uint32_t kHiChecksummed = 0xffffu | (1u << (55 - 32)) | (1u << (61 - 32));

uint32_t LoadU32(const uint8_t* p) {
  // Little-endian targets only (x86-64, arm64), as the rest of the addon.
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

void StoreU32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }

// align8 of record-layout.ts, including its 32-bit wrap for lengths near 2^32 (damaged
// headers), so both engines classify every damaged length alike.
int64_t Align8(uint32_t n) {
  const int32_t wrapped = static_cast<int32_t>(static_cast<uint32_t>(n + 7u));
  return static_cast<int64_t>(wrapped & ~int32_t{7});
}

}  // namespace

uint32_t RecordChecksum(const uint8_t* record, size_t size) {
  uint8_t header[8];
  std::memcpy(header, record, 4);
  StoreU32(header + 4, LoadU32(record + 4) & kHiChecksummed);
  const uint32_t seed = Crc32c(0, header, 8);
  return Crc32c(seed, record + kOffsetKeyBytes, size - kOffsetKeyBytes);
}

WalkResult PageChecksums(uint8_t* page, size_t length, uint64_t page_start, size_t from,
                         size_t to, bool verify) {
  size_t off = from;
  if (page_start < kFirstValidAddress && kFirstValidAddress - page_start > off) {
    off = static_cast<size_t>(kFirstValidAddress - page_start);
  }
  while (off + 8 <= to) {
    const uint8_t* record = page + off;
    if (LoadU32(record) == 0 && LoadU32(record + 4) == 0) return {WalkHow::kPadding, off};
    int64_t size = 0;
    if (off + kHeaderBytes <= length) {
      size = static_cast<int64_t>(kHeaderBytes) + Align8(LoadU32(record + kOffsetKeyBytes)) +
             static_cast<int64_t>(LoadU32(record + kOffsetValueCapacity));
    }
    if (size < static_cast<int64_t>(kHeaderBytes) ||
        static_cast<uint64_t>(size) > length - off) {
      return {WalkHow::kBadLength, off};
    }
    const uint32_t crc = RecordChecksum(record, static_cast<size_t>(size));
    if (!verify) {
      StoreU32(page + off + kOffsetCrc, crc);
    } else if (LoadU32(record + kOffsetCrc) != crc) {
      return {WalkHow::kMismatch, off};
    }
    off += static_cast<size_t>(size);
  }
  return {WalkHow::kEnd, off};
}

}  // namespace core
}  // namespace fasterkv
