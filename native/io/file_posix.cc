// POSIX implementation of file_posix.h. Every call that can be interrupted is retried on
// EINTR; reads and writes loop until the whole range is transferred (or end of file).
//
// O_DIRECT: the kernel requires the buffer address, the file position and the length to be
// aligned to the device's logical block size. Positions and lengths are the caller's job (a
// misaligned one fails cleanly with EINVAL); a misaligned buffer address is repaired here by
// staging the transfer through an aligned bounce buffer, at most kBounceBytes at a time.
#include "io/file_posix.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace fasterkv {
namespace io {
namespace {

// Largest single pread/pwrite: Linux transfers at most 0x7FFFF000 bytes per call; 1 GiB
// stays below that and keeps O_DIRECT chunks aligned.
constexpr size_t kMaxTransferBytes = size_t{1} << 30;
constexpr size_t kBounceBytes = size_t{1} << 20;

IoStatus Failure(int error, const char* syscall) {
  IoStatus status;
  status.error = error;
  status.syscall = syscall;
  return status;
}

IoStatus FailureAt(int error, const char* syscall, uint64_t offset) {
  IoStatus status = Failure(error, syscall);
  status.has_offset = true;
  status.offset = offset;
  return status;
}

bool IsAligned(const void* p) {
  return reinterpret_cast<uintptr_t>(p) % kDirectAlignment == 0;
}

int OpenRetrying(const char* path, int flags) {
  int fd;
  do {
    fd = ::open(path, flags, 0644);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// The plain read loop. Under O_DIRECT a short read means end of file: the next position
// would be misaligned, and the kernel only returns short counts there.
IoStatus ReadLoop(const File& file, uint8_t* dst, size_t length, uint64_t position,
                  size_t* done) {
  *done = 0;
  while (*done < length) {
    const size_t want = std::min(length - *done, kMaxTransferBytes);
    const ssize_t n = ::pread(file.fd(), dst + *done, want, static_cast<off_t>(position + *done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return FailureAt(errno, "pread", position + *done);
    }
    if (n == 0) break;
    *done += static_cast<size_t>(n);
    if (file.direct() && static_cast<size_t>(n) < want) break;
  }
  return IoStatus();
}

IoStatus WriteLoop(const File& file, const uint8_t* src, size_t length, uint64_t position,
                   size_t* done) {
  *done = 0;
  while (*done < length) {
    const size_t want = std::min(length - *done, kMaxTransferBytes);
    const ssize_t n = ::pwrite(file.fd(), src + *done, want, static_cast<off_t>(position + *done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return FailureAt(errno, "pwrite", position + *done);
    }
    if (n == 0) return FailureAt(EIO, "pwrite", position + *done);
    *done += static_cast<size_t>(n);
  }
  return IoStatus();
}

// An aligned staging buffer owned for the duration of one transfer.
class BounceBuffer {
 public:
  explicit BounceBuffer(size_t length) {
    const size_t rounded = (length + kDirectAlignment - 1) / kDirectAlignment * kDirectAlignment;
    bytes_ = std::min(rounded, kBounceBytes);
    if (::posix_memalign(&data_, kDirectAlignment, bytes_) != 0) data_ = nullptr;
  }
  ~BounceBuffer() { std::free(data_); }
  BounceBuffer(const BounceBuffer&) = delete;
  BounceBuffer& operator=(const BounceBuffer&) = delete;

  uint8_t* data() const { return static_cast<uint8_t*>(data_); }
  size_t bytes() const { return bytes_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

IoStatus ReadBounced(const File& file, uint8_t* dst, size_t length, uint64_t position,
                     size_t* done) {
  *done = 0;
  BounceBuffer bounce(length);
  if (bounce.data() == nullptr) return FailureAt(ENOMEM, "posix_memalign", position);
  while (*done < length) {
    const size_t want = std::min(length - *done, bounce.bytes());
    size_t got = 0;
    const IoStatus status = ReadLoop(file, bounce.data(), want, position + *done, &got);
    std::memcpy(dst + *done, bounce.data(), got);
    *done += got;
    if (!status.ok()) return status;
    if (got < want) break;
  }
  return IoStatus();
}

IoStatus WriteBounced(const File& file, const uint8_t* src, size_t length, uint64_t position,
                      size_t* done) {
  *done = 0;
  BounceBuffer bounce(length);
  if (bounce.data() == nullptr) return FailureAt(ENOMEM, "posix_memalign", position);
  while (*done < length) {
    const size_t want = std::min(length - *done, bounce.bytes());
    std::memcpy(bounce.data(), src + *done, want);
    size_t put = 0;
    const IoStatus status = WriteLoop(file, bounce.data(), want, position + *done, &put);
    *done += put;
    if (!status.ok()) return status;
  }
  return IoStatus();
}

}  // namespace

File::~File() {
  if (fd_ >= 0) ::close(fd_);
}

IoStatus File::Close() {
  const int fd = fd_;
  fd_ = -1;
  // Linux releases the descriptor even when close fails (also on EINTR): never retry.
  if (::close(fd) != 0 && errno != EINTR) return Failure(errno, "close");
  return IoStatus();
}

IoStatus OpenFile(const std::string& path, bool create, bool read_only, bool direct,
                  std::shared_ptr<File>* out) {
  int flags = (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
  if (create && !read_only) flags |= O_CREAT;
  int fd = -1;
  bool is_direct = false;
#ifdef O_DIRECT
  if (direct) {
    fd = OpenRetrying(path.c_str(), flags | O_DIRECT);
    is_direct = fd >= 0;
    // EINVAL: this file system does not do O_DIRECT (tmpfs before Linux 6.6, procfs, ...).
    if (fd < 0 && errno != EINVAL) return Failure(errno, "open");
  }
#endif
  if (fd < 0) fd = OpenRetrying(path.c_str(), flags);
  if (fd < 0) return Failure(errno, "open");
  *out = std::make_shared<File>(fd, path, is_direct);
  return IoStatus();
}

IoStatus ReadAt(const File& file, uint8_t* dst, size_t length, uint64_t position, size_t* done) {
  if (file.direct() && !IsAligned(dst)) return ReadBounced(file, dst, length, position, done);
  return ReadLoop(file, dst, length, position, done);
}

IoStatus WriteAt(const File& file, const uint8_t* src, size_t length, uint64_t position,
                 size_t* done) {
  if (file.direct() && !IsAligned(src)) return WriteBounced(file, src, length, position, done);
  return WriteLoop(file, src, length, position, done);
}

IoStatus Datasync(const File& file) {
  while (::fdatasync(file.fd()) != 0) {
    if (errno != EINTR) return Failure(errno, "fdatasync");
  }
  return IoStatus();
}

IoStatus Allocate(const File& file, uint64_t offset, uint64_t length) {
  if (length == 0) return IoStatus();
#if defined(__linux__)
  while (::fallocate(file.fd(), 0, static_cast<off_t>(offset), static_cast<off_t>(length)) != 0) {
    if (errno == EOPNOTSUPP || errno == ENOSYS) break;
    if (errno != EINTR) return FailureAt(errno, "fallocate", offset);
  }
#else
  (void)file;
  (void)offset;
#endif
  return IoStatus();
}

IoStatus Truncate(const File& file, uint64_t length) {
  while (::ftruncate(file.fd(), static_cast<off_t>(length)) != 0) {
    if (errno != EINTR) return FailureAt(errno, "ftruncate", length);
  }
  return IoStatus();
}

IoStatus Size(const File& file, uint64_t* size) {
  struct stat st;
  if (::fstat(file.fd(), &st) != 0) return Failure(errno, "fstat");
  *size = static_cast<uint64_t>(st.st_size);
  return IoStatus();
}

IoStatus Unlink(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return Failure(errno, "unlink");
  return IoStatus();
}

IoStatus FsyncDirectory(const std::string& path) {
  const int fd = OpenRetrying(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Failure(errno, "open");
  IoStatus status;
  while (::fsync(fd) != 0) {
    if (errno != EINTR) {
      status = Failure(errno, "fsync");
      break;
    }
  }
  ::close(fd);
  return status;
}

}  // namespace io
}  // namespace fasterkv
