// FASTER's FindTag / FindOrCreateTag protocol over the shared arena (digest §3.3). The step by
// step contract is in src/fallback/hash-index.ts; this file must make the same decisions in
// the same order, so that either engine may continue what the other started.
#include "core/hash_index.h"

#include <cstring>

#include "core/hash_bucket.h"

namespace fasterkv {
namespace core {
namespace {

// The scan lost a race that changed the chain; scan again.
constexpr int64_t kRetry = -100;
constexpr uint32_t kWordsPerBucket = kBucketBytes / 4;
constexpr uint32_t kMaxTableLog2 = 25;

static_assert(sizeof(std::atomic<uint64_t>) == 8, "entries are plain 64-bit words");
static_assert(sizeof(std::atomic<uint32_t>) == 4, "header words are plain 32-bit words");
static_assert(std::atomic<uint64_t>::is_always_lock_free, "JS Atomics need lock-free words");

// A new free-list head: bucket in the low half, the ABA count (incremented, wrapping) above.
uint64_t FreeHead(uint64_t previous, uint32_t bucket) {
  const uint32_t count = static_cast<uint32_t>(previous >> 32) + 1;
  return (static_cast<uint64_t>(count) << 32) | bucket;
}

}  // namespace

HashIndex::HashIndex(uint8_t* base)
    : header_(reinterpret_cast<std::atomic<uint32_t>*>(base)),
      entries_(reinterpret_cast<std::atomic<uint64_t>*>(base)) {}

bool HashIndex::HeaderValid(const uint8_t* base, size_t length, bool* version_mismatch) {
  *version_mismatch = false;
  if (length < arena::kHeaderBuckets * kBucketBytes ||
      reinterpret_cast<uintptr_t>(base) % sizeof(uint64_t) != 0) {
    return false;
  }
  uint32_t magic, version;
  std::memcpy(&magic, base + 4 * arena::kWordMagic, 4);
  std::memcpy(&version, base + 4 * arena::kWordLayoutVersion, 4);
  if (magic != arena::kMagic) return false;
  *version_mismatch = version != arena::kLayoutVersion;
  return !*version_mismatch;
}

uint32_t HashIndex::Committed() const {
  return Word(arena::kWordCommitted).load(std::memory_order_acquire);
}

int64_t HashIndex::FirstBucket(uint32_t lo) const {
  const uint32_t state = Word(arena::kWordResizeState).load(std::memory_order_acquire);
  const uint32_t version = state & 1;
  const uint32_t log2 =
      Word(arena::kWordTable0Log2 + 2 * version).load(std::memory_order_relaxed);
  const uint32_t first =
      Word(arena::kWordTable0First + 2 * version).load(std::memory_order_relaxed);
  if (log2 > kMaxTableLog2) return kCorrupt;
  const uint64_t bucket = uint64_t{first} + (lo & ((uint32_t{1} << log2) - 1));
  if ((state >> 8) == arena::kPhaseInProgressGrow) {
    const uint32_t old_log2 =
        Word(arena::kWordTable0Log2 + 2 * (version ^ 1)).load(std::memory_order_relaxed);
    const uint32_t chunk_log2 = Word(arena::kWordSplitChunkLog2).load(std::memory_order_relaxed);
    if (old_log2 > kMaxTableLog2 || chunk_log2 > old_log2) return kCorrupt;
    const uint32_t chunk = (lo & ((uint32_t{1} << old_log2) - 1)) >> chunk_log2;
    const uint64_t word =
        uint64_t{Word(arena::kWordSplitStatusFirst).load(std::memory_order_relaxed)} *
            kWordsPerBucket + chunk;
    if (word / kWordsPerBucket >= Committed()) return kCorrupt;
    const uint32_t status = Word(static_cast<uint32_t>(word)).load(std::memory_order_acquire);
    if (status != arena::kChunkSplit) return kNeedsSplit;
  }
  if (bucket >= Committed()) return kCorrupt;
  return static_cast<int64_t>(bucket);
}

int64_t HashIndex::FindTag(uint64_t hash) const {
  const int64_t first = FirstBucket(static_cast<uint32_t>(hash));
  if (first < 0) return first;
  const uint64_t tag = HashTag(hash);
  uint32_t committed = Committed();
  uint64_t bucket = static_cast<uint64_t>(first);
  for (;;) {
    if (bucket >= committed && bucket >= (committed = Committed())) return kCorrupt;
    const uint64_t base = bucket * kEntriesPerBucket;
    for (uint32_t i = 0; i < kKeySlots; i++) {
      const uint64_t entry = Entry(base + i).load(std::memory_order_acquire);
      // Exact match of bits 48..63: the tag, not pending, not tentative.
      if (entry != kEmptyEntry && (entry >> kTagShift) == tag) {
        return static_cast<int64_t>(base + i);
      }
    }
    bucket = EntryAddress(Entry(base + kOverflowSlot).load(std::memory_order_acquire));
    if (bucket == 0) return kNotFound;
  }
}

int64_t HashIndex::FindOrCreateTag(uint64_t hash, uint64_t begin_address) {
  const int64_t first = FirstBucket(static_cast<uint32_t>(hash));
  if (first < 0) return first;
  const uint32_t first_bucket = static_cast<uint32_t>(first);
  const uint32_t tag = HashTag(hash);
  for (;;) {
    int64_t free_slot;
    uint32_t last_bucket;
    const int64_t found = ScanForCreate(first_bucket, tag, begin_address, &free_slot, &last_bucket);
    if (found != kNotFound) return found;
    int64_t slot = free_slot;
    if (slot < 0) {
      slot = AppendOverflow(last_bucket);
      if (slot == kRetry) continue;
      if (slot < 0) return slot;
    }
    uint64_t expected = kEmptyEntry;
    if (!Entry(slot).compare_exchange_strong(expected, MakeEntry(kTempInvalidAddress, tag, true))) {
      continue;
    }
    if (OtherSlotHasTag(first_bucket, tag, static_cast<uint64_t>(slot))) {
      Entry(slot).store(kEmptyEntry);
      continue;
    }
    Entry(slot).store(MakeEntry(kTempInvalidAddress, tag, false));
    return slot;
  }
}

// One pass over the chain: the slot holding `tag`, kNotFound or kCorrupt. Reclaims entries
// below begin_address (never kTempInvalidAddress); reports the first empty slot (-1 if none)
// and the chain's last bucket.
int64_t HashIndex::ScanForCreate(uint32_t first, uint32_t tag, uint64_t begin_address,
                                 int64_t* free_slot, uint32_t* last_bucket) {
  *free_slot = -1;
  uint32_t committed = Committed();
  uint64_t bucket = first;
  for (;;) {
    if (bucket >= committed && bucket >= (committed = Committed())) return kCorrupt;
    const uint64_t base = bucket * kEntriesPerBucket;
    for (uint32_t i = 0; i < kKeySlots; i++) {
      const int64_t slot = static_cast<int64_t>(base + i);
      uint64_t entry = Entry(slot).load(std::memory_order_acquire);
      if (entry == kEmptyEntry) {
        if (*free_slot < 0) *free_slot = slot;
        continue;
      }
      if (EntryTentative(entry)) continue;
      const uint64_t address = EntryAddress(entry);
      if (address < begin_address && address != kTempInvalidAddress) {
        if (Entry(slot).compare_exchange_strong(entry, kEmptyEntry) && *free_slot < 0) {
          *free_slot = slot;
        }
      } else if ((entry >> kTagShift) == tag) {
        return slot;
      }
    }
    *last_bucket = static_cast<uint32_t>(bucket);
    bucket = EntryAddress(Entry(base + kOverflowSlot).load(std::memory_order_acquire));
    if (bucket == 0) return kNotFound;
  }
}

// Links a new overflow bucket after `last_bucket`, keeping the latch bits; returns its first
// slot, kRetry (another thread linked one first) or kNeedsMemory.
int64_t HashIndex::AppendOverflow(uint32_t last_bucket) {
  std::atomic<uint64_t>& word = Entry(uint64_t{last_bucket} * kEntriesPerBucket + kOverflowSlot);
  uint64_t current = word.load(std::memory_order_acquire);
  if (EntryAddress(current) != 0) return kRetry;
  const int64_t bucket = AllocBucket();
  if (bucket < 0) return bucket;
  const uint64_t desired = (current & ~kAddressMask) | static_cast<uint64_t>(bucket);
  if (word.compare_exchange_strong(current, desired)) return bucket * kEntriesPerBucket;
  FreeBucket(static_cast<uint32_t>(bucket));
  return kRetry;
}

bool HashIndex::OtherSlotHasTag(uint32_t first, uint32_t tag, uint64_t mine) const {
  uint64_t bucket = first;
  for (;;) {
    if (bucket >= Committed()) return false;
    const uint64_t base = bucket * kEntriesPerBucket;
    for (uint32_t i = 0; i < kKeySlots; i++) {
      if (base + i == mine) continue;
      const uint64_t entry = Entry(base + i).load(std::memory_order_seq_cst);
      if (entry != kEmptyEntry && EntryTag(entry) == tag) return true;
    }
    bucket = EntryAddress(Entry(base + kOverflowSlot).load(std::memory_order_seq_cst));
    if (bucket == 0) return false;
  }
}

// A zeroed bucket: popped from the free list, else bumped from ALLOC_NEXT; kNeedsMemory when
// the committed arena is used up (JavaScript grows it and calls again).
int64_t HashIndex::AllocBucket() {
  std::atomic<uint64_t>& head = Entry(arena::kWordFreeHead / 2);
  uint64_t seen = head.load(std::memory_order_acquire);
  while (static_cast<uint32_t>(seen) != 0) {
    const uint32_t bucket = static_cast<uint32_t>(seen);
    if (bucket >= Committed()) return kCorrupt;
    std::atomic<uint32_t>& link = Word(bucket * kWordsPerBucket);
    if (head.compare_exchange_weak(seen, FreeHead(seen, link.load(std::memory_order_acquire)))) {
      link.store(0);
      Word(arena::kWordOverflowCount).fetch_add(1);
      return bucket;
    }
  }
  std::atomic<uint32_t>& alloc_next = Word(arena::kWordAllocNext);
  uint32_t next = alloc_next.load();
  do {
    if (uint64_t{next} + 1 > Committed()) return kNeedsMemory;
  } while (!alloc_next.compare_exchange_weak(next, next + 1));
  Word(arena::kWordOverflowCount).fetch_add(1);
  return next;
}

// Returns a bucket that was never published (a CAS loser's) to the free list.
void HashIndex::FreeBucket(uint32_t bucket) {
  std::atomic<uint64_t>& head = Entry(arena::kWordFreeHead / 2);
  uint64_t seen = head.load(std::memory_order_acquire);
  do {
    Word(bucket * kWordsPerBucket).store(static_cast<uint32_t>(seen));
  } while (!head.compare_exchange_weak(seen, FreeHead(seen, bucket)));
  Word(arena::kWordOverflowCount).fetch_sub(1);
}

void HashIndex::PrefetchBucket(uint64_t hash) const {
  const uint32_t version = Word(arena::kWordResizeState).load(std::memory_order_relaxed) & 1;
  const uint32_t log2 =
      Word(arena::kWordTable0Log2 + 2 * version).load(std::memory_order_relaxed);
  const uint32_t first =
      Word(arena::kWordTable0First + 2 * version).load(std::memory_order_relaxed);
  if (log2 > kMaxTableLog2) return;
  const uint64_t bucket =
      uint64_t{first} + (static_cast<uint32_t>(hash) & ((uint32_t{1} << log2) - 1));
  if (bucket >= Committed()) return;
  // A bucket is one cache line when the arena's base is 64-byte aligned; else it spans two.
  const char* line = reinterpret_cast<const char*>(&entries_[bucket * kEntriesPerBucket]);
  __builtin_prefetch(line);
  __builtin_prefetch(line + kBucketBytes - 1);
}

bool HashIndex::SlotValid(uint64_t slot) const { return slot / kEntriesPerBucket < Committed(); }

uint64_t HashIndex::ReadEntryAddress(uint64_t slot) const {
  return EntryAddress(Entry(slot).load(std::memory_order_acquire));
}

bool HashIndex::CasEntryAddress(uint64_t slot, uint64_t expected_address, uint64_t new_address) {
  uint64_t entry = Entry(slot).load(std::memory_order_acquire);
  if (entry == kEmptyEntry || EntryTentative(entry) || EntryAddress(entry) != expected_address) {
    return false;
  }
  const uint64_t desired = (entry & ~kAddressMask) | (new_address & kAddressMask);
  return Entry(slot).compare_exchange_strong(entry, desired);
}

bool HashIndex::ClearIfAddress(uint64_t slot, uint64_t address) {
  uint64_t entry = Entry(slot).load(std::memory_order_acquire);
  if (entry == kEmptyEntry || EntryTentative(entry) || EntryAddress(entry) != address) {
    return false;
  }
  return Entry(slot).compare_exchange_strong(entry, kEmptyEntry);
}

}  // namespace core
}  // namespace fasterkv
