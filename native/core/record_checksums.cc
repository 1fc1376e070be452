// See record_checksums.h; the record layout is core/record_layout.h.
#include "core/record_checksums.h"

#include <cstring>

#include "core/crc32c.h"
#include "core/hash_bucket.h"
#include "core/record_layout.h"

namespace fasterkv {
namespace core {
namespace {

using namespace record;  // NOLINT(build/namespaces): the layout's names, this file's subject

// The header bits a checksum covers: the address bits, Tombstone and InNewVersion.
constexpr uint32_t kHiChecksummed = kHiAddressMask | kHiTombstone | kHiInNewVersion;

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
