// Asynchronous file I/O for one Node.js environment: requests run on the process-wide I/O
// pool (io/io_pool.h) and their completions come back to this environment's JS thread
// through one napi_threadsafe_function, drained in batches (one wake-up delivers every
// completion that is ready).
//
// Lifetimes:
//  - a request keeps its JS buffer and callback referenced (napi_ref) until its callback
//    has run; requests are recycled through a free list, so steady state allocates nothing
//    beyond the two references;
//  - the threadsafe function is unref'd whenever nothing is pending, so it never keeps the
//    event loop alive on its own, and ref'd while requests are pending;
//  - Shutdown (environment teardown: worker exit, process exit) stops delivery, cancels
//    requests not yet started and waits for the system calls already running, so no I/O
//    thread writes into a buffer of a heap that is about to be freed. Undelivered callbacks
//    are dropped: there is no JS left to run them.
// Thread rules: Acquire/Submit/Shutdown run on the environment's JS thread; Run and Complete
// run on I/O threads; members marked "guarded" are protected by mutex_.
#ifndef FASTERKV_NAPI_ASYNC_IO_H_
#define FASTERKV_NAPI_ASYNC_IO_H_

#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "io/file_posix.h"
#include "io/io_pool.h"

namespace fasterkv {
namespace napi {

class AsyncIo;

struct IoRequest : io::IoJob {
  enum class Kind : uint8_t { kRead, kWrite, kDatasync };

  Kind kind = Kind::kRead;
  int handle = -1;
  std::shared_ptr<io::File> file;  // null when the handle was not open: ERR_CLOSED
  std::shared_ptr<AsyncIo> owner;  // held by the request while it is on the pool
  uint8_t* data = nullptr;
  size_t length = 0;
  uint64_t position = 0;
  napi_ref buffer = nullptr;
  napi_ref callback = nullptr;
  io::IoStatus status;
  size_t bytes = 0;
};

class AsyncIo : public std::enable_shared_from_this<AsyncIo> {
 public:
  // Creates the environment's threadsafe function (unref'd). Null after throwing.
  static std::shared_ptr<AsyncIo> Create(Napi::Env env);

  AsyncIo() = default;
  AsyncIo(const AsyncIo&) = delete;
  AsyncIo& operator=(const AsyncIo&) = delete;

  // A blank request from the free list (or a new one).
  IoRequest* Acquire();
  // Starts `request` (kind, handle, file, data, length, position, buffer and callback set).
  // Its callback runs later on this JS thread, never synchronously.
  void Submit(napi_env env, IoRequest* request);
  // Environment teardown; idempotent. `release` gives up the threadsafe function (false
  // when it is already being finalized).
  void Shutdown(napi_env env, bool release);

 private:
  static void Run(io::IoJob* job);
  static void CallJs(napi_env env, napi_value unused, void* context, void* data);
  static void Finalize(napi_env env, void* data, void* hint);

  void Complete(IoRequest* request);
  void Drain(napi_env env);
  void Deliver(napi_env env, IoRequest* request);
  void Release(napi_env env, IoRequest* request);

  std::mutex mutex_;
  std::condition_variable idle_;
  std::vector<IoRequest*> done_;  // guarded: completed, not yet delivered
  size_t in_flight_ = 0;          // guarded: submitted, not yet completed
  bool doorbell_ = false;         // guarded: a wake-up is queued on the tsfn
  bool closed_ = false;           // guarded: no more wake-ups, ever
  std::atomic<bool> closing_{false};  // lock-free copy of closed_ for I/O threads

  napi_threadsafe_function tsfn_ = nullptr;
  // JS thread only.
  std::vector<IoRequest*> draining_;
  std::vector<IoRequest*> free_;
  size_t pending_ = 0;  // submitted, callback not yet run
  bool referenced_ = false;
};

}  // namespace napi
}  // namespace fasterkv

#endif  // FASTERKV_NAPI_ASYNC_IO_H_
