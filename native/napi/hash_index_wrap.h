// The hash index calls of the native seam (the `index*` block of NativeBinding in
// src/native.ts) over core::HashIndex. indexAttach takes the arena's Uint8Array once and
// returns a small integer handle; every hot call then passes numbers only (handle, hash,
// slot, addresses), so a call costs one N-API transition and no allocation.
#ifndef FASTERKV_NAPI_HASH_INDEX_WRAP_H_
#define FASTERKV_NAPI_HASH_INDEX_WRAP_H_

#include <napi.h>

#include "napi/args.h"

namespace fasterkv {
namespace napi {

// Exports indexAttach, indexDetach, indexFindTag, indexFindOrCreateTag, indexReadEntry,
// indexCasEntryAddress, indexClearIfAddress and indexLayout. Handles are per environment.
void RegisterHashIndex(Napi::Env env, Napi::Object exports);

// True when `memory` (read from argument `arg`) is a whole index arena of this layout
// version; otherwise throws ERR_FORMAT_VERSION or ERR_INVALID_ARGUMENT and returns false.
bool CheckArena(Napi::Env env, const Bytes& memory, const Napi::Value& arg);

}  // namespace napi
}  // namespace fasterkv

#endif  // FASTERKV_NAPI_HASH_INDEX_WRAP_H_
