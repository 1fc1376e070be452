// Thin wrappers: read the view, run the core function, return a number. No allocation.
#include "napi/checksum_wrap.h"

#include "core/crc32c.h"
#include "core/key_hash.h"
#include "napi/args.h"

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

}  // namespace

void RegisterChecksum(Napi::Env env, Napi::Object exports) {
  exports.Set("crc32c", Napi::Function::New<JsCrc32c>(env, "crc32c"));
  exports.Set("crc32cPortable", Napi::Function::New<JsCrc32cPortable>(env, "crc32cPortable"));
  exports.Set("keyHash", Napi::Function::New<JsKeyHash>(env, "keyHash"));
  exports.Set("crc32cHardware", Napi::Boolean::New(env, core::Crc32cHardware()));
}

}  // namespace napi
}  // namespace fasterkv
