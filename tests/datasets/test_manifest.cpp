// Localisation-set manifests (datasets/manifest.h): parsing, the errors that name the line, and
// writeLocalisationSet, whose files are read back with the readers `dlcam explain` uses.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "apps/dlcam/model_input.h"
#include "core/error.h"
#include "datasets/manifest.h"
#include "io/image.h"
#include "io/labels.h"
#include "io/npy.h"
#include "tests/support/temp_dir.h"

using namespace dlcam;
using namespace dlcam::datasets;
using test::TempDir;

namespace {

// A c×… tensor whose element i (column-major) is start + i.
Tensor counting(const Shape& shape, float start) {
  Tensor t(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = start + static_cast<float>(i);
  return t;
}

// The error message readManifest gives for a manifest with this text.
std::string manifestError(const TempDir& dir, const std::string& text) {
  const std::string path = dir.file("manifest.txt");
  test::writeText(path, text);
  try {
    readManifest(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("readManifest reads files, classes and regions; skips comments and blank lines") {
  TempDir dir;
  const std::string path = dir.file("manifest.txt");
  test::writeText(path,
                  "# dlcam localisation set: file  class  region\n"
                  "\n"
                  "shapes_0000.png   0  box 12 30 27 44\r\n"
                  "  # an indented comment\n"
                  "blobs_0000.npy\t2\tbox 3 10 7 12 19 15\n"
                  "sub/seq_0000.npy 1 span 40 51");  // no final line break
  const std::vector<ManifestEntry> e = readManifest(path);
  REQUIRE(e.size() == 3);
  CHECK(e[0].file == "shapes_0000.png");
  CHECK(e[0].path == dir.file("shapes_0000.png"));
  CHECK(e[0].label == 0);
  CHECK(e[0].region.first == std::vector<int64_t>{12, 30});
  CHECK(e[0].region.last == std::vector<int64_t>{27, 44});
  CHECK(e[1].label == 2);
  CHECK(e[1].region.first == std::vector<int64_t>{3, 10, 7});
  CHECK(e[1].region.last == std::vector<int64_t>{12, 19, 15});
  CHECK(e[2].path == (dir.path / "sub" / "seq_0000.npy").string());
  CHECK(e[2].label == 1);
  CHECK(e[2].region.first == std::vector<int64_t>{40});
  CHECK(e[2].region.last == std::vector<int64_t>{51});
}

TEST_CASE("readManifest names the manifest and the line of each mistake") {
  TempDir dir;
  const std::string where = "manifest '" + dir.file("manifest.txt") + "' line 2: ";
  const std::string good = "a.png 0 box 0 0 1 1\n";
  CHECK(manifestError(dir, good + "b.png 1 box 0 0 1\n") ==
        where + "'box' takes 4 indices (h, w first; h, w last) or 6 (h, w, d first; h, w, d last), got 3");
  CHECK(manifestError(dir, good + "b.png -1 box 0 0 1 1\n") ==
        where + "the class must be a 0-based index (a non-negative integer), got '-1'");
  CHECK(manifestError(dir, good + "b.png cat box 0 0 1 1\n").starts_with(where + "the class must be"));
  CHECK(manifestError(dir, good + "b.png 1 circle 0 0 1 1\n") ==
        where + "the region must be 'box' or 'span', got 'circle'");
  CHECK(manifestError(dir, good + "b.png 1 span\n") ==
        where + "expected 'FILE CLASS box|span INDICES...', got 3 fields");
  CHECK(manifestError(dir, good + "b.png 1 span 3\n") == where + "'span' takes 2 indices (t first, t last), got 1");
  CHECK(manifestError(dir, good + "b.png 1 span 3 4 5\n") == where + "'span' takes 2 indices (t first, t last), got 3");
  CHECK(manifestError(dir, good + "b.png 1 box 0 5 1 4\n") ==
        where + "the region's first index 5 exceeds its last 4 in dimension 2 (indices are first..., last...)");
  CHECK(manifestError(dir, good + "b.png 1 box 0 0 1 1.5\n") ==
        where + "region indices must be non-negative integers, got '1.5'");
  CHECK(manifestError(dir, good + "b.png\n") == where + "expected 'FILE CLASS box|span INDICES...', got 1 field");
  CHECK(manifestError(dir, "# nothing\n\n") == "manifest '" + dir.file("manifest.txt") + "' lists no samples");
  CHECK_THROWS_WITH_AS(readManifest(dir.file("missing.txt")),
                       ("cannot open manifest '" + dir.file("missing.txt") + "': no such file").c_str(), Error);
}

TEST_CASE("writeLocalisationSet writes PNGs, .npy arrays in ONNX order, the manifest and the labels") {
  TempDir dir;
  SUBCASE("shapes: PNG, rounded and clamped to 0…255") {
    Tensor image(Shape{2, 3, 3});  // h×w×c
    const std::vector<float> values = {0, 254.6f, -3, 300, 10.4f, 128, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    std::copy(values.begin(), values.end(), image.data<float>());
    LocalisationSample s{.input = image, .label = 3, .region = {{0, 1}, {1, 2}}};
    const std::string folder = (dir.path / "set").string();  // created
    const std::string manifest = writeLocalisationSet(folder, LocalisationKind::Shapes, {s, s});
    CHECK(manifest == (dir.path / "set" / "manifest.txt").string());
    const Tensor back = imageToTensor(readImage((dir.path / "set" / "shapes_0001.png").string()));
    REQUIRE(back.shape() == Shape{2, 3, 3});
    const std::vector<float> expected = {0, 255, 0, 255, 10, 128, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    for (int64_t i = 0; i < back.numel(); ++i) CHECK(back.data<float>()[i] == expected[static_cast<size_t>(i)]);
    const std::vector<ManifestEntry> entries = readManifest(manifest);
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].file == "shapes_0000.png");
    CHECK(entries[1].file == "shapes_0001.png");
    CHECK(entries[1].label == 3);
    CHECK(entries[1].region.first == std::vector<int64_t>{0, 1});
    CHECK(entries[1].region.last == std::vector<int64_t>{1, 2});
    CHECK(readClassNames((dir.path / "set" / "labels.txt").string()) == classNames(LocalisationKind::Shapes));
    // Nothing else: no temporary file is left.
    std::set<std::string> names;
    for (const auto& f : std::filesystem::directory_iterator(dir.path / "set")) names.insert(f.path().filename());
    CHECK(names == std::set<std::string>{"labels.txt", "manifest.txt", "shapes_0000.png", "shapes_0001.png"});
  }
  SUBCASE("blobs: C×D×H×W float32, as dlcam explain reads a volume") {
    const Tensor volume = counting(Shape{2, 3, 4, 1}, 0.5f);  // h×w×d×c
    LocalisationSample s{.input = volume, .label = 1, .region = {{0, 1, 2}, {1, 2, 3}}};
    const std::string manifest = writeLocalisationSet(dir.path.string(), LocalisationKind::Blobs, {s});
    const std::string file = dir.file("blobs_0000.npy");
    const Tensor same = readNpy(file, NpyIndexing::Same);  // NumPy's indices: same(c, d, h, w), column-major
    REQUIRE(same.shape() == Shape{1, 4, 2, 3});
    CHECK(same.dtype() == DType::Float32);
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t w = 0; w < 3; ++w)
        for (int64_t d = 0; d < 4; ++d)
          CHECK(same.data<float>()[d + 4 * (h + 2 * w)] == volume.data<float>()[h + 2 * (w + 3 * d)]);
    // The reader of `dlcam explain`, for a model of ONNX input N×1×4×2×3.
    const cli::PreparedInput in = cli::prepareInput(file, {-1, 1, 4, 2, 3}, {});
    CHECK(in.x.format().str() == "SSSCB");
    CHECK(in.x.shape() == Shape{2, 3, 4, 1, 1});
    for (int64_t i = 0; i < volume.numel(); ++i) CHECK(in.x.value().data<float>()[i] == volume.data<float>()[i]);
    const std::vector<ManifestEntry> entries = readManifest(manifest);
    CHECK(entries[0].region.first == std::vector<int64_t>{0, 1, 2});
    CHECK(entries[0].region.last == std::vector<int64_t>{1, 2, 3});
    CHECK(test::readText(manifest).find("blobs_0000.npy 1 box 0 1 2 1 2 3\n") != std::string::npos);
  }
  SUBCASE("sequences: C×T float32, as dlcam explain reads a sequence") {
    const Tensor sequence = counting(Shape{3, 5}, -2);  // c×t
    LocalisationSample s{.input = sequence, .label = 2, .region = {{1}, {3}}};
    const std::string manifest = writeLocalisationSet(dir.path.string(), LocalisationKind::Sequences, {s});
    const std::string file = dir.file("sequences_0000.npy");
    const Tensor same = readNpy(file, NpyIndexing::Same);
    REQUIRE(same.shape() == Shape{3, 5});
    for (int64_t i = 0; i < same.numel(); ++i) CHECK(same.data<float>()[i] == sequence.data<float>()[i]);
    const cli::PreparedInput in = cli::prepareInput(file, {-1, 3, -1}, {});
    CHECK(in.x.format().str() == "CBT");
    CHECK(in.x.shape() == Shape{3, 1, 5});
    for (int64_t i = 0; i < sequence.numel(); ++i) CHECK(in.x.value().data<float>()[i] == sequence.data<float>()[i]);
    CHECK(test::readText(manifest).find("sequences_0000.npy 2 span 1 3\n") != std::string::npos);
  }
}

TEST_CASE("a generated localisation set of each kind survives writeLocalisationSet and readManifest") {
  for (LocalisationKind kind : {LocalisationKind::Shapes, LocalisationKind::Blobs, LocalisationKind::Sequences}) {
    CAPTURE(kindName(kind));
    TempDir dir;
    const std::vector<LocalisationSample> samples = makeSet(kind, 7, 2);
    const std::vector<ManifestEntry> entries = readManifest(writeLocalisationSet(dir.path.string(), kind, samples));
    REQUIRE(entries.size() == 2);
    for (size_t i = 0; i < 2; ++i) {
      CHECK(entries[i].label == samples[i].label);
      CHECK(entries[i].region.first == samples[i].region.first);
      CHECK(entries[i].region.last == samples[i].region.last);
      CHECK(std::filesystem::is_regular_file(entries[i].path));
    }
  }
}
