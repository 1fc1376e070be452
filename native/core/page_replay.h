// Recovery's replay of one log page image into the hash index (digest §8.1 step 8), in one
// call: the per-record work of src/recovery/log-replay.ts, which stays the reference and
// handles whatever this walk does not. Twin of src/fallback/page-replay.ts; both engines make
// the same index calls in the same order and write the same page bytes.
//
// Walk: from offset max(from, kFirstValidAddress - page_start), record after record while
// offset < to. For each record the walk checks, in this order, and stops (kStopped, at the
// record's offset, nothing done for it) when a check fails:
//  - a zero 8-byte header word: padding. Legal only when the page is replayed to its end
//    (to == length) and every byte from there to `to` is zero: the walk then ends (kDone at
//    the header's offset). Otherwise kStopped: damage, which the reference walk reports;
//  - the header and length fields fit before `to`, and the record (24 + align8(keyBytes) +
//    valueCapacity, computed without the 32-bit wrap a damaged length gives in TypeScript)
//    ends at or before `to`;
//  - its stored checksum matches (core/record_checksums.h).
// Then, for a record with Valid set (Sealed or not), at log address A = page_start + offset:
//  - slot = FindOrCreateTag(KeyHash(key), begin_address); a negative result (kNeedsSplit,
//    kNeedsMemory, kCorrupt) stops the walk with that outcome at this record, nothing done for
//    it: the caller serves the request (or hands the rest to the reference) and calls again
//    from this offset;
//  - InNewVersion and A >= start_address (version v+1, undone): the header's high half becomes
//    (hi & ~Valid) | Sealed, and when its PreviousAddress P < recover_from the slot is pointed
//    back at P (emptied if P < kFirstValidAddress);
//  - otherwise (redone): Sealed is cleared if set, and the slot is pointed at A.
// "Pointed at X": current = the slot's address; X < kFirstValidAddress empties the slot if it
// still holds current; else, if current != X, CAS current -> X (one thread: it succeeds).
//
// Thread rules: the index may be shared (every index step is its latch-free protocol); the page
// belongs to the caller for the call.
#ifndef FASTERKV_CORE_PAGE_REPLAY_H_
#define FASTERKV_CORE_PAGE_REPLAY_H_

#include <cstddef>
#include <cstdint>

#include "core/hash_index.h"

namespace fasterkv {
namespace core {

// How a replay walk ended; the values are part of the binding's result
// (offset * 16 + how * 2 + changed), src/fallback/page-replay.ts decodes them.
enum class ReplayHow : uint32_t {
  kDone = 0,
  kStopped = 1,
  kNeedsSplit = 2,
  kNeedsMemory = 3,
  kCorrupt = 4,
};

struct ReplayAddresses {
  // The log address replay started from: records below it are covered by the index image.
  uint64_t recover_from;
  // The checkpoint's start address: InNewVersion records at or after it are undone.
  uint64_t start_address;
  // The log's begin address: index entries below it are reclaimed.
  uint64_t begin_address;
};

struct ReplayResult {
  ReplayHow how;
  size_t offset;
  // Whether the walk wrote the page (cleared Valid or Sealed on some record).
  bool changed;
};

// Replays page[from, to) of a page image of `length` bytes starting at log address
// `page_start`. REQUIRES: to <= length.
ReplayResult ReplayPage(HashIndex& index, uint8_t* page, size_t length, uint64_t page_start,
                        size_t from, size_t to, const ReplayAddresses& addresses);

}  // namespace core
}  // namespace fasterkv

#endif  // FASTERKV_CORE_PAGE_REPLAY_H_
