// Every input a fuzzer once crashed on (tests/fixtures/fuzz/<target>/, named after what it
// broke), replayed through the fuzz target's own body (fuzz/harness.h): each must now load or
// fail with a dlcam::Error. (fuzz_npy has found nothing yet: no npy folder.) scripts/sanitize.sh runs this under AddressSanitizer and
// UndefinedBehaviorSanitizer too, where the memory errors the fuzzers found would show.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "core/limits.h"
#include "fuzz/harness.h"
#include "tests/support/paths.h"
#include "tests/support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using dlcam::test::fixturesDir;

std::vector<fs::path> findings(const std::string& target) {
  std::vector<fs::path> files;
  const fs::path dir = fixturesDir() / "fuzz" / target;
  if (!fs::exists(dir)) return files;  // no finding yet
  for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<uint8_t> bytesOf(const fs::path& path) {
  const std::string text = dlcam::test::readText(path.string());
  return {text.begin(), text.end()};
}

// Each target's inputs, run the way its fuzzer runs them; returns how many there were.
template <typename Run>
size_t replay(const std::string& target, Run run) {
  const dlcam::ScopedMemoryCap cap(dlcam::fuzz::kMemoryCap);
  size_t count = 0;
  for (const fs::path& file : findings(target)) {
    CAPTURE(file.filename().string());
    const std::vector<uint8_t> bytes = bytesOf(file);
    CHECK_NOTHROW(run(std::span<const uint8_t>(bytes)));
    ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("fuzz findings: ONNX models that once crashed the importer now load or fail cleanly") {
  CHECK(replay("onnx", [](std::span<const uint8_t> b) { dlcam::fuzz::onnxModel(b); }) >= 1);
  // A Flatten of a declared input whose element count overflowed int64 (signed overflow).
  const std::vector<uint8_t> bytes = bytesOf(fixturesDir() / "fuzz/onnx/flatten-shape-product-overflow.onnx");
  CHECK_THROWS_WITH_AS(dlcam::onnx::importNetwork(dlcam::onnx::parseModel(bytes)),
                       doctest::Contains("has more elements than fit in int64"), dlcam::Error);
}

TEST_CASE("fuzz findings: images that once crashed the decoders now decode or fail cleanly") {
  CHECK(replay("image", [](std::span<const uint8_t> b) { dlcam::fuzz::imageFile(b); }) >= 1);
  // What each one gets now.
  const dlcam::ScopedMemoryCap cap(dlcam::fuzz::kMemoryCap);
  const fs::path dir = fixturesDir() / "fuzz" / "image";
  auto decode = [&](const char* name) {
    const std::vector<uint8_t> bytes = bytesOf(dir / name);
    return dlcam::decodeImage(bytes, 3, name);
  };
  // stb_image 2.27 wrote past a Huffman table that declares more than 256 codes (the second
  // file starts with 0xFF fill bytes before its SOI marker, which stb skips).
  for (const char* name : {"jpeg-huffman-table-over-256-codes.jpg", "jpeg-huffman-table-after-fill-bytes.jpg"})
    CHECK_THROWS_WITH_AS(decode(name), doctest::Contains("corrupt JPEG: a Huffman table defines"), dlcam::Error);
  // The BMP header's size overflowed int64 in dlcam's own check against the memory cap.
  CHECK_THROWS_WITH_AS(decode("bmp-declared-size-overflow.bmp"), doctest::Contains("over dlcam's memory cap"),
                       dlcam::Error);
}

TEST_CASE("fuzz findings: command lines that once broke a promise of dlcam's now keep it") {
  dlcam::test::TempDir dir("fuzz_cli");
  dlcam::fuzz::CommandLine cli(dlcam::test::sourceDir(), dir.path / "scratch");
  CHECK(replay("cli", [&](std::span<const uint8_t> b) { CHECK(cli.run(b)); }) >= 1);  // false: skipped
}
