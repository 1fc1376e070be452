// Symbolic names of OS error numbers ("ENOSPC"), as Node.js reports them in `err.code`, so
// ERR_IO errors from both engines carry the same `errno` string. Safe from any thread.
#ifndef FASTERKV_IO_ERRNO_NAME_H_
#define FASTERKV_IO_ERRNO_NAME_H_

#include <string>

namespace fasterkv {
namespace io {

// "ENOENT" for ENOENT, ...; "E<number>" for a value without a known name.
std::string ErrnoName(int error);

// The OS description of `error` ("No such file or directory"); thread-safe.
std::string ErrnoDescription(int error);

}  // namespace io
}  // namespace fasterkv

#endif  // FASTERKV_IO_ERRNO_NAME_H_
