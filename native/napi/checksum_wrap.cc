// Thin wrappers: read the view, run the core function, return a number. No allocation.
#include "napi/checksum_wrap.h"

#include "core/crc32c.h"
#include "core/key_hash.h"
#include "core/record_checksums.h"
#include "napi/args.h"
#include "napi/errors.h"

namespace fasterkv {
namespace napi {
namespace {

Napi::Value JsCrc32c(const Napi::CallbackInfo& info) {
  Bytes data;
  uint32_t crc;
  if (!ReadBytes(info, 0, "data", &data) || !ReadUint32(info, 1, "crc", &crc)) {
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), core::Crc32c(crc, data.data, data.length));
}

Napi::Value JsCrc32cPortable(const Napi::CallbackInfo& info) {
  Bytes data;
  uint32_t crc;
  if (!ReadBytes(info, 0, "data", &data) || !ReadUint32(info, 1, "crc", &crc)) {
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), core::Crc32cPortable(crc, data.data, data.length));
}

Napi::Value JsKeyHash(const Napi::CallbackInfo& info) {
  Bytes key;
  if (!ReadBytes(info, 0, "key", &key)) return Napi::Value();
  return Napi::Number::New(info.Env(), static_cast<double>(core::KeyHash(key.data, key.length)));
}

// pageChecksums(page, pageStart, from, to, verify): offset where the walk stopped * 4 + how.
Napi::Value JsPageChecksums(const Napi::CallbackInfo& info) {
  Bytes page;
  uint64_t page_start;
  uint64_t from;
  uint64_t to;
  bool verify;
  if (!ReadBytes(info, 0, "page", &page) || !ReadPosition(info, 1, "pageStart", &page_start) ||
      !ReadPosition(info, 2, "from", &from) || !ReadPosition(info, 3, "to", &to) ||
      !ReadBoolean(info, 4, "verify", &verify)) {
    return Napi::Value();
  }
  if (to > page.length) {
    ThrowInvalidArgument(info.Env(), "to", "at most the page's length", info[3]);
    return Napi::Value();
  }
  const core::WalkResult end = core::PageChecksums(
      page.data, page.length, page_start, static_cast<size_t>(from), static_cast<size_t>(to),
      verify);
  return Napi::Number::New(
      info.Env(), static_cast<double>(end.offset) * 4 + static_cast<double>(end.how));
}

}  // namespace

void RegisterChecksum(Napi::Env env, Napi::Object exports) {
  exports.Set("crc32c", Napi::Function::New<JsCrc32c>(env, "crc32c"));
  exports.Set("crc32cPortable", Napi::Function::New<JsCrc32cPortable>(env, "crc32cPortable"));
  exports.Set("keyHash", Napi::Function::New<JsKeyHash>(env, "keyHash"));
  exports.Set("pageChecksums", Napi::Function::New<JsPageChecksums>(env, "pageChecksums"));
  exports.Set("crc32cHardware", Napi::Boolean::New(env, core::Crc32cHardware()));
}

}  // namespace napi
}  // namespace fasterkv
