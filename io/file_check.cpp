#include "io/file_check.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace dlcam {

void requireReadableFile(const std::string& path, const std::string& what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) fail("cannot open ", what, " '", path, "': no such file");
  if (ec) fail("cannot open ", what, " '", path, "': ", ec.message());
  if (fs::is_directory(status)) fail("cannot open ", what, " '", path, "': it is a directory");
  if (::access(path.c_str(), R_OK) != 0) fail("cannot open ", what, " '", path, "': ", std::strerror(errno));
}

std::string canonicalPath(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path absolute = fs::absolute(path, ec);
  if (ec) return fs::path(path).lexically_normal().string();
  const fs::path canonical = fs::weakly_canonical(absolute, ec);
  return (ec ? absolute.lexically_normal() : canonical).string();
}

}  // namespace dlcam
