// The synchronous file calls of NativeBinding (fileOpen ... fsyncDirectory) and
// alignmentOffset. Handles are descriptors registered in the process-wide file table
// (io/file_table.h); a handle not in it is ERR_CLOSED.
#ifndef FASTERKV_NAPI_FILE_WRAP_H_
#define FASTERKV_NAPI_FILE_WRAP_H_

#include <napi.h>

#include <memory>

#include "io/file_posix.h"

namespace fasterkv {
namespace napi {

void RegisterFile(Napi::Env env, Napi::Object exports);

// The open file behind info[0], or null after throwing (ERR_INVALID_ARGUMENT, ERR_CLOSED).
std::shared_ptr<io::File> ReadOpenFile(const Napi::CallbackInfo& info);

}  // namespace napi
}  // namespace fasterkv

#endif  // FASTERKV_NAPI_FILE_WRAP_H_
