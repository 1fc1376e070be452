// Hash bucket and hash entry layout of the FasterKV hash index (FASTER's HashBucket and
// HashBucketEntry). Twin of src/index/hash-bucket.ts, which carries the bit diagram; a unit test
// pins the two sets of constants together (indexLayout()).
//
// Bucket = 64 bytes = 8 x 64-bit entries: 0..6 key slots, 7 the overflow pointer.
// Key-slot entry: bits 0..47 address (47 = read-cache flag), 48..61 tag, 62 pending (always 0
// here), 63 tentative. 0 = empty slot; a claimed slot without a record holds address 1.
// Overflow entry: bits 0..47 arena bucket index of the next bucket (0 = none); bits 48..63 are
// FASTER's bucket latch, preserved by every pointer update.
#ifndef FASTERKV_CORE_HASH_BUCKET_H_
#define FASTERKV_CORE_HASH_BUCKET_H_

#include <cstdint>

namespace fasterkv {
namespace core {

constexpr uint32_t kBucketBytes = 64;
constexpr uint32_t kEntriesPerBucket = 8;
constexpr uint32_t kKeySlots = 7;
constexpr uint32_t kOverflowSlot = 7;

constexpr int kAddressBits = 48;
constexpr int kReadCacheBit = 47;
constexpr int kTagShift = 48;
constexpr int kTagBits = 14;
constexpr int kPendingBit = 62;
constexpr int kTentativeBit = 63;

constexpr uint64_t kAddressMask = (uint64_t{1} << kAddressBits) - 1;
constexpr uint64_t kTagMask = (uint64_t{1} << kTagBits) - 1;
constexpr uint64_t kTentativeFlag = uint64_t{1} << kTentativeBit;
constexpr uint64_t kEmptyEntry = 0;
// FASTER's kTempInvalidAddress and kFirstValidAddress.
constexpr uint64_t kTempInvalidAddress = 1;
constexpr uint64_t kFirstValidAddress = 64;

static_assert(kBucketBytes == kEntriesPerBucket * sizeof(uint64_t), "one cache line");
static_assert(kTagShift + kTagBits == kPendingBit, "tag ends below the pending bit");

inline uint64_t EntryAddress(uint64_t entry) { return entry & kAddressMask; }
inline uint32_t EntryTag(uint64_t entry) {
  return static_cast<uint32_t>((entry >> kTagShift) & kTagMask);
}
inline bool EntryTentative(uint64_t entry) { return (entry & kTentativeFlag) != 0; }
inline uint64_t MakeEntry(uint64_t address, uint32_t tag, bool tentative) {
  return (address & kAddressMask) | ((tag & kTagMask) << kTagShift) |
         (tentative ? kTentativeFlag : 0);
}

// The tag of a 53-bit key hash: its top 14 bits (bits 39..52), as hashTag() in key-hash.ts.
inline uint32_t HashTag(uint64_t hash) { return static_cast<uint32_t>((hash >> 39) & kTagMask); }

}  // namespace core
}  // namespace fasterkv

#endif  // FASTERKV_CORE_HASH_BUCKET_H_
