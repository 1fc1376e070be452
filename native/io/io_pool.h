// The addon's own pool of I/O threads, shared by every Node.js environment in the process.
// libuv's pool has 4 threads by default, too few to keep 16+ reads in flight against a
// device; this one has FASTERKV_IO_THREADS threads (default 8, clamped to 1..64), started on
// the first submission.
//
// Jobs are intrusive (the caller's object embeds IoJob), so submitting allocates nothing.
// Thread rules: SubmitIoJob may be called from any thread. A job runs exactly once, on one
// pool thread (or inline on the caller when no thread could be started), in FIFO order of
// submission; the pool never touches a job after its `run` has been called.
#ifndef FASTERKV_IO_IO_POOL_H_
#define FASTERKV_IO_IO_POOL_H_

#include <cstddef>

namespace fasterkv {
namespace io {

struct IoJob {
  void (*run)(IoJob* job) = nullptr;
  IoJob* next = nullptr;  // owned by the pool while queued
};

void SubmitIoJob(IoJob* job);

// Threads running (starts them if not yet started); for tests and diagnostics.
size_t IoThreadCount();

}  // namespace io
}  // namespace fasterkv

#endif  // FASTERKV_IO_IO_POOL_H_
