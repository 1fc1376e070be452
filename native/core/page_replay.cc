// See page_replay.h; the record layout is core/record_layout.h.
#include "core/page_replay.h"

#include <cstring>

#include "core/hash_bucket.h"
#include "core/key_hash.h"
#include "core/record_checksums.h"
#include "core/record_layout.h"

namespace fasterkv {
namespace core {
namespace {

using namespace record;  // NOLINT(build/namespaces): the layout's names, this file's subject

bool AllZero(const uint8_t* p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (w != 0) return false;
  }
  for (; i < n; i++) {
    if (p[i] != 0) return false;
  }
  return true;
}

// Points `slot` at `address` as log-replay.ts's setEntry does.
void SetEntry(HashIndex& index, uint64_t slot, uint64_t address) {
  const uint64_t current = index.ReadEntryAddress(slot);
  if (address < kFirstValidAddress) {
    index.ClearIfAddress(slot, current);
  } else if (current != address) {
    index.CasEntryAddress(slot, current, address);
  }
}

ReplayHow FromIndexResult(int64_t result) {
  if (result == kNeedsSplit) return ReplayHow::kNeedsSplit;
  if (result == kNeedsMemory) return ReplayHow::kNeedsMemory;
  return ReplayHow::kCorrupt;
}

// A record the scout found well formed: where it is, its size, its key hash (Valid only).
struct Scouted {
  size_t offset;
  size_t size;
  uint64_t hash;
};

// Records scouted ahead of the replay, so the first bucket of each is being loaded into cache
// while the ones before it are replayed (a bucket miss is most of a record's cost).
constexpr size_t kScoutRecords = 16;

// The size of the record at `off` when its header is not zero and it fits before `to`; 0
// otherwise (the walk's checks, in its order, minus the checksum).
size_t WellFormedSize(const uint8_t* page, size_t off, size_t to) {
  if (to - off < kHeaderBytes) return 0;
  const uint8_t* record = page + off;
  if (LoadU32(record) == 0 && LoadU32(record + 4) == 0) return 0;
  const uint64_t key_bytes = LoadU32(record + kOffsetKeyBytes);
  const uint64_t size =
      kHeaderBytes + ((key_bytes + 7) & ~uint64_t{7}) + LoadU32(record + kOffsetValueCapacity);
  return size <= to - off ? static_cast<size_t>(size) : 0;
}

// Verifies and replays one well-formed record; false (nothing done) when its checksum differs.
// Sets *slot_result to the failed index result when FindOrCreateTag asks for something.
bool ReplayRecord(HashIndex& index, uint8_t* page, uint64_t page_start, const Scouted& r,
                  const ReplayAddresses& addresses, bool* changed, int64_t* slot_result) {
  uint8_t* record = page + r.offset;
  if (RecordChecksum(record, r.size) != LoadU32(record + kOffsetCrc)) return false;
  const uint32_t lo = LoadU32(record);
  const uint32_t hi = LoadU32(record + 4);
  if ((hi & kHiValid) == 0) return true;
  const uint64_t address = page_start + r.offset;
  const int64_t slot = index.FindOrCreateTag(r.hash, addresses.begin_address);
  if (slot < 0) {
    *slot_result = slot;
    return false;
  }
  if ((hi & kHiInNewVersion) != 0 && address >= addresses.start_address) {
    StoreU32(record + 4, (hi & ~kHiValid) | kHiSealed);
    *changed = true;
    const uint64_t previous = (uint64_t{hi & kHiAddressMask} << 32) | lo;
    if (previous < addresses.recover_from) {
      SetEntry(index, static_cast<uint64_t>(slot), previous);
    }
  } else {
    if ((hi & kHiSealed) != 0) {
      StoreU32(record + 4, hi & ~kHiSealed);
      *changed = true;
    }
    SetEntry(index, static_cast<uint64_t>(slot), address);
  }
  return true;
}

}  // namespace

ReplayResult ReplayPage(HashIndex& index, uint8_t* page, size_t length, uint64_t page_start,
                        size_t from, size_t to, const ReplayAddresses& addresses) {
  size_t off = from;
  if (page_start < kFirstValidAddress && kFirstValidAddress - page_start > off) {
    off = static_cast<size_t>(kFirstValidAddress - page_start);
  }
  bool changed = false;
  Scouted scouted[kScoutRecords];
  while (off < to) {
    // Scout: the well-formed records from `off`, prefetching the buckets of the Valid ones.
    size_t count = 0;
    size_t scout = off;
    while (count < kScoutRecords && scout < to) {
      const size_t size = WellFormedSize(page, scout, to);
      if (size == 0) break;
      const uint8_t* record = page + scout;
      uint64_t hash = 0;
      if ((LoadU32(record + 4) & kHiValid) != 0) {
        hash = KeyHash(record + kHeaderBytes, LoadU32(record + kOffsetKeyBytes));
        index.PrefetchBucket(hash);
      }
      scouted[count++] = {scout, size, hash};
      scout += size;
    }
    for (size_t i = 0; i < count; i++) {
      int64_t slot_result = 0;
      if (!ReplayRecord(index, page, page_start, scouted[i], addresses, &changed,
                        &slot_result)) {
        const ReplayHow how = slot_result < 0 ? FromIndexResult(slot_result) : ReplayHow::kStopped;
        return {how, scouted[i].offset, changed};
      }
    }
    if (count > 0) {
      off = scout;
      continue;
    }
    // The record at `off` is not well formed: padding that ends the page, or something the
    // reference walk must judge.
    const uint8_t* record = page + off;
    const bool padding = to - off >= 8 && LoadU32(record) == 0 && LoadU32(record + 4) == 0 &&
                         to == length && AllZero(record, to - off);
    return {padding ? ReplayHow::kDone : ReplayHow::kStopped, off, changed};
  }
  return {ReplayHow::kDone, off, changed};
}

}  // namespace core
}  // namespace fasterkv
