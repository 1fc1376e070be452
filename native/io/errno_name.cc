// Names for the errno values file I/O can produce. Aliases that share a value on Linux
// (EWOULDBLOCK = EAGAIN, EOPNOTSUPP = ENOTSUP, EDEADLOCK = EDEADLK) appear once, under the
// name libuv uses.
#include "io/errno_name.h"

#include <cerrno>
#include <cstring>

namespace fasterkv {
namespace io {
namespace {

#define FKV_ERRNO_CASE(name) \
  case name:                 \
    return #name;

const char* KnownName(int error) {
  switch (error) {
    FKV_ERRNO_CASE(E2BIG)
    FKV_ERRNO_CASE(EACCES)
    FKV_ERRNO_CASE(EAGAIN)
    FKV_ERRNO_CASE(EBADF)
    FKV_ERRNO_CASE(EBUSY)
    FKV_ERRNO_CASE(ECANCELED)
    FKV_ERRNO_CASE(EDEADLK)
    FKV_ERRNO_CASE(EDQUOT)
    FKV_ERRNO_CASE(EEXIST)
    FKV_ERRNO_CASE(EFAULT)
    FKV_ERRNO_CASE(EFBIG)
    FKV_ERRNO_CASE(EINTR)
    FKV_ERRNO_CASE(EINVAL)
    FKV_ERRNO_CASE(EIO)
    FKV_ERRNO_CASE(EISDIR)
    FKV_ERRNO_CASE(ELOOP)
    FKV_ERRNO_CASE(EMFILE)
    FKV_ERRNO_CASE(EMLINK)
    FKV_ERRNO_CASE(ENAMETOOLONG)
    FKV_ERRNO_CASE(ENFILE)
    FKV_ERRNO_CASE(ENODEV)
    FKV_ERRNO_CASE(ENOENT)
    FKV_ERRNO_CASE(ENOLCK)
    FKV_ERRNO_CASE(ENOMEM)
    FKV_ERRNO_CASE(ENOSPC)
    FKV_ERRNO_CASE(ENOSYS)
    FKV_ERRNO_CASE(ENOTDIR)
    FKV_ERRNO_CASE(ENOTEMPTY)
    FKV_ERRNO_CASE(ENOTSUP)
    FKV_ERRNO_CASE(ENXIO)
    FKV_ERRNO_CASE(EOVERFLOW)
    FKV_ERRNO_CASE(EPERM)
    FKV_ERRNO_CASE(EPIPE)
    FKV_ERRNO_CASE(ERANGE)
    FKV_ERRNO_CASE(EROFS)
    FKV_ERRNO_CASE(ESPIPE)
    FKV_ERRNO_CASE(ESTALE)
    FKV_ERRNO_CASE(ETIMEDOUT)
    FKV_ERRNO_CASE(ETXTBSY)
    FKV_ERRNO_CASE(EXDEV)
    default:
      return nullptr;
  }
}

#undef FKV_ERRNO_CASE

// strerror_r comes in two shapes (GNU returns the text, XSI fills the buffer); these
// overloads accept whichever the C library declares.
inline const char* DescriptionFrom(const char* result, const char*) { return result; }
inline const char* DescriptionFrom(int result, const char* buffer) {
  return result == 0 ? buffer : "unknown error";
}

}  // namespace

std::string ErrnoName(int error) {
  const char* name = KnownName(error);
  return name != nullptr ? std::string(name) : "E" + std::to_string(error);
}

std::string ErrnoDescription(int error) {
  char buffer[256];
  buffer[0] = '\0';
  return DescriptionFrom(strerror_r(error, buffer, sizeof(buffer)), buffer);
}

}  // namespace io
}  // namespace fasterkv
