// Typed readers for the arguments of binding functions. Each returns true with the value, or
// throws FasterError('ERR_INVALID_ARGUMENT') naming the argument and what it allows and
// returns false; the caller then returns at once (the build has no C++ exceptions).
#ifndef FASTERKV_NAPI_ARGS_H_
#define FASTERKV_NAPI_ARGS_H_

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace fasterkv {
namespace napi {

// A Uint8Array's bytes. Valid only during the call, unless the array is kept referenced.
struct Bytes {
  uint8_t* data = nullptr;
  size_t length = 0;
};

// The largest integer a JS number holds exactly: positions and lengths stay below it.
constexpr uint64_t kMaxSafeInteger = (uint64_t{1} << 53) - 1;

bool ReadBytes(const Napi::CallbackInfo& info, size_t index, const char* name, Bytes* out);
// An integer in [0, 2^32).
bool ReadUint32(const Napi::CallbackInfo& info, size_t index, const char* name, uint32_t* out);
// A byte position or length: an integer in [0, 2^53).
bool ReadPosition(const Napi::CallbackInfo& info, size_t index, const char* name,
                  uint64_t* out);
// A file handle: an integer in [0, 2^31).
bool ReadHandle(const Napi::CallbackInfo& info, size_t index, int* out);
bool ReadBoolean(const Napi::CallbackInfo& info, size_t index, const char* name, bool* out);
// A non-empty string without NUL characters.
bool ReadPath(const Napi::CallbackInfo& info, size_t index, const char* name, std::string* out);
bool ReadFunction(const Napi::CallbackInfo& info, size_t index, const char* name,
                  Napi::Function* out);
// A power of two in [1, 2^30].
bool ReadAlignment(const Napi::CallbackInfo& info, size_t index, const char* name,
                   uint32_t* out);

}  // namespace napi
}  // namespace fasterkv

#endif  // FASTERKV_NAPI_ARGS_H_
