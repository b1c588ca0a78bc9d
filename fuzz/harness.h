// The fuzz targets' bodies, shared with the regression test (tests/io/test_fuzz_regressions.cpp)
// that replays every input the fuzzers ever crashed on (tests/fixtures/fuzz/<target>/).
//
// Each function feeds one input to one loader, the way dlcam itself does, and returns
// normally when the loader accepts the input or throws dlcam::Error: a clear error is the
// right answer to a bad file. Anything else escapes and is a finding: a std::logic_error from
// DLCAM_ASSERT (a dlcam bug) or from a broken promise checked here, std::bad_alloc,
// std::length_error, and, in the sanitizer builds, any memory error, leak or undefined
// behaviour. libFuzzer reports an escaped exception as a crash.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <set>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "apps/dlcam/cli.h"
#include "core/array.h"
#include "core/error.h"
#include "core/limits.h"
#include "io/image.h"
#include "io/npy.h"
#include "io/onnx/importer.h"
#include "io/onnx/proto.h"
#include "layers/network.h"

namespace dlcam::fuzz {

// libFuzzer stops at 2 GiB of RSS (-rss_limit_mb) and counts one malloc above that as a
// crash. Under a 256 MiB cap on tensors and decoded images, going past the cap is an error
// message, not a finding.
inline constexpr int64_t kMemoryCap = int64_t{256} << 20;

// ONNX model bytes → parsed model → imported Network → its summary and, when the input is
// small, one prediction on zeros: the path `dlcam explain model.onnx …` takes.
inline void onnxModel(std::span<const uint8_t> bytes) {
  try {
    const onnx::Model model = onnx::parseModel(bytes);
    const Network net = onnx::importNetwork(model);
    (void)net.summary();
    const ActivationInfo& in = net.outputInfo(net.inputLayer().name());
    if (in.size.numel() <= 4096) (void)net.predict(Array(Tensor::zeros(in.size), in.format));
  } catch (const Error&) {
  }
}

// .npy bytes → readNpy with both index conventions. readNpy takes a path (and checks the
// file's length against its header), so the bytes go through the file `scratch`.
inline void npyArray(std::span<const uint8_t> bytes, const std::string& scratch) {
  FILE* f = std::fopen(scratch.c_str(), "wb");
  if (!f || (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()))
    throw std::runtime_error("fuzz: cannot write " + scratch);
  std::fclose(f);
  for (auto indexing : {NpyIndexing::Reversed, NpyIndexing::Same}) {
    try {
      (void)readNpy(scratch, indexing).numel();
    } catch (const Error&) {
    }
  }
}

// Image file bytes → decodeImage (stb_image for PNG, JPEG and BMP; dlcam's PGM/PPM reader) →
// the h×w×c tensor a model gets, and back. The channel count asked for (0 to 4) is the
// input's length modulo 5, so that every conversion is reached.
inline void imageFile(std::span<const uint8_t> bytes) {
  try {
    const Image image = decodeImage(bytes, static_cast<int>(bytes.size() % 5), "fuzz");
    if (tensorToImage(imageToTensor(image)).pixels != image.pixels)
      throw std::logic_error("fuzz: an image does not survive the round trip through a tensor");
  } catch (const Error&) {
  }
}

// The `dlcam` command line, run in a scratch directory that holds a small model (m.onnx), its
// labels (l.txt), an image (x.png) and an array (x.npy). The input is the argument list, one
// argument per line ("explain\nm.onnx\nx.png\n--class\n3").
//
// Arguments holding '/' are skipped (run returns false), so that no run reads or writes
// outside the scratch directory. Each run checks the command line's promises:
//   - the exit code is 0, 1 (error) or 2 (usage error);
//   - a failed run prints exactly one line on stderr, "dlcam: error: …" (dlcam with no
//     arguments, which prints the help, and --verbose, which adds timings, aside), and leaves the directory as it found it: no
//     partial output, no temporary file;
// and then removes what a successful run wrote, and puts back any fixture it overwrote.
class CommandLine {
 public:
  // repo: the dlcam source tree (for the fixtures); scratch: a directory to create and use.
  CommandLine(const std::filesystem::path& repo, std::filesystem::path scratch) : scratch_(std::move(scratch)) {
    sources_ = {{repo / "examples/shapes/model.onnx", "m.onnx"},
                {repo / "examples/shapes/labels.txt", "l.txt"},
                {repo / "examples/shapes/samples/shapes_0000.png", "x.png"},
                {repo / "tests/fixtures/npy/f4_c.npy", "x.npy"}};
    std::filesystem::remove_all(scratch_);
    std::filesystem::create_directories(scratch_);
    times_.assign(sources_.size(), std::filesystem::file_time_type::min());
    restoreFixtures();
    fixtures_ = listing();
  }
  ~CommandLine() {
    std::error_code ec;
    std::filesystem::remove_all(scratch_, ec);
  }
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  bool run(std::span<const uint8_t> bytes) {
    std::vector<std::string> args;
    if (!bytes.empty()) {
      std::string current;
      for (size_t i = 0; i <= bytes.size(); ++i) {
        if (i == bytes.size() || bytes[i] == '\n') {
          args.push_back(current);
          current.clear();
        } else {
          current.push_back(static_cast<char>(bytes[i]));
        }
      }
    }
    for (const auto& a : args)
      if (a.find('/') != std::string::npos) return false;

    const std::filesystem::path cwd = std::filesystem::current_path();
    std::filesystem::current_path(scratch_);
    std::ostringstream out, err;
    const int code = runDlcam(args, out, err);
    const std::string text = err.str();
    std::filesystem::current_path(cwd);

    if (code < 0 || code > 2) broken("exit code " + std::to_string(code), args, text);
    // --verbose adds timings on stderr: the one-line promise is for runs without it.
    const bool verbose = std::any_of(args.begin(), args.end(), [](const std::string& a) {
      return a == "-v" || a == "--verbose" || (a.size() > 1 && a[0] == '-' && a[1] != '-' && a.find('v') != std::string::npos);
    });
    if (code != 0 && !args.empty() && !verbose &&
        (!text.starts_with("dlcam: error: ") || std::count(text.begin(), text.end(), '\n') != 1 || !text.ends_with("\n")))
      broken("a failed run must print one line, 'dlcam: error: …'", args, text);
    const std::set<std::string> after = listing();
    std::vector<std::string> added;
    std::set_difference(after.begin(), after.end(), fixtures_.begin(), fixtures_.end(), std::back_inserter(added));
    if (code != 0 && !added.empty()) broken("a failed run left '" + added.front() + "' behind", args, text);
    for (const auto& name : added) std::filesystem::remove_all(scratch_ / name);
    restoreFixtures();
    return true;
  }

 private:
  std::set<std::string> listing() const {
    std::set<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(scratch_)) names.insert(entry.path().filename().string());
    return names;
  }

  // A fixture that a run replaced (an output named x.npy) or removed is copied again.
  void restoreFixtures() {
    for (size_t i = 0; i < sources_.size(); ++i) {
      const std::filesystem::path target = scratch_ / sources_[i].second;
      std::error_code ec;
      if (std::filesystem::is_regular_file(target, ec) && std::filesystem::last_write_time(target, ec) == times_[i] && !ec)
        continue;
      std::filesystem::remove_all(target);
      std::filesystem::copy_file(sources_[i].first, target);
      times_[i] = std::filesystem::last_write_time(target);
    }
  }

  [[noreturn]] static void broken(const std::string& what, const std::vector<std::string>& args, const std::string& err) {
    std::string message = "fuzz: dlcam";
    for (const auto& a : args) message += " [" + a + "]";
    throw std::logic_error(message + ": " + what + "; stderr: " + err);
  }

  std::filesystem::path scratch_;
  std::vector<std::pair<std::filesystem::path, std::string>> sources_;
  std::vector<std::filesystem::file_time_type> times_;
  std::set<std::string> fixtures_;
};

// A directory or file name of this process's own under $TMPDIR (or /tmp).
inline std::filesystem::path scratchPath(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  return std::filesystem::path(dir && *dir ? dir : "/tmp") / ("dlcam-fuzz-" + name + "-" + std::to_string(getpid()));
}

}  // namespace dlcam::fuzz
