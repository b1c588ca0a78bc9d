#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/labels.h"
#include "tests/support/temp_dir.h"

using namespace dlcam;
namespace fs = std::filesystem;

namespace {

using test::TempDir;

using test::readText;
using test::writeText;

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("readClassNames reads one name per line, Windows line ends and trailing empty lines dropped") {
  TempDir dir("read");
  const std::string path = dir.file("classes.txt");
  const Names expected = {"tench", "great white shark", "n01440764 tench", "x"};
  for (const std::string& text : {
           std::string("tench\ngreat white shark\nn01440764 tench\nx\n"),  // '\n' after the last name
           std::string("tench\ngreat white shark\nn01440764 tench\nx"),    // none
           std::string("tench\r\ngreat white shark\r\nn01440764 tench\r\nx\r\n"),
           std::string("tench\ngreat white shark\r\nn01440764 tench\nx\n\n\r\n\n"),  // trailing empty lines
           std::string("\xEF\xBB\xBFtench\ngreat white shark\nn01440764 tench\nx\n"),  // UTF-8 byte order mark
       }) {
    CAPTURE(text);
    writeText(path, text);
    CHECK(readClassNames(path) == expected);
  }
  // Spaces are part of a name; one name alone is a list.
  writeText(path, " padded \n");
  CHECK(readClassNames(path) == Names{" padded "});
}

TEST_CASE("readClassNames rejects a missing or empty file and an empty line among the names") {
  TempDir dir("bad");
  const std::string path = dir.file("classes.txt");
  CHECK_THROWS_WITH_AS(readClassNames(path), doctest::Contains(("cannot open class-names file '" + path + "': no such file").c_str()), Error);
  CHECK_THROWS_WITH_AS(readClassNames(dir.path.string()), doctest::Contains("is a directory"), Error);
  for (const std::string& text : {std::string(""), std::string("\n"), std::string("\r\n\n")}) {
    CAPTURE(text);
    writeText(path, text);
    CHECK_THROWS_WITH_AS(readClassNames(path), doctest::Contains((path + ": the file holds no class names").c_str()),
                         Error);
  }
  writeText(path, "cat\ndog\n\nbird\n");
  CHECK_THROWS_WITH_AS(readClassNames(path), doctest::Contains((path + ": line 3 is empty").c_str()), Error);
  writeText(path, "\r\ncat\n");
  CHECK_THROWS_WITH_AS(readClassNames(path), doctest::Contains((path + ": line 1 is empty").c_str()), Error);
}

TEST_CASE("writeClassNames writes one name per line, readClassNames reads them back") {
  TempDir dir("write");
  const std::string path = dir.file("out.txt");
  const Names names = {"tench", "great white shark", "Ünïcödé", " x "};
  writeClassNames(path, names);
  CHECK(readText(path) == "tench\ngreat white shark\nÜnïcödé\n x \n");
  CHECK(readClassNames(path) == names);
  // Replaces an existing file, leaving no temporary file beside it.
  writeClassNames(path, {"a"});
  CHECK(readClassNames(path) == Names{"a"});
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("writeClassNames rejects names that would not read back and creates no file") {
  TempDir dir("reject");
  const std::string path = dir.file("out.txt");
  CHECK_THROWS_WITH_AS(writeClassNames(path, {}), doctest::Contains((path + ": no class names").c_str()), Error);
  CHECK_THROWS_WITH_AS(writeClassNames(path, {"a", ""}),
                       doctest::Contains((path + ": the name of class 1 is empty").c_str()), Error);
  CHECK_THROWS_WITH_AS(writeClassNames(path, {"a", "b", "c\nd"}),
                       doctest::Contains((path + ": the name of class 2 contains a line break").c_str()), Error);
  CHECK_THROWS_WITH_AS(writeClassNames(path, {"a\r"}), doctest::Contains("contains a line break"), Error);
  CHECK(fs::is_empty(dir.path));
  const std::string nowhere = dir.file("no/dir/out.txt");
  CHECK_THROWS_WITH_AS(writeClassNames(nowhere, {"a"}), doctest::Contains(nowhere.c_str()), Error);
  CHECK(fs::is_empty(dir.path));
}
