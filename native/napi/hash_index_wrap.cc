// Index handles and the hot index calls. The hot calls use the N-API C functions directly:
// numbers in, a number or boolean out, no handles scopes or objects created.
//
// Lifetime: indexAttach keeps a reference to the arena's Uint8Array (and so to its
// SharedArrayBuffer) until indexDetach or environment teardown, so the base address the core
// holds stays valid. The buffer may grow meanwhile: a growable SharedArrayBuffer keeps its base
// address, and the core never reads beyond the committed buckets named in the arena header.
// Thread rules: handles belong to one environment (main thread or one worker) and its JS
// thread; the arena itself is shared with any number of threads and engines.
#include "napi/hash_index_wrap.h"

#include <memory>
#include <vector>

#include "core/hash_bucket.h"
#include "core/hash_index.h"
#include "napi/args.h"
#include "napi/errors.h"

namespace fasterkv {
namespace napi {
bool CheckArena(Napi::Env env, const Bytes& memory, const Napi::Value& arg) {
  bool version_mismatch = false;
  if (core::HashIndex::HeaderValid(memory.data, memory.length, &version_mismatch)) return true;
  if (version_mismatch) {
    Throw(env, MakeError(env, "ERR_FORMAT_VERSION", "index arena layout version is not " +
                                                        std::to_string(core::arena::kLayoutVersion)));
  } else {
    ThrowInvalidArgument(env, "memory", "a Uint8Array over a whole index arena", arg);
  }
  return false;
}

namespace {

struct Attachment {
  napi_ref memory;
  core::HashIndex index;
};

// The attachments of one environment; freed by its cleanup hook.
struct IndexTable {
  napi_env env;
  std::vector<std::unique_ptr<Attachment>> attachments;
};

void CleanupTable(void* arg) {
  IndexTable* table = static_cast<IndexTable*>(arg);
  for (const std::unique_ptr<Attachment>& attachment : table->attachments) {
    if (attachment) napi_delete_reference(table->env, attachment->memory);
  }
  delete table;
}

constexpr double kMaxSafe = static_cast<double>(kMaxSafeInteger);
constexpr const char* kArgNames[] = {"handle", "hash", "slot", "address", "newAddress"};

// Reads `argc` numbers (handle first) and the attachment, or throws and returns nullptr.
// `names` index kArgNames for the error message of each argument.
Attachment* ReadCall(napi_env env, napi_callback_info cb, size_t argc, const int* names,
                     double* numbers) {
  napi_value argv[4];
  size_t given = argc;
  void* data = nullptr;
  napi_get_cb_info(env, cb, &given, argv, nullptr, &data);
  for (size_t i = 0; i < argc; i++) {
    if (napi_get_value_double(env, argv[i], &numbers[i]) != napi_ok ||
        !(numbers[i] >= 0 && numbers[i] <= kMaxSafe)) {
      ThrowInvalidArgument(Napi::Env(env), kArgNames[names[i]], "an integer in [0, 2^53)",
                           Napi::Value(env, argv[i]));
      return nullptr;
    }
  }
  IndexTable* table = static_cast<IndexTable*>(data);
  const double handle = numbers[0];
  if (!(handle < static_cast<double>(table->attachments.size())) ||
      !table->attachments[static_cast<size_t>(handle)]) {
    ThrowInvalidArgument(Napi::Env(env), "handle", "an attached index handle",
                         Napi::Value(env, argv[0]));
    return nullptr;
  }
  return table->attachments[static_cast<size_t>(handle)].get();
}

// The attachment and a valid slot (numbers[1]), or throws and returns nullptr.
Attachment* ReadSlotCall(napi_env env, napi_callback_info cb, size_t argc, const int* names,
                         double* numbers) {
  Attachment* attachment = ReadCall(env, cb, argc, names, numbers);
  if (attachment == nullptr) return nullptr;
  if (!attachment->index.SlotValid(static_cast<uint64_t>(numbers[1]))) {
    Napi::Env js_env(env);
    ThrowInvalidArgument(js_env, "slot", "a slot of this index",
                         Napi::Number::New(js_env, numbers[1]));
    return nullptr;
  }
  return attachment;
}

napi_value Number(napi_env env, double value) {
  napi_value out;
  napi_create_double(env, value, &out);
  return out;
}

napi_value Boolean(napi_env env, bool value) {
  napi_value out;
  napi_get_boolean(env, value, &out);
  return out;
}

napi_value JsFindTag(napi_env env, napi_callback_info cb) {
  static const int names[] = {0, 1};
  double n[2];
  Attachment* a = ReadCall(env, cb, 2, names, n);
  if (a == nullptr) return nullptr;
  return Number(env, static_cast<double>(a->index.FindTag(static_cast<uint64_t>(n[1]))));
}

napi_value JsFindOrCreateTag(napi_env env, napi_callback_info cb) {
  static const int names[] = {0, 1, 3};
  double n[3];
  Attachment* a = ReadCall(env, cb, 3, names, n);
  if (a == nullptr) return nullptr;
  const int64_t slot =
      a->index.FindOrCreateTag(static_cast<uint64_t>(n[1]), static_cast<uint64_t>(n[2]));
  return Number(env, static_cast<double>(slot));
}

napi_value JsReadEntry(napi_env env, napi_callback_info cb) {
  static const int names[] = {0, 2};
  double n[2];
  Attachment* a = ReadSlotCall(env, cb, 2, names, n);
  if (a == nullptr) return nullptr;
  return Number(env, static_cast<double>(a->index.ReadEntryAddress(static_cast<uint64_t>(n[1]))));
}

napi_value JsCasEntryAddress(napi_env env, napi_callback_info cb) {
  static const int names[] = {0, 2, 3, 4};
  double n[4];
  Attachment* a = ReadSlotCall(env, cb, 4, names, n);
  if (a == nullptr) return nullptr;
  return Boolean(env, a->index.CasEntryAddress(static_cast<uint64_t>(n[1]),
                                               static_cast<uint64_t>(n[2]),
                                               static_cast<uint64_t>(n[3])));
}

napi_value JsClearIfAddress(napi_env env, napi_callback_info cb) {
  static const int names[] = {0, 2, 3};
  double n[3];
  Attachment* a = ReadSlotCall(env, cb, 3, names, n);
  if (a == nullptr) return nullptr;
  return Boolean(env, a->index.ClearIfAddress(static_cast<uint64_t>(n[1]),
                                              static_cast<uint64_t>(n[2])));
}

Napi::Value JsAttach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes memory;
  if (!ReadBytes(info, 0, "memory", &memory)) return Napi::Value();
  if (!CheckArena(env, memory, info[0])) return Napi::Value();
  IndexTable* table = static_cast<IndexTable*>(info.Data());
  napi_ref ref;
  napi_create_reference(env, info[0], 1, &ref);
  auto attachment = std::unique_ptr<Attachment>(new Attachment{ref, core::HashIndex(memory.data)});
  size_t handle = 0;
  while (handle < table->attachments.size() && table->attachments[handle]) handle++;
  if (handle == table->attachments.size()) table->attachments.emplace_back();
  table->attachments[handle] = std::move(attachment);
  return Napi::Number::New(env, static_cast<double>(handle));
}

Napi::Value JsDetach(const Napi::CallbackInfo& info) {
  IndexTable* table = static_cast<IndexTable*>(info.Data());
  const Napi::Value given = info[0];
  const double handle = given.IsNumber() ? given.As<Napi::Number>().DoubleValue() : -1;
  if (!(handle >= 0 && handle < static_cast<double>(table->attachments.size())) ||
      !table->attachments[static_cast<size_t>(handle)]) {
    ThrowInvalidArgument(info.Env(), "handle", "an attached index handle", given);
    return Napi::Value();
  }
  std::unique_ptr<Attachment>& slot = table->attachments[static_cast<size_t>(handle)];
  napi_delete_reference(info.Env(), slot->memory);
  slot.reset();
  return info.Env().Undefined();
}

Napi::Value JsLayout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  const auto set = [&](const char* name, double value) {
    out.Set(name, Napi::Number::New(env, value));
  };
  set("BUCKET_BYTES", core::kBucketBytes);
  set("ENTRIES_PER_BUCKET", core::kEntriesPerBucket);
  set("KEY_SLOTS", core::kKeySlots);
  set("OVERFLOW_SLOT", core::kOverflowSlot);
  set("ADDRESS_BITS", core::kAddressBits);
  set("READ_CACHE_BIT", core::kReadCacheBit);
  set("TAG_SHIFT", core::kTagShift);
  set("TAG_BITS", core::kTagBits);
  set("PENDING_BIT", core::kPendingBit);
  set("TENTATIVE_BIT", core::kTentativeBit);
  set("TEMP_INVALID_ADDRESS", static_cast<double>(core::kTempInvalidAddress));
  set("FIRST_VALID_ADDRESS", static_cast<double>(core::kFirstValidAddress));
  set("INDEX_MAGIC", core::arena::kMagic);
  set("LAYOUT_VERSION", core::arena::kLayoutVersion);
  set("HEADER_BUCKETS", core::arena::kHeaderBuckets);
  set("HEADER_WORDS", core::arena::kHeaderWords);
  set("H_RESIZE_STATE", core::arena::kWordResizeState);
  set("H_TABLE0_FIRST", core::arena::kWordTable0First);
  set("H_TABLE0_LOG2", core::arena::kWordTable0Log2);
  set("H_ALLOC_NEXT", core::arena::kWordAllocNext);
  set("H_COMMITTED", core::arena::kWordCommitted);
  set("H_FREE_HEAD", core::arena::kWordFreeHead);
  set("H_OVERFLOW_COUNT", core::arena::kWordOverflowCount);
  set("H_SPLIT_STATUS_FIRST", core::arena::kWordSplitStatusFirst);
  set("H_SPLIT_CHUNK_LOG2", core::arena::kWordSplitChunkLog2);
  set("PHASE_IN_PROGRESS_GROW", core::arena::kPhaseInProgressGrow);
  set("CHUNK_SPLIT", core::arena::kChunkSplit);
  set("MAX_ARENA_BUCKETS", core::arena::kMaxBuckets);
  set("NOT_FOUND", static_cast<double>(core::kNotFound));
  set("NEEDS_SPLIT", static_cast<double>(core::kNeedsSplit));
  set("NEEDS_MEMORY", static_cast<double>(core::kNeedsMemory));
  set("CORRUPT", static_cast<double>(core::kCorrupt));
  return out;
}

void SetRaw(Napi::Env env, Napi::Object exports, const char* name, napi_callback cb,
            IndexTable* table) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, table, &fn);
  exports.Set(name, Napi::Value(env, fn));
}

}  // namespace

void RegisterHashIndex(Napi::Env env, Napi::Object exports) {
  IndexTable* table = new IndexTable{env, {}};
  napi_add_env_cleanup_hook(env, CleanupTable, table);
  exports.Set("indexAttach", Napi::Function::New(env, JsAttach, "indexAttach", table));
  exports.Set("indexDetach", Napi::Function::New(env, JsDetach, "indexDetach", table));
  exports.Set("indexLayout", Napi::Function::New(env, JsLayout, "indexLayout"));
  SetRaw(env, exports, "indexFindTag", JsFindTag, table);
  SetRaw(env, exports, "indexFindOrCreateTag", JsFindOrCreateTag, table);
  SetRaw(env, exports, "indexReadEntry", JsReadEntry, table);
  SetRaw(env, exports, "indexCasEntryAddress", JsCasEntryAddress, table);
  SetRaw(env, exports, "indexClearIfAddress", JsClearIfAddress, table);
}

}  // namespace napi
}  // namespace fasterkv
