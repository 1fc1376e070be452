// A FIFO of intrusive jobs under one mutex and condition variable, served by detached
// threads. The pool is a leaked singleton: its threads outlive every environment and run
// until the process exits, so nothing here may be destroyed at exit.
#include "io/io_pool.h"

#include <pthread.h>

#include <condition_variable>
#include <cstdlib>
#include <mutex>

namespace fasterkv {
namespace io {
namespace {

constexpr size_t kDefaultThreads = 8;
constexpr size_t kMaxThreads = 64;
constexpr size_t kThreadStackBytes = size_t{512} << 10;

struct Pool {
  std::mutex mutex;
  std::condition_variable ready;
  IoJob* head = nullptr;
  IoJob* tail = nullptr;
  size_t threads = 0;
};

size_t ConfiguredThreads() {
  const char* text = std::getenv("FASTERKV_IO_THREADS");
  if (text == nullptr || *text == '\0') return kDefaultThreads;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*end != '\0') return kDefaultThreads;
  if (value < 1) return 1;
  if (value > static_cast<long>(kMaxThreads)) return kMaxThreads;
  return static_cast<size_t>(value);
}

IoJob* NextJob(Pool* pool) {
  std::unique_lock<std::mutex> lock(pool->mutex);
  pool->ready.wait(lock, [pool] { return pool->head != nullptr; });
  IoJob* job = pool->head;
  pool->head = job->next;
  if (pool->head == nullptr) pool->tail = nullptr;
  job->next = nullptr;
  return job;
}

void* ThreadMain(void* arg) {
  Pool* pool = static_cast<Pool*>(arg);
#if defined(__linux__)
  pthread_setname_np(pthread_self(), "fasterkv-io");
#endif
  for (;;) {
    IoJob* job = NextJob(pool);
    job->run(job);
  }
  return nullptr;
}

Pool* StartPool() {
  Pool* pool = new Pool();
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, kThreadStackBytes);
  const size_t wanted = ConfiguredThreads();
  for (size_t i = 0; i < wanted; i++) {
    pthread_t thread;
    if (pthread_create(&thread, &attr, ThreadMain, pool) != 0) break;
    pool->threads++;
  }
  pthread_attr_destroy(&attr);
  return pool;
}

Pool* GetPool() {
  static Pool* pool = StartPool();
  return pool;
}

}  // namespace

void SubmitIoJob(IoJob* job) {
  Pool* pool = GetPool();
  if (pool->threads == 0) {
    job->run(job);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(pool->mutex);
    job->next = nullptr;
    if (pool->tail == nullptr) {
      pool->head = job;
    } else {
      pool->tail->next = job;
    }
    pool->tail = job;
  }
  pool->ready.notify_one();
}

size_t IoThreadCount() { return GetPool()->threads; }

}  // namespace io
}  // namespace fasterkv
