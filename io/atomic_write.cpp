#include "io/atomic_write.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace dlcam::detail {

namespace {

// The process id tells processes apart and the counter threads of one process, so that two
// writers of the same path never share a temporary file.
std::string temporaryPathFor(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  return path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

void removeQuietly(const std::string& path) {
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
}

}  // namespace

void writeFileAtomically(const std::string& path, const std::string& who,
                         const std::function<void(std::ostream& out)>& write) {
  namespace fs = std::filesystem;
  const std::string temporary = temporaryPathFor(path);
  std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
  if (!out) {
    const int error = errno;  // set by the failed open(2) underneath the stream
    const fs::path dir = fs::path(path).parent_path();
    std::error_code ec;
    if (!dir.empty() && !fs::is_directory(dir, ec))
      fail(who, ": ", path, ": cannot create the file: the directory ", dir.string(), " does not exist");
    fail(who, ": ", path, ": cannot create the file (", std::strerror(error), ")");
  }
  try {
    write(out);
    out.close();
  } catch (...) {
    out.close();
    removeQuietly(temporary);
    throw;
  }
  if (!out) {
    removeQuietly(temporary);
    fail(who, ": ", path, ": writing the file failed");
  }
  std::error_code ec;
  fs::rename(temporary, path, ec);
  if (ec) {
    removeQuietly(temporary);
    fail(who, ": ", path, ": cannot replace the file (", ec.message(), ")");
  }
}

}  // namespace dlcam::detail
