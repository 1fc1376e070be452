// The process-wide table of open files. A handle is the file's descriptor number; the table
// maps it to the File (path for error messages, whether O_DIRECT took). It is shared by every
// Node.js environment in the process, so a handle opened on one worker_thread works on
// another, exactly as the descriptor does.
//
// Thread rules: all functions lock one mutex; the File itself is reference counted, so a
// handle removed by Take() while I/O is in flight stays open until that I/O lets go.
#ifndef FASTERKV_IO_FILE_TABLE_H_
#define FASTERKV_IO_FILE_TABLE_H_

#include <memory>

#include "io/file_posix.h"

namespace fasterkv {
namespace io {

// Registers an open file; returns its handle.
int AddFile(std::shared_ptr<File> file);

// The open file behind `handle`, or null when the handle is not open.
std::shared_ptr<File> FindFile(int handle);

// Removes `handle` from the table and returns its file (null when it was not open).
std::shared_ptr<File> TakeFile(int handle);

}  // namespace io
}  // namespace fasterkv

#endif  // FASTERKV_IO_FILE_TABLE_H_
