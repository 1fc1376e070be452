// Record checksums of a whole log page image in one call: the walk of src/record/record-walk.ts
// and the checksum of src/record/record-layout.ts, done natively so a flush, a snapshot page or
// a recovered page costs one binding call instead of one per record. Twin of
// src/fallback/page-checksums.ts; both walk the same records and give the same checksums.
//
// Walk: from offset max(from, kFirstValidAddress - pageStart, 0), record after record while
// offset + 8 <= to; a zero 8-byte header word is padding (stop), a record whose length fields
// give a size that does not fit the page (or whose header does not) is bad-length (stop).
// Checksum of a record: CRC32C of its 8-byte header word with the high half masked to the
// checksummed bits (the address bits, Tombstone, InNewVersion), continued over bytes
// [12, size); stored little-endian at offset 8.
// Thread rules: pure function over caller-owned bytes; safe from any thread.
#ifndef FASTERKV_CORE_RECORD_CHECKSUMS_H_
#define FASTERKV_CORE_RECORD_CHECKSUMS_H_

#include <cstddef>
#include <cstdint>

namespace fasterkv {
namespace core {

// How a walk ended; the values are part of the binding's result (offset * 4 + how).
enum class WalkHow : uint32_t { kEnd = 0, kPadding = 1, kBadLength = 2, kMismatch = 3 };

struct WalkResult {
  WalkHow how;
  size_t offset;
};

// Walks the records of page[0, length) (a page starting at log address `page_start`) in
// offsets [from, to). REQUIRES: to <= length. `verify` false: writes each record's checksum.
// `verify` true: compares it with the stored one and stops at the first record that differs
// (kMismatch at its offset); the page is not written.
WalkResult PageChecksums(uint8_t* page, size_t length, uint64_t page_start, size_t from,
                         size_t to, bool verify);

// The checksum of the record record[0, size) as defined above. REQUIRES: size >= 24 (the
// record's header fits). Shared with core/page_replay.cc, which verifies as it replays.
uint32_t RecordChecksum(const uint8_t* record, size_t size);

}  // namespace core
}  // namespace fasterkv

#endif  // FASTERKV_CORE_RECORD_CHECKSUMS_H_
