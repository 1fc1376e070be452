// Module initialisation only. Each Node.js environment that loads the addon (the main
// thread, every worker_thread) gets its own AddonData as N-API instance data; process-wide
// state (the file table, the I/O pool) lives in native/io/ and is shared by all of them.
//
// To add a group of binding functions: write native/napi/<name>_wrap.{h,cc} exposing
// `void Register<Name>(Napi::Env, Napi::Object exports)`, call it from Init below, and list
// the .cc in native/sources.json (read by both binding.gyp and CMakeLists.txt).
#include <napi.h>

#include "napi/addon_data.h"
#include "napi/async_io_wrap.h"
#include "napi/checksum_wrap.h"
#include "napi/errors.h"
#include "napi/file_wrap.h"
#include "napi/hash_index_wrap.h"
#include "napi/page_replay_wrap.h"

#ifndef FKV_SOURCE_HASH
#error "FKV_SOURCE_HASH must be defined by the build (scripts/native-source-hash.cjs)"
#endif

namespace {

namespace napi = fasterkv::napi;

// Runs at environment teardown. Registered after every wrapper, so it runs before their own
// hooks (N-API runs cleanup hooks in reverse order): in-flight I/O stops touching JS memory
// while the environment is still intact.
void CleanupEnv(void* env) { napi::ShutdownAsyncIo(Napi::Env(static_cast<napi_env>(env))); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new napi::AddonData());
  exports.Set("engine", Napi::String::New(env, "native"));
  exports.Set("sourceHash", Napi::String::New(env, FKV_SOURCE_HASH));
  napi::RegisterErrors(env, exports);
  napi::RegisterChecksum(env, exports);
  napi::RegisterFile(env, exports);
  napi::RegisterAsyncIo(env, exports);
  napi::RegisterHashIndex(env, exports);
  napi::RegisterPageReplay(env, exports);
  napi_add_env_cleanup_hook(env, CleanupEnv, static_cast<napi_env>(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(fasterkv, Init)
