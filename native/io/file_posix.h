// POSIX file I/O for the file device: open (O_DIRECT where the file system allows it),
// positional reads and writes that loop over EINTR and short transfers, fdatasync,
// fallocate, ftruncate, fstat, unlink and directory fsync. Plain C++, no Node headers.
//
// Errors come back as an IoStatus naming the failed system call and the file offset, never
// as exceptions; the N-API layer turns them into FasterError('ERR_IO').
// Thread rules: a File may be used from several threads at once (pread/pwrite are
// positional); it is closed when its last owner lets go, so I/O still in flight on another
// thread never sees its descriptor reused.
#ifndef FASTERKV_IO_FILE_POSIX_H_
#define FASTERKV_IO_FILE_POSIX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace fasterkv {
namespace io {

// Buffer address alignment for O_DIRECT transfers. Buffers not aligned to it go through a
// bounce buffer; file positions and lengths must be aligned by the caller.
constexpr size_t kDirectAlignment = 4096;

struct IoStatus {
  int error = 0;                 // errno value; 0 when the call succeeded
  const char* syscall = "";      // static string: "pread", "open", ...
  bool has_offset = false;
  uint64_t offset = 0;           // file offset where the failing call started

  bool ok() const { return error == 0; }
};

class File {
 public:
  File(int fd, std::string path, bool direct) : fd_(fd), path_(std::move(path)), direct_(direct) {}
  ~File();
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // False when O_DIRECT was asked for but the file system refused it.
  bool direct() const { return direct_; }

  // Closes now and reports the error; the destructor closes silently otherwise.
  IoStatus Close();

 private:
  int fd_;
  const std::string path_;
  const bool direct_;
};

// REQUIRES: the parent directory exists (else ENOENT). `create` is ignored with `read_only`.
IoStatus OpenFile(const std::string& path, bool create, bool read_only, bool direct,
                  std::shared_ptr<File>* out);

// Reads until `length` bytes or end of file; *done is the count read, also on failure.
IoStatus ReadAt(const File& file, uint8_t* dst, size_t length, uint64_t position, size_t* done);
// Writes all `length` bytes; *done is the count written, also on failure.
IoStatus WriteAt(const File& file, const uint8_t* src, size_t length, uint64_t position,
                 size_t* done);
IoStatus Datasync(const File& file);
// Reserves blocks for [offset, offset + length); success where the file system cannot.
IoStatus Allocate(const File& file, uint64_t offset, uint64_t length);
IoStatus Truncate(const File& file, uint64_t length);
IoStatus Size(const File& file, uint64_t* size);
IoStatus Unlink(const std::string& path);
IoStatus FsyncDirectory(const std::string& path);

}  // namespace io
}  // namespace fasterkv

#endif  // FASTERKV_IO_FILE_POSIX_H_
