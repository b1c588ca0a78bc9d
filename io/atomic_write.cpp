#include "io/atomic_write.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/error.h"
#include "io/file_check.h"

namespace dlcam {

namespace {

namespace fs = std::filesystem;

// The process id tells processes apart and the counter threads of one process, so that two
// writers in one directory never share a temporary file. The name stays short whatever the
// target's name is: a name beyond NAME_MAX (255 bytes) could not be created.
std::string temporaryPathFor(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  const std::string name = ".dlcam-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".tmp";
  return (fs::path(path).parent_path() / name).string();
}

void removeQuietly(const std::string& path) {
  std::error_code ignored;
  fs::remove(path, ignored);
}

// fsync(2) of a file or directory; the error's text, empty on success.
std::string syncToDisk(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return std::strerror(errno);
  const int result = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  return result == 0 ? "" : std::strerror(error);
}

}  // namespace

StagedFiles::~StagedFiles() {
  for (const File& f : files_) removeQuietly(f.temporary);
}

void StagedFiles::stage(const std::string& path, const std::string& who,
                        const std::function<void(std::ostream& out)>& write) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) fail(who, ": ", path, ": cannot replace the file: it is a directory");
  const std::string canonical = canonicalPath(path);
  for (const File& f : files_)
    if (canonicalPath(f.path) == canonical) fail(who, ": ", path, ": the file is staged already (as ", f.path, ")");

  const std::string temporary = temporaryPathFor(path);
  std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
  if (!out) {
    const int error = errno;  // set by the failed open(2) underneath the stream
    const fs::path dir = fs::path(path).parent_path();
    if (!dir.empty() && !fs::is_directory(dir, ec))
      fail(who, ": ", path, ": cannot create the file: ", dir.string(),
           fs::exists(dir, ec) ? " is not a directory" : " does not exist");
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
  if (const std::string error = syncToDisk(temporary, O_RDONLY); !error.empty()) {
    removeQuietly(temporary);
    fail(who, ": ", path, ": flushing the file to disk failed (", error, ")");
  }
  files_.push_back({temporary, path, who});
}

void StagedFiles::commit() {
  std::set<std::string> directories;
  for (size_t k = 0; k < files_.size(); ++k) {
    const File& f = files_[k];
    std::error_code ec;
    fs::rename(f.temporary, f.path, ec);
    if (ec) {
      const File failed = f;
      for (size_t rest = k; rest < files_.size(); ++rest) removeQuietly(files_[rest].temporary);
      files_.clear();
      fail(failed.who, ": ", failed.path, ": cannot replace the file (", ec.message(), ")");
    }
    const fs::path dir = fs::path(f.path).parent_path();
    directories.insert(dir.empty() ? "." : dir.string());
  }
  files_.clear();
  // The renames reach the disk with their directories. A file system that cannot sync a
  // directory (some network ones) has the files in place all the same.
  for (const std::string& dir : directories) syncToDisk(dir, O_RDONLY | O_DIRECTORY);
}

std::vector<std::string> StagedFiles::paths() const {
  std::vector<std::string> paths;
  for (const File& f : files_) paths.push_back(f.path);
  return paths;
}

namespace detail {

void writeFileAtomically(const std::string& path, const std::string& who,
                         const std::function<void(std::ostream& out)>& write) {
  StagedFiles file;
  file.stage(path, who, write);
  file.commit();
}

}  // namespace detail
}  // namespace dlcam
