// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every persisted
// structure. Twin of src/fallback/crc32c.ts: both give the same value for the same bytes.
//
// Extend semantics: Crc32c(Crc32c(0, a), b) == Crc32c(0, a ‖ b); the value passed in and the
// value returned are the finished (post-inverted) CRC of the bytes seen so far.
// Thread rules: pure functions over caller-owned bytes; safe from any thread.
#ifndef FASTERKV_CORE_CRC32C_H_
#define FASTERKV_CORE_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace fasterkv {
namespace core {

// CRC32C of data[0, length) continuing from `crc` (0 to start). Uses the SSE4.2 `crc32`
// instruction when the CPU has it, tables otherwise.
uint32_t Crc32c(uint32_t crc, const uint8_t* data, size_t length);

// The table-driven path alone (slicing-by-8), whatever the CPU. Exposed so tests can check
// that it agrees with the instruction path on machines that have both.
uint32_t Crc32cPortable(uint32_t crc, const uint8_t* data, size_t length);

// Whether Crc32c runs on the SSE4.2 instruction. Decided once, at load.
bool Crc32cHardware();

}  // namespace core
}  // namespace fasterkv

#endif  // FASTERKV_CORE_CRC32C_H_
