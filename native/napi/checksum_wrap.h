// crc32c and keyHash over Uint8Array views (plain or SharedArrayBuffer-backed).
#ifndef FASTERKV_NAPI_CHECKSUM_WRAP_H_
#define FASTERKV_NAPI_CHECKSUM_WRAP_H_

#include <napi.h>

namespace fasterkv {
namespace napi {

// Exports crc32c(data, crc), keyHash(key), crc32cHardware, crc32cPortable(data, crc) (the
// table-driven path alone, so tests can compare it with the instruction path), and
// pageChecksums(page, pageStart, from, to, verify) (core/record_checksums.h).
void RegisterChecksum(Napi::Env env, Napi::Object exports);

}  // namespace napi
}  // namespace fasterkv

#endif  // FASTERKV_NAPI_CHECKSUM_WRAP_H_
