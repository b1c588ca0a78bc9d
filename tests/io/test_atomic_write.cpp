// StagedFiles (io/atomic_write.h): files written beside their targets under short temporary
// names and renamed into place together, or not at all.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"
#include "io/atomic_write.h"
#include "io/image.h"
#include "io/npy.h"
#include "tests/support/temp_dir.h"

using namespace dlcam;
namespace fs = std::filesystem;

namespace {

using test::TempDir;

using test::readText;
using test::writeText;

// A writer for StagedFiles::stage that writes `text`.
auto text(const std::string& text) {
  return [text](std::ostream& out) { out << text; };
}

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("StagedFiles replaces its files only on commit, and leaves old files when dropped") {
  TempDir dir("commit");
  writeText(dir.file("a.txt"), "old a");
  {
    StagedFiles files;
    files.stage(dir.file("a.txt"), "test", text("new a"));
    files.stage(dir.file("b.txt"), "test", text("new b"));
    CHECK(files.paths() == Names{dir.file("a.txt"), dir.file("b.txt")});
    CHECK(readText(dir.file("a.txt")) == "old a");  // staged, not yet in place
    CHECK(!fs::exists(dir.file("b.txt")));
  }  // dropped without commit: the temporary files go, the old file stays
  CHECK(dir.entries() == std::set<std::string>{"a.txt"});
  CHECK(readText(dir.file("a.txt")) == "old a");

  StagedFiles files;
  files.stage(dir.file("a.txt"), "test", text("new a"));
  files.stage(dir.file("b.txt"), "test", text("new b"));
  files.commit();
  CHECK(files.paths().empty());
  CHECK(dir.entries() == std::set<std::string>{"a.txt", "b.txt"});
  CHECK(readText(dir.file("a.txt")) == "new a");
  CHECK(readText(dir.file("b.txt")) == "new b");
}

TEST_CASE("StagedFiles: a write that fails leaves every old file as it was and no temporary file") {
  TempDir dir("fail");
  writeText(dir.file("old.npy"), "old contents");
  fs::create_directory(dir.path / "taken.png");
  const std::string nowhere = dir.file("no/such/dir/x.png");
  Image image(2, 2, 3);
  SUBCASE("the second target is a directory") {
    StagedFiles files;
    writeNpy(dir.file("old.npy"), Tensor::full(Shape{3}, 1), {}, files);
    CHECK_THROWS_WITH_AS(writePng(dir.file("taken.png"), image, files),
                         doctest::Contains("taken.png: cannot replace the file: it is a directory"), Error);
  }
  SUBCASE("the second target's directory does not exist") {
    StagedFiles files;
    writeNpy(dir.file("old.npy"), Tensor::full(Shape{3}, 1), {}, files);
    CHECK_THROWS_WITH_AS(writePng(nowhere, image, files),
                         doctest::Contains((nowhere + ": cannot create the file").c_str()), Error);
  }
  SUBCASE("the writer throws") {
    StagedFiles files;
    files.stage(dir.file("old.npy"), "test", text("new"));
    CHECK_THROWS_AS(files.stage(dir.file("c.txt"), "test", [](std::ostream&) { throw std::runtime_error("mine"); }),
                    std::runtime_error);
  }
  CHECK(readText(dir.file("old.npy")) == "old contents");
  CHECK(dir.entries() == std::set<std::string>{"old.npy", "taken.png"});
}

TEST_CASE("StagedFiles writes beside the target under a short name, so any target name that fits works") {
  TempDir dir("names");
  // The temporary file, seen while it is written: in the target's directory, ".dlcam-<pid>-<n>.tmp".
  std::set<std::string> during;
  StagedFiles files;
  files.stage(dir.file("x.txt"), "test", [&](std::ostream& out) {
    during = dir.entries();
    out << "x";
  });
  REQUIRE(during.size() == 1);
  const std::string prefix = ".dlcam-" + std::to_string(::getpid()) + "-";
  CHECK(during.begin()->starts_with(prefix));
  CHECK(during.begin()->ends_with(".tmp"));
  CHECK(during.begin()->size() < 32);
  files.commit();
  CHECK(dir.entries() == std::set<std::string>{"x.txt"});

  // A name of 255 bytes (NAME_MAX): a temporary name made by appending to it could not exist.
  const std::string longName = std::string(251, 'n') + ".png";
  REQUIRE(longName.size() == 255);
  writePng(dir.file(longName), Image(2, 3, 1));
  CHECK(readImage(dir.file(longName)).width == 3);
  writeNpy(dir.file(std::string(251, 'm') + ".npy"), Tensor::full(Shape{2}, 5));
  CHECK(readNpy(dir.file(std::string(251, 'm') + ".npy")).at(1) == 5);
  CHECK(dir.entries().size() == 3);
}

TEST_CASE("StagedFiles refuses one target staged twice, however it is spelled") {
  TempDir dir("twice");
  fs::create_directory(dir.path / "sub");
  StagedFiles files;
  files.stage(dir.file("x.txt"), "test", text("1"));
  CHECK_THROWS_WITH_AS(files.stage((dir.path / "sub" / ".." / "." / "x.txt").string(), "test", text("2")),
                       doctest::Contains("the file is staged already"), Error);
  files.commit();
  CHECK(readText(dir.file("x.txt")) == "1");
  CHECK(dir.entries() == std::set<std::string>{"sub", "x.txt"});
}
