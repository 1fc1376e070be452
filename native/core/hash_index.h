// The hash index operations over a shared arena (FASTER's FindTag / FindOrCreateTag and the
// entry CAS), twin of src/fallback/hash-index.ts: same protocol, same words, so the native and
// TypeScript engines can operate on one index at the same time. The arena layout (header words,
// bump allocator, free list) is specified in src/index/index-header.ts and mirrored below.
//
// The arena is memory owned by JavaScript (a growable SharedArrayBuffer); this class only
// keeps its base address, which never moves when the buffer grows. Buckets at or beyond the
// header's COMMITTED count are never touched: a pointer there is reported as kCorrupt.
//
// Thread rules: every method is latch-free and may run on any thread at the same time as any
// other method on the same arena, from either engine. Memory orders: loads acquire, CAS and
// stores seq_cst; the re-scan after a tentative claim uses seq_cst loads so two creators of one
// tag cannot both miss each other.
#ifndef FASTERKV_CORE_HASH_INDEX_H_
#define FASTERKV_CORE_HASH_INDEX_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace fasterkv {
namespace core {

// Header words (32-bit, little-endian) of the arena; see src/index/index-header.ts.
namespace arena {
constexpr uint32_t kMagic = 0x58564B46;  // 'FKVX'
constexpr uint32_t kLayoutVersion = 1;
constexpr uint32_t kHeaderBuckets = 2;
constexpr uint32_t kHeaderWords = 32;
constexpr uint32_t kWordMagic = 0;
constexpr uint32_t kWordLayoutVersion = 1;
constexpr uint32_t kWordHeaderBuckets = 2;
constexpr uint32_t kWordResizeState = 3;
constexpr uint32_t kWordTable0First = 4;
constexpr uint32_t kWordTable0Log2 = 5;
constexpr uint32_t kWordAllocNext = 8;
constexpr uint32_t kWordCommitted = 9;
constexpr uint32_t kWordFreeHead = 10;  // 64-bit: bucket index | ABA count << 32
constexpr uint32_t kWordOverflowCount = 12;
constexpr uint32_t kWordSplitStatusFirst = 13;
constexpr uint32_t kWordSplitChunkLog2 = 14;
constexpr uint32_t kPhaseRest = 0;
constexpr uint32_t kPhasePrepareGrow = 1;
constexpr uint32_t kPhaseInProgressGrow = 2;
constexpr uint32_t kChunkSplit = 2;
constexpr uint32_t kMaxBuckets = uint32_t{1} << 26;
}  // namespace arena

// Results besides a slot (a slot is a word index >= 0).
constexpr int64_t kNotFound = -1;
constexpr int64_t kNeedsSplit = -2;
constexpr int64_t kNeedsMemory = -3;
constexpr int64_t kCorrupt = -4;

class HashIndex {
 public:
  // REQUIRES: `base` is the start of an arena whose header HeaderValid() accepted, and stays
  // mapped while this object is used.
  explicit HashIndex(uint8_t* base);

  // Whether `base` (of `length` bytes) starts with an arena header of this layout version.
  // Sets *version_mismatch when the magic matches but the version does not.
  static bool HeaderValid(const uint8_t* base, size_t length, bool* version_mismatch);

  // Slot of hash's tag (non-tentative), kNotFound, kNeedsSplit or kCorrupt.
  int64_t FindTag(uint64_t hash) const;
  // Slot of hash's tag, created if absent; kNeedsSplit, kNeedsMemory or kCorrupt.
  int64_t FindOrCreateTag(uint64_t hash, uint64_t begin_address);
  // Asks the CPU to load the first bucket of hash's chain into cache, so a FindOrCreateTag a
  // few hundred nanoseconds later does not wait on memory. Reads only; never fails.
  void PrefetchBucket(uint64_t hash) const;
  // Whether `slot` lies in the committed arena.
  bool SlotValid(uint64_t slot) const;
  uint64_t ReadEntryAddress(uint64_t slot) const;
  bool CasEntryAddress(uint64_t slot, uint64_t expected_address, uint64_t new_address);
  bool ClearIfAddress(uint64_t slot, uint64_t address);

 private:
  std::atomic<uint32_t>& Word(uint32_t index) const { return header_[index]; }
  std::atomic<uint64_t>& Entry(uint64_t slot) const { return entries_[slot]; }
  uint32_t Committed() const;
  int64_t FirstBucket(uint32_t lo) const;
  int64_t ScanForCreate(uint32_t first, uint32_t tag, uint64_t begin_address,
                        int64_t* free_slot, uint32_t* last_bucket);
  int64_t AppendOverflow(uint32_t last_bucket);
  bool OtherSlotHasTag(uint32_t first, uint32_t tag, uint64_t mine) const;
  int64_t AllocBucket();
  void FreeBucket(uint32_t bucket);

  std::atomic<uint32_t>* header_;
  std::atomic<uint64_t>* entries_;
};

}  // namespace core
}  // namespace fasterkv

#endif  // FASTERKV_CORE_HASH_INDEX_H_
