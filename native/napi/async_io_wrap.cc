// Argument checking and request set-up for the asynchronous calls. Bad arguments throw at
// once; a handle that is not open is reported to the callback (ERR_CLOSED), later, as the
// TypeScript engine does.
#include "napi/async_io_wrap.h"

#include "io/file_table.h"
#include "napi/addon_data.h"
#include "napi/args.h"
#include "napi/async_io.h"

namespace fasterkv {
namespace napi {
namespace {

// Pins the buffer (info[1], when `bytes` is given) and the callback, then submits.
Napi::Value Start(const Napi::CallbackInfo& info, IoRequest::Kind kind, int handle,
                  const Bytes* bytes, uint64_t position, napi_value callback) {
  napi_env env = info.Env();
  AsyncIo* async_io = GetAddonData(info.Env())->async_io.get();
  IoRequest* request = async_io->Acquire();
  request->kind = kind;
  request->handle = handle;
  request->file = io::FindFile(handle);
  request->position = position;
  if (bytes != nullptr) {
    request->data = bytes->data;
    request->length = bytes->length;
    napi_create_reference(env, info[1], 1, &request->buffer);
  }
  napi_create_reference(env, callback, 1, &request->callback);
  async_io->Submit(env, request);
  return info.Env().Undefined();
}

Napi::Value Transfer(const Napi::CallbackInfo& info, IoRequest::Kind kind, const char* name) {
  int handle;
  Bytes bytes;
  uint64_t position;
  Napi::Function callback;
  if (!ReadHandle(info, 0, &handle) || !ReadBytes(info, 1, name, &bytes) ||
      !ReadPosition(info, 2, "position", &position) || !ReadFunction(info, 3, "cb", &callback)) {
    return Napi::Value();
  }
  return Start(info, kind, handle, &bytes, position, callback);
}

Napi::Value JsFileRead(const Napi::CallbackInfo& info) {
  return Transfer(info, IoRequest::Kind::kRead, "dst");
}

Napi::Value JsFileWrite(const Napi::CallbackInfo& info) {
  return Transfer(info, IoRequest::Kind::kWrite, "src");
}

Napi::Value JsFileDatasync(const Napi::CallbackInfo& info) {
  int handle;
  Napi::Function callback;
  if (!ReadHandle(info, 0, &handle) || !ReadFunction(info, 1, "cb", &callback)) {
    return Napi::Value();
  }
  return Start(info, IoRequest::Kind::kDatasync, handle, nullptr, 0, callback);
}

}  // namespace

void RegisterAsyncIo(Napi::Env env, Napi::Object exports) {
  std::shared_ptr<AsyncIo> async_io = AsyncIo::Create(env);
  if (!async_io) return;
  GetAddonData(env)->async_io = std::move(async_io);
  exports.Set("fileRead", Napi::Function::New<JsFileRead>(env, "fileRead"));
  exports.Set("fileWrite", Napi::Function::New<JsFileWrite>(env, "fileWrite"));
  exports.Set("fileDatasync", Napi::Function::New<JsFileDatasync>(env, "fileDatasync"));
}

void ShutdownAsyncIo(Napi::Env env) {
  AddonData* data = GetAddonData(env);
  if (data != nullptr && data->async_io) data->async_io->Shutdown(env, true);
}

}  // namespace napi
}  // namespace fasterkv
