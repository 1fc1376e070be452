// indexReplayPage: one call per recovered page. The arena is passed on every call rather than
// attached once: a store's index handles belong to the TypeScript index engine
// (src/store/index-binding.ts), and the core needs only the arena's base address, which a
// growable SharedArrayBuffer never moves. Nothing is allocated; the page is written in place.
#include "napi/page_replay_wrap.h"

#include "core/hash_index.h"
#include "core/page_replay.h"
#include "napi/args.h"
#include "napi/errors.h"
#include "napi/hash_index_wrap.h"

namespace fasterkv {
namespace napi {
namespace {

// addresses[name] as an integer in [0, 2^53), or throws naming it and returns false.
bool ReadAddress(Napi::Env env, Napi::Object addresses, const char* name, uint64_t* out) {
  const Napi::Value value = addresses.Get(name);
  if (value.IsNumber()) {
    const double number = value.As<Napi::Number>().DoubleValue();
    if (number >= 0 && number <= static_cast<double>(kMaxSafeInteger) &&
        static_cast<double>(static_cast<uint64_t>(number)) == number) {
      *out = static_cast<uint64_t>(number);
      return true;
    }
  }
  ThrowInvalidArgument(env, name, "an integer in [0, 2^53)", value);
  return false;
}

bool ReadAddresses(const Napi::CallbackInfo& info, size_t index,
                   core::ReplayAddresses* out) {
  const Napi::Value value = info[index];
  if (!value.IsObject()) {
    ThrowInvalidArgument(info.Env(), "addresses",
                         "an object { recoverFrom, startAddress, beginAddress }", value);
    return false;
  }
  const Napi::Object object = value.As<Napi::Object>();
  return ReadAddress(info.Env(), object, "recoverFrom", &out->recover_from) &&
         ReadAddress(info.Env(), object, "startAddress", &out->start_address) &&
         ReadAddress(info.Env(), object, "beginAddress", &out->begin_address);
}

Napi::Value JsReplayPage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes memory;
  Bytes page;
  uint64_t page_start;
  uint64_t from;
  uint64_t to;
  core::ReplayAddresses addresses;
  if (!ReadBytes(info, 0, "memory", &memory) || !ReadBytes(info, 1, "page", &page) ||
      !ReadPosition(info, 2, "pageStart", &page_start) || !ReadPosition(info, 3, "from", &from) ||
      !ReadPosition(info, 4, "to", &to) || !ReadAddresses(info, 5, &addresses)) {
    return Napi::Value();
  }
  if (!CheckArena(env, memory, info[0])) return Napi::Value();
  if (to > page.length) {
    ThrowInvalidArgument(env, "to", "at most the page's length", info[4]);
    return Napi::Value();
  }
  core::HashIndex index(memory.data);
  const core::ReplayResult end =
      core::ReplayPage(index, page.data, page.length, page_start, static_cast<size_t>(from),
                       static_cast<size_t>(to), addresses);
  const double result = static_cast<double>(end.offset) * 16 +
                        static_cast<double>(end.how) * 2 + (end.changed ? 1 : 0);
  return Napi::Number::New(env, result);
}

}  // namespace

void RegisterPageReplay(Napi::Env env, Napi::Object exports) {
  exports.Set("indexReplayPage", Napi::Function::New<JsReplayPage>(env, "indexReplayPage"));
}

}  // namespace napi
}  // namespace fasterkv
