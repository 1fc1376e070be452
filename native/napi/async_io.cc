// Completion delivery. The doorbell protocol: an I/O thread that completes a request appends
// it to done_ and, if no wake-up is queued yet, queues one on the threadsafe function; the JS
// thread takes the whole of done_ at once and runs the callbacks. Both steps happen under
// mutex_, and Shutdown sets closed_ under mutex_ before the threadsafe function can go away,
// so no I/O thread ever calls a released threadsafe function.
#include "napi/async_io.h"

#include "napi/errors.h"

namespace fasterkv {
namespace napi {
namespace {

void Execute(IoRequest* request) {
  const io::File& file = *request->file;
  switch (request->kind) {
    case IoRequest::Kind::kRead:
      request->status =
          io::ReadAt(file, request->data, request->length, request->position, &request->bytes);
      break;
    case IoRequest::Kind::kWrite:
      request->status =
          io::WriteAt(file, request->data, request->length, request->position, &request->bytes);
      break;
    case IoRequest::Kind::kDatasync:
      request->status = io::Datasync(file);
      break;
  }
}

}  // namespace

std::shared_ptr<AsyncIo> AsyncIo::Create(Napi::Env env) {
  auto self = std::make_shared<AsyncIo>();
  // The finalize data keeps the object alive until the threadsafe function is finalized.
  auto* keep_alive = new std::shared_ptr<AsyncIo>(self);
  napi_value name = Napi::String::New(env, "fasterkv.io");
  const napi_status status = napi_create_threadsafe_function(
      env, nullptr, nullptr, name, 0, 1, keep_alive, &AsyncIo::Finalize, self.get(),
      &AsyncIo::CallJs, &self->tsfn_);
  if (status != napi_ok) {
    delete keep_alive;
    Throw(env, MakeError(env, "ERR_IO", "cannot create the I/O completion channel"));
    return nullptr;
  }
  napi_unref_threadsafe_function(env, self->tsfn_);
  return self;
}

IoRequest* AsyncIo::Acquire() {
  if (free_.empty()) return new IoRequest();
  IoRequest* request = free_.back();
  free_.pop_back();
  return request;
}

void AsyncIo::Submit(napi_env env, IoRequest* request) {
  if (!referenced_) {
    napi_ref_threadsafe_function(env, tsfn_);
    referenced_ = true;
  }
  pending_++;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    in_flight_++;
  }
  request->status = io::IoStatus();
  request->bytes = 0;
  if (!request->file) {
    Complete(request);
    return;
  }
  request->owner = shared_from_this();
  request->run = &AsyncIo::Run;
  io::SubmitIoJob(request);
}

void AsyncIo::Run(io::IoJob* job) {
  auto* request = static_cast<IoRequest*>(job);
  // Held here, not by the request, so the object outlives the unlock in Complete().
  std::shared_ptr<AsyncIo> owner = std::move(request->owner);
  if (!owner->closing_.load(std::memory_order_acquire)) Execute(request);
  owner->Complete(request);
}

void AsyncIo::Complete(IoRequest* request) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_.push_back(request);
  in_flight_--;
  if (closed_) {
    if (in_flight_ == 0) idle_.notify_all();
    return;
  }
  if (!doorbell_) {
    doorbell_ = true;
    napi_call_threadsafe_function(tsfn_, nullptr, napi_tsfn_nonblocking);
  }
}

void AsyncIo::CallJs(napi_env env, napi_value, void* context, void*) {
  // env is null when node flushes the queue during teardown; Shutdown handles the rest.
  if (env == nullptr) return;
  static_cast<AsyncIo*>(context)->Drain(env);
}

void AsyncIo::Drain(napi_env env) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    draining_.swap(done_);
    doorbell_ = false;
  }
  for (IoRequest* request : draining_) {
    Deliver(env, request);
    Release(env, request);
    free_.push_back(request);
    pending_--;
  }
  draining_.clear();
  if (pending_ == 0 && referenced_) {
    napi_unref_threadsafe_function(env, tsfn_);
    referenced_ = false;
  }
}

// Runs the request's callback: (err, bytes) for reads and writes, (err) for datasync. An
// exception thrown by the callback is reported as uncaught, as for any I/O callback in Node,
// and the remaining completions are still delivered.
void AsyncIo::Deliver(napi_env env, IoRequest* request) {
  Napi::Env js(env);
  Napi::HandleScope scope(js);
  napi_value callback = nullptr;
  if (napi_get_reference_value(env, request->callback, &callback) != napi_ok ||
      callback == nullptr) {
    return;
  }
  napi_value argv[2];
  if (!request->file) {
    argv[0] = MakeClosedError(js, request->handle);
  } else if (!request->status.ok()) {
    argv[0] = MakeIoError(js, request->status, request->file->path());
  } else {
    argv[0] = js.Null();
  }
  if (!js.IsExceptionPending()) {
    argv[1] = Napi::Number::New(js, static_cast<double>(request->bytes));
    const size_t argc = request->kind == IoRequest::Kind::kDatasync ? 1 : 2;
    napi_call_function(env, js.Undefined(), callback, argc, argv, nullptr);
  }
  if (js.IsExceptionPending()) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
}

void AsyncIo::Release(napi_env env, IoRequest* request) {
  if (request->buffer != nullptr) napi_delete_reference(env, request->buffer);
  if (request->callback != nullptr) napi_delete_reference(env, request->callback);
  request->buffer = nullptr;
  request->callback = nullptr;
  request->file.reset();
  request->data = nullptr;
}

void AsyncIo::Shutdown(napi_env env, bool release) {
  std::vector<IoRequest*> left;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (closed_) return;
    closed_ = true;
    closing_.store(true, std::memory_order_release);
    idle_.wait(lock, [this] { return in_flight_ == 0; });
    left.swap(done_);
  }
  for (IoRequest* request : left) {
    Release(env, request);
    delete request;
  }
  for (IoRequest* request : free_) delete request;
  free_.clear();
  if (release) napi_release_threadsafe_function(tsfn_, napi_tsfn_abort);
}

void AsyncIo::Finalize(napi_env env, void* data, void*) {
  auto* keep_alive = static_cast<std::shared_ptr<AsyncIo>*>(data);
  (*keep_alive)->Shutdown(env, false);
  delete keep_alive;
}

}  // namespace napi
}  // namespace fasterkv
