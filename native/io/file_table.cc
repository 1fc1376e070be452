// The table is a leaked singleton: worker threads may still be using a File while the
// process runs its static destructors at exit, so it must never be destroyed.
#include "io/file_table.h"

#include <mutex>
#include <unordered_map>
#include <utility>

namespace fasterkv {
namespace io {
namespace {

struct FileTable {
  std::mutex mutex;
  std::unordered_map<int, std::shared_ptr<File>> files;
};

FileTable& Table() {
  static FileTable* table = new FileTable();
  return *table;
}

}  // namespace

int AddFile(std::shared_ptr<File> file) {
  FileTable& table = Table();
  const int handle = file->fd();
  std::lock_guard<std::mutex> lock(table.mutex);
  table.files[handle] = std::move(file);
  return handle;
}

std::shared_ptr<File> FindFile(int handle) {
  FileTable& table = Table();
  std::lock_guard<std::mutex> lock(table.mutex);
  auto it = table.files.find(handle);
  return it == table.files.end() ? nullptr : it->second;
}

std::shared_ptr<File> TakeFile(int handle) {
  FileTable& table = Table();
  std::lock_guard<std::mutex> lock(table.mutex);
  auto it = table.files.find(handle);
  if (it == table.files.end()) return nullptr;
  std::shared_ptr<File> file = std::move(it->second);
  table.files.erase(it);
  return file;
}

}  // namespace io
}  // namespace fasterkv
