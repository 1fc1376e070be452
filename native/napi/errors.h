// Errors across the boundary. src/native.ts injects its FasterError class once per
// environment (setErrorClass); every error the addon raises or passes to a callback is an
// instance of it, with the same code, message shape and details as the TypeScript engine:
//   ERR_IO               errno (symbolic), syscall, path, offset (when there is one);
//                        message "pwrite /dir/hlog.log.3 at offset 8192 failed: ENOSPC (...)"
//   ERR_CLOSED           "file handle 7 is not open"
//   ERR_INVALID_ARGUMENT "<name> must be <allowed>; got <value>"
// Thread rules: JS thread of the environment only.
#ifndef FASTERKV_NAPI_ERRORS_H_
#define FASTERKV_NAPI_ERRORS_H_

#include <napi.h>

#include <string>

#include "io/file_posix.h"

namespace fasterkv {
namespace napi {

// Exports setErrorClass(FasterError).
void RegisterErrors(Napi::Env env, Napi::Object exports);

// A FasterError(code, message) without details.
Napi::Value MakeError(Napi::Env env, const char* code, const std::string& message);
// FasterError('ERR_IO') for a failed system call on `path`.
Napi::Value MakeIoError(Napi::Env env, const io::IoStatus& status, const std::string& path);
// FasterError('ERR_CLOSED') for a handle that is not open.
Napi::Value MakeClosedError(Napi::Env env, int handle);

// Throws `error` (built by one of the Make* functions) as a JS exception.
void Throw(Napi::Env env, Napi::Value error);
void ThrowInvalidArgument(Napi::Env env, const char* name, const char* allowed, Napi::Value got);

}  // namespace napi
}  // namespace fasterkv

#endif  // FASTERKV_NAPI_ERRORS_H_
