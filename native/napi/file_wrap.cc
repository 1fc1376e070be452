// Synchronous file calls. They block the calling JS thread for the duration of the system
// call, as their *Sync names say; the asynchronous ones are in async_io_wrap.cc.
#include "napi/file_wrap.h"

#include <string>

#include "io/file_table.h"
#include "napi/args.h"
#include "napi/errors.h"

namespace fasterkv {
namespace napi {
namespace {

// Returns undefined, or throws ERR_IO for a failed status.
Napi::Value Done(Napi::Env env, const io::IoStatus& status, const std::string& path) {
  if (!status.ok()) {
    Throw(env, MakeIoError(env, status, path));
    return Napi::Value();
  }
  return env.Undefined();
}

Napi::Value JsFileOpen(const Napi::CallbackInfo& info) {
  std::string path;
  bool create, read_only, direct;
  if (!ReadPath(info, 0, "path", &path) || !ReadBoolean(info, 1, "create", &create) ||
      !ReadBoolean(info, 2, "readOnly", &read_only) || !ReadBoolean(info, 3, "direct", &direct)) {
    return Napi::Value();
  }
  std::shared_ptr<io::File> file;
  const io::IoStatus status = io::OpenFile(path, create, read_only, direct, &file);
  if (!status.ok()) return Done(info.Env(), status, path);
  return Napi::Number::New(info.Env(), io::AddFile(std::move(file)));
}

Napi::Value JsFileIsDirect(const Napi::CallbackInfo& info) {
  std::shared_ptr<io::File> file = ReadOpenFile(info);
  if (!file) return Napi::Value();
  return Napi::Boolean::New(info.Env(), file->direct());
}

Napi::Value JsFileClose(const Napi::CallbackInfo& info) {
  int handle;
  if (!ReadHandle(info, 0, &handle)) return Napi::Value();
  std::shared_ptr<io::File> file = io::TakeFile(handle);
  if (!file) {
    Throw(info.Env(), MakeClosedError(info.Env(), handle));
    return Napi::Value();
  }
  // With asynchronous I/O still in flight the last request closes it, silently.
  if (file.use_count() > 1) return info.Env().Undefined();
  return Done(info.Env(), file->Close(), file->path());
}

Napi::Value JsFileReadSync(const Napi::CallbackInfo& info) {
  std::shared_ptr<io::File> file = ReadOpenFile(info);
  Bytes dst;
  uint64_t position;
  if (!file || !ReadBytes(info, 1, "dst", &dst) || !ReadPosition(info, 2, "position", &position)) {
    return Napi::Value();
  }
  size_t done = 0;
  const io::IoStatus status = io::ReadAt(*file, dst.data, dst.length, position, &done);
  if (!status.ok()) return Done(info.Env(), status, file->path());
  return Napi::Number::New(info.Env(), static_cast<double>(done));
}

Napi::Value JsFileWriteSync(const Napi::CallbackInfo& info) {
  std::shared_ptr<io::File> file = ReadOpenFile(info);
  Bytes src;
  uint64_t position;
  if (!file || !ReadBytes(info, 1, "src", &src) || !ReadPosition(info, 2, "position", &position)) {
    return Napi::Value();
  }
  size_t done = 0;
  return Done(info.Env(), io::WriteAt(*file, src.data, src.length, position, &done),
              file->path());
}

Napi::Value JsFileDatasyncSync(const Napi::CallbackInfo& info) {
  std::shared_ptr<io::File> file = ReadOpenFile(info);
  if (!file) return Napi::Value();
  return Done(info.Env(), io::Datasync(*file), file->path());
}

Napi::Value JsFileAllocate(const Napi::CallbackInfo& info) {
  std::shared_ptr<io::File> file = ReadOpenFile(info);
  uint64_t offset, length;
  if (!file || !ReadPosition(info, 1, "offset", &offset) ||
      !ReadPosition(info, 2, "length", &length)) {
    return Napi::Value();
  }
  return Done(info.Env(), io::Allocate(*file, offset, length), file->path());
}

Napi::Value JsFileTruncate(const Napi::CallbackInfo& info) {
  std::shared_ptr<io::File> file = ReadOpenFile(info);
  uint64_t length;
  if (!file || !ReadPosition(info, 1, "length", &length)) return Napi::Value();
  return Done(info.Env(), io::Truncate(*file, length), file->path());
}

Napi::Value JsFileSize(const Napi::CallbackInfo& info) {
  std::shared_ptr<io::File> file = ReadOpenFile(info);
  if (!file) return Napi::Value();
  uint64_t size = 0;
  const io::IoStatus status = io::Size(*file, &size);
  if (!status.ok()) return Done(info.Env(), status, file->path());
  return Napi::Number::New(info.Env(), static_cast<double>(size));
}

Napi::Value JsUnlink(const Napi::CallbackInfo& info) {
  std::string path;
  if (!ReadPath(info, 0, "path", &path)) return Napi::Value();
  return Done(info.Env(), io::Unlink(path), path);
}

Napi::Value JsFsyncDirectory(const Napi::CallbackInfo& info) {
  std::string path;
  if (!ReadPath(info, 0, "path", &path)) return Napi::Value();
  return Done(info.Env(), io::FsyncDirectory(path), path);
}

Napi::Value JsAlignmentOffset(const Napi::CallbackInfo& info) {
  Bytes view;
  uint32_t alignment;
  if (!ReadBytes(info, 0, "view", &view) || !ReadAlignment(info, 1, "alignment", &alignment)) {
    return Napi::Value();
  }
  const uintptr_t address = reinterpret_cast<uintptr_t>(view.data);
  const uintptr_t skip = (alignment - address % alignment) % alignment;
  return Napi::Number::New(info.Env(), static_cast<double>(skip));
}

}  // namespace

std::shared_ptr<io::File> ReadOpenFile(const Napi::CallbackInfo& info) {
  int handle;
  if (!ReadHandle(info, 0, &handle)) return nullptr;
  std::shared_ptr<io::File> file = io::FindFile(handle);
  if (!file) Throw(info.Env(), MakeClosedError(info.Env(), handle));
  return file;
}

void RegisterFile(Napi::Env env, Napi::Object exports) {
  exports.Set("fileOpen", Napi::Function::New<JsFileOpen>(env, "fileOpen"));
  exports.Set("fileIsDirect", Napi::Function::New<JsFileIsDirect>(env, "fileIsDirect"));
  exports.Set("fileClose", Napi::Function::New<JsFileClose>(env, "fileClose"));
  exports.Set("fileReadSync", Napi::Function::New<JsFileReadSync>(env, "fileReadSync"));
  exports.Set("fileWriteSync", Napi::Function::New<JsFileWriteSync>(env, "fileWriteSync"));
  exports.Set("fileDatasyncSync",
              Napi::Function::New<JsFileDatasyncSync>(env, "fileDatasyncSync"));
  exports.Set("fileAllocate", Napi::Function::New<JsFileAllocate>(env, "fileAllocate"));
  exports.Set("fileTruncate", Napi::Function::New<JsFileTruncate>(env, "fileTruncate"));
  exports.Set("fileSize", Napi::Function::New<JsFileSize>(env, "fileSize"));
  exports.Set("unlink", Napi::Function::New<JsUnlink>(env, "unlink"));
  exports.Set("fsyncDirectory", Napi::Function::New<JsFsyncDirectory>(env, "fsyncDirectory"));
  exports.Set("alignmentOffset", Napi::Function::New<JsAlignmentOffset>(env, "alignmentOffset"));
}

}  // namespace napi
}  // namespace fasterkv
