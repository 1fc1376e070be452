// Per-environment state of the addon (one per Node.js environment: the main thread and each
// worker_thread that loads it), kept as N-API instance data and freed when the environment
// is torn down. Only ever touched on that environment's JS thread.
#ifndef FASTERKV_NAPI_ADDON_DATA_H_
#define FASTERKV_NAPI_ADDON_DATA_H_

#include <napi.h>

#include <memory>

namespace fasterkv {
namespace napi {

class AsyncIo;

struct AddonData {
  // The FasterError class from src/errors.ts, injected once by setErrorClass().
  Napi::FunctionReference error_class;
  // Completion delivery for asynchronous file I/O (see async_io.h); shared with I/O threads.
  std::shared_ptr<AsyncIo> async_io;
};

inline AddonData* GetAddonData(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

}  // namespace napi
}  // namespace fasterkv

#endif  // FASTERKV_NAPI_ADDON_DATA_H_
