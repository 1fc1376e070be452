// fileRead, fileWrite and fileDatasync: the asynchronous file calls of NativeBinding, on the
// addon's own I/O pool (see async_io.h for delivery and lifetimes).
#ifndef FASTERKV_NAPI_ASYNC_IO_WRAP_H_
#define FASTERKV_NAPI_ASYNC_IO_WRAP_H_

#include <napi.h>

namespace fasterkv {
namespace napi {

// Creates the environment's completion channel and exports the three calls.
// REQUIRES: the AddonData instance data is set.
void RegisterAsyncIo(Napi::Env env, Napi::Object exports);

// Environment teardown: cancels what has not started and waits for what has.
void ShutdownAsyncIo(Napi::Env env);

}  // namespace napi
}  // namespace fasterkv

#endif  // FASTERKV_NAPI_ASYNC_IO_WRAP_H_
