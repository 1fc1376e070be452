// Recovery's page replay (core/page_replay.h) over JS memory: the index arena and a page image.
#ifndef FASTERKV_NAPI_PAGE_REPLAY_WRAP_H_
#define FASTERKV_NAPI_PAGE_REPLAY_WRAP_H_

#include <napi.h>

namespace fasterkv {
namespace napi {

// Exports indexReplayPage(memory, page, pageStart, from, to, { recoverFrom, startAddress,
// beginAddress }) -> offset * 16 + how * 2 + changed (NativeBinding in src/native.ts).
void RegisterPageReplay(Napi::Env env, Napi::Object exports);

}  // namespace napi
}  // namespace fasterkv

#endif  // FASTERKV_NAPI_PAGE_REPLAY_WRAP_H_
