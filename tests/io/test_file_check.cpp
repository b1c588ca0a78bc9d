// requireReadableFile and canonicalPath (io/file_check.h), and the readers that use them.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"
#include "io/file_check.h"
#include "io/image.h"
#include "io/labels.h"
#include "io/npy.h"
#include "tests/support/temp_dir.h"

using namespace dlcam;
namespace fs = std::filesystem;

namespace {
using test::TempDir;

}  // namespace

TEST_CASE("requireReadableFile names the file and why it cannot be read, the same for every reader") {
  TempDir dir("require");
  const std::string missing = dir.file("missing.txt"), folder = dir.path.string();
  std::ofstream(dir.file("here.txt")) << "x";
  CHECK_NOTHROW(requireReadableFile(dir.file("here.txt"), "thing"));
  CHECK_THROWS_WITH_AS(requireReadableFile(missing, "thing"),
                       ("cannot open thing '" + missing + "': no such file").c_str(), Error);
  CHECK_THROWS_WITH_AS(requireReadableFile(folder, "thing"),
                       ("cannot open thing '" + folder + "': it is a directory").c_str(), Error);
  CHECK_THROWS_WITH_AS(requireReadableFile("", "thing"), "cannot open thing '': no such file", Error);

  // The readers: a missing file is "no such file", a directory "it is a directory".
  CHECK_THROWS_WITH_AS(readNpy(missing), ("cannot open .npy file '" + missing + "': no such file").c_str(), Error);
  CHECK_THROWS_WITH_AS(readNpy(folder), ("cannot open .npy file '" + folder + "': it is a directory").c_str(), Error);
  CHECK_THROWS_WITH_AS(readImage(missing), ("cannot open image '" + missing + "': no such file").c_str(), Error);
  CHECK_THROWS_WITH_AS(readImage(folder), ("cannot open image '" + folder + "': it is a directory").c_str(), Error);
  CHECK_THROWS_WITH_AS(readClassNames(missing),
                       ("cannot open class-names file '" + missing + "': no such file").c_str(), Error);
  CHECK_THROWS_WITH_AS(readClassNames(folder),
                       ("cannot open class-names file '" + folder + "': it is a directory").c_str(), Error);
}

TEST_CASE("canonicalPath gives one spelling of a path, existing or not") {
  TempDir dir("canonical");
  fs::create_directory(dir.path / "sub");
  const std::string x = canonicalPath(dir.file("x.png"));  // does not exist
  CHECK(fs::path(x).is_absolute());
  CHECK(canonicalPath((dir.path / "." / "x.png").string()) == x);
  CHECK(canonicalPath((dir.path / "sub" / ".." / "x.png").string()) == x);
  CHECK(canonicalPath(dir.file("y.png")) != x);
  // A relative path is taken from the current directory.
  CHECK(canonicalPath("x.png") == canonicalPath("./x.png"));
  CHECK(canonicalPath("x.png") == (fs::canonical(fs::current_path()) / "x.png").string());
  // A symbolic link resolves to its target.
  std::ofstream(dir.file("real.txt")) << "x";
  fs::create_symlink(dir.path / "real.txt", dir.path / "link.txt");
  CHECK(canonicalPath(dir.file("link.txt")) == canonicalPath(dir.file("real.txt")));
}
