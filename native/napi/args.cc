// Argument readers. ReadBytes uses the C API directly: it runs on every crc32c/keyHash call
// and must not create handles or allocate.
#include "napi/args.h"

#include <cmath>

#include "napi/errors.h"

namespace fasterkv {
namespace napi {
namespace {

// The number at info[index] when it is an integer in [0, max]; false otherwise.
bool ReadInteger(const Napi::CallbackInfo& info, size_t index, double max, double* out) {
  const Napi::Value value = info[index];
  if (!value.IsNumber()) return false;
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!(number >= 0 && number <= max) || std::floor(number) != number) return false;
  *out = number;
  return true;
}

}  // namespace

bool ReadBytes(const Napi::CallbackInfo& info, size_t index, const char* name, Bytes* out) {
  napi_env env = info.Env();
  napi_value value = info[index];
  bool is_typed_array = false;
  if (napi_is_typedarray(env, value, &is_typed_array) == napi_ok && is_typed_array) {
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr) ==
            napi_ok &&
        type == napi_uint8_array) {
      out->data = static_cast<uint8_t*>(data);
      out->length = length;
      return true;
    }
  }
  ThrowInvalidArgument(info.Env(), name, "a Uint8Array", info[index]);
  return false;
}

bool ReadUint32(const Napi::CallbackInfo& info, size_t index, const char* name, uint32_t* out) {
  double number;
  if (!ReadInteger(info, index, 4294967295.0, &number)) {
    ThrowInvalidArgument(info.Env(), name, "an integer in [0, 2^32)", info[index]);
    return false;
  }
  *out = static_cast<uint32_t>(number);
  return true;
}

bool ReadPosition(const Napi::CallbackInfo& info, size_t index, const char* name,
                  uint64_t* out) {
  double number;
  if (!ReadInteger(info, index, static_cast<double>(kMaxSafeInteger), &number)) {
    ThrowInvalidArgument(info.Env(), name, "an integer in [0, 2^53)", info[index]);
    return false;
  }
  *out = static_cast<uint64_t>(number);
  return true;
}

bool ReadHandle(const Napi::CallbackInfo& info, size_t index, int* out) {
  double number;
  if (!ReadInteger(info, index, 2147483647.0, &number)) {
    ThrowInvalidArgument(info.Env(), "handle", "a file handle (an integer in [0, 2^31))",
                         info[index]);
    return false;
  }
  *out = static_cast<int>(number);
  return true;
}

bool ReadBoolean(const Napi::CallbackInfo& info, size_t index, const char* name, bool* out) {
  const Napi::Value value = info[index];
  if (!value.IsBoolean()) {
    ThrowInvalidArgument(info.Env(), name, "a boolean", value);
    return false;
  }
  *out = value.As<Napi::Boolean>().Value();
  return true;
}

bool ReadPath(const Napi::CallbackInfo& info, size_t index, const char* name, std::string* out) {
  const Napi::Value value = info[index];
  if (value.IsString()) {
    std::string text = value.As<Napi::String>().Utf8Value();
    if (!text.empty() && text.find('\0') == std::string::npos) {
      *out = std::move(text);
      return true;
    }
  }
  ThrowInvalidArgument(info.Env(), name, "a non-empty path string without NUL characters",
                       value);
  return false;
}

bool ReadFunction(const Napi::CallbackInfo& info, size_t index, const char* name,
                  Napi::Function* out) {
  const Napi::Value value = info[index];
  if (!value.IsFunction()) {
    ThrowInvalidArgument(info.Env(), name, "a function", value);
    return false;
  }
  *out = value.As<Napi::Function>();
  return true;
}

bool ReadAlignment(const Napi::CallbackInfo& info, size_t index, const char* name,
                   uint32_t* out) {
  double number;
  if (!ReadInteger(info, index, 1073741824.0, &number) || number < 1 ||
      (static_cast<uint32_t>(number) & (static_cast<uint32_t>(number) - 1)) != 0) {
    ThrowInvalidArgument(info.Env(), name, "a power of two in [1, 2^30]", info[index]);
    return false;
  }
  *out = static_cast<uint32_t>(number);
  return true;
}

}  // namespace napi
}  // namespace fasterkv
