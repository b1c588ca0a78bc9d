// `dlcam explain`, run in-process through runDlcam on the committed small nets: its map is
// compared with gradCAM() called directly (and, for a one-channel-per-class model, with the
// map computed by hand), its pictures are read back, its reports searched for their fields.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "apps/dlcam/cli.h"
#include "apps/dlcam/model_input.h"
#include "core/device.h"
#include "autodiff/resize.h"
#include "core/error.h"
#include "gradcam/gradcam.h"
#include "gradcam/picture.h"
#include "io/image.h"
#include "io/npy.h"
#include "io/onnx/importer.h"
#include "io/onnx/layout.h"
#include "tests/apps/cli_test_util.h"

using namespace dlcam;
using namespace dlcam::test::cli;

namespace {

// The nets with spatial or time dimensions, each with a batch of 2 in input.npy.
constexpr const char* kCamNets[] = {"grouped_depthwise", "residual_concat_regression", "seq_causal_ln",
                                    "conv3d_bn_pool"};

// gradCAM's map in the shape --save-map writes: trailing B, then N, dropped when 1.
Tensor matlabShape(const Tensor& map) {
  std::vector<int64_t> dims = map.shape().dims();
  if (dims.back() == 1) {
    dims.pop_back();
    if (dims.back() == 1) dims.pop_back();
  }
  return map.reshaped(Shape(dims));
}

// max |a − b| / max |b|; infinity when the shapes differ.
double relativeError(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return INFINITY;
  const Tensor x = a.to(DType::Float64), y = b.to(DType::Float64);
  double worst = 0, scale = 0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    scale = std::max(scale, std::abs(y.data<double>()[i]));
    worst = std::max(worst, std::abs(x.data<double>()[i] - y.data<double>()[i]));
  }
  return worst / std::max(scale, 1e-30);
}

// The network's input from an .npy in its own layout, as `dlcam predict` reads it.
Array modelInput(const std::string& path, const Network& net) {
  return cli::prepareInput(path, cli::expectedInputShape(net), {}).x;
}

// The map explain --save-map wrote, read back with NumPy's indices.
Tensor savedMap(const std::string& path) { return readNpy(path, NpyIndexing::Same); }

// A 30×40 (h×w) RGB image with a smooth pattern, so that resizing changes its values.
Image testImage() {
  Image img(30, 40, 3);
  for (int64_t y = 0; y < img.height; ++y)
    for (int64_t x = 0; x < img.width; ++x) {
      img.at(y, x, 0) = static_cast<uint8_t>(6 * x);
      img.at(y, x, 1) = static_cast<uint8_t>(8 * y);
      img.at(y, x, 2) = static_cast<uint8_t>((x * y) % 256);
    }
  return img;
}

bool exists(const std::string& path) { return std::filesystem::exists(path); }

}  // namespace

TEST_CASE("dlcam explain on the small nets: the saved map is gradCAM's, one picture per observation") {
  for (const std::string name : kCamNets) {
    INFO("net: ", name);
    TempDir dir;
    const Result r = run({"explain", modelPath(name), inputPath(name), "--out", dir.file("cam.png"), "--save-map",
                          dir.file("map.npy")});
    REQUIRE(r.code == 0);
    CHECK(r.err.empty());

    const Network net = onnx::importNetwork(modelPath(name));
    const Array X = modelInput(inputPath(name), net);
    const GradCamResult expected = gradCAM(net, X, CamTarget::predicted());
    CHECK(relativeError(savedMap(dir.file("map.npy")), matlabShape(expected.map)) < 1e-6);
    // The default layers, named in the report.
    const GradCamLayers layers = defaultGradCamLayers(net);
    CHECK(expected.featureLayer == layers.featureLayer);
    CHECK(r.out.find("layers:     feature '" + layers.featureLayer + "'") != std::string::npos);
    CHECK(r.out.find("            reduction '" + layers.reductionLayer + "'") != std::string::npos);
    for (size_t b = 0; b < 2; ++b) {
      INFO("observation ", b);
      CHECK(r.out.find("  explained  class " + std::to_string(expected.classes[b])) != std::string::npos);
      const std::string picture = dir.file("cam-obs" + std::to_string(b) + ".png");
      CHECK(r.out.find(picture) != std::string::npos);
      const Image img = readImage(picture);
      CHECK(img.channels == 3);
      if (X.format().str() == "SSCB") {  // an overlay on the input, at the input's size
        CHECK(img.height == X.size(0));
        CHECK(img.width == X.size(1));
      } else if (X.format().str() == "CBT") {  // the sequence figure
        CHECK(img.height == SequenceFigureOptions{}.height);
        CHECK(img.width == SequenceFigureOptions{}.width);
      } else {  // a montage of the volume's slices (h×w×d×c) with the map's
        const int64_t h = X.size(0), w = X.size(1), d = X.size(2), c = X.size(3);
        Tensor volume(Shape{h, w, d, c}), map(Shape{h, w, d});
        std::copy_n(X.value().data<float>() + static_cast<int64_t>(b) * volume.numel(), volume.numel(),
                    volume.data<float>());
        std::copy_n(expected.map.data<float>() + static_cast<int64_t>(b) * map.numel(), map.numel(),
                    map.data<float>());
        const Image montage = volumeMontage(volume, map);
        CHECK(img.height == montage.height);
        CHECK(img.width == montage.width);
        CHECK(img.pixels == montage.pixels);
      }
    }
    CHECK(!exists(dir.file("cam.png")));
  }
}

TEST_CASE("dlcam explain --json reports the input, layers, classes and files in one object") {
  TempDir dir;
  const std::string name = "grouped_depthwise";
  const Result r = run({"explain", modelPath(name), inputPath(name), "--json", "--class", "1", "--out",
                        dir.file("cam.png"), "--save-map", dir.file("map.npy")});
  REQUIRE(r.code == 0);
  CHECK(r.out.starts_with("{\n"));
  CHECK(r.out.ends_with("\n}\n"));
  CHECK(std::count(r.out.begin(), r.out.end(), '{') == std::count(r.out.begin(), r.out.end(), '}'));
  const Network net = onnx::importNetwork(modelPath(name));
  const GradCamResult expected = gradCAM(net, modelInput(inputPath(name), net), 1);
  for (const std::string& field : std::vector<std::string>{
           "\"model\": \"" + modelPath(name) + "\"", "\"file\": \"" + inputPath(name) + "\"",
           std::string("\"type\": \"npy\""),
        std::string("\"shape\": [2, 4, 33, 29]"), "\"featureLayer\": \"" + expected.featureLayer + "\"",
        "\"reductionLayer\": \"" + expected.reductionLayer + "\"", std::string("\"upsampling\": \"bicubic\""),
        std::string("\"mapSize\": [33, 29]"), std::string("\"observations\": ["), std::string("\"predicted\": {"),
        std::string("\"explained\": ["), "\"map\": \"" + dir.file("map.npy") + "\"",
        "\"picture\": \"" + dir.file("cam-obs1.png") + "\"", std::string("\"files\": [")}) {
    INFO("field: ", field);
    CHECK(r.out.find(field) != std::string::npos);
  }
  // Both observations explain class 1, with gradCAM's score.
  size_t at = r.out.find("\"explained\"");
  for (size_t b = 0; b < 2; ++b) {
    at = r.out.find("\"class\": 1,", at);
    REQUIRE(at != std::string::npos);
    const size_t score = r.out.find("\"score\": ", at);
    CHECK(std::stod(r.out.substr(score + 9)) == doctest::Approx(expected.scores[b]).epsilon(1e-6));
    at = r.out.find("\"explained\"", at);
  }
}

TEST_CASE("dlcam explain of an image file: resized to the model's size, drawn at the image's own") {
  TempDir dir;
  const Image original = testImage();
  writePng(dir.file("photo.png"), original);
  const std::string name = "residual_concat_regression";  // 3 channels, 17×15
  const Result r = run({"explain", modelPath(name), dir.file("photo.png"), "--out", dir.file("cam.png"),
                        "--save-map", dir.file("map.npy"), "--scale", "1/255", "--mean", "0.5,0.25,0", "--std", "2"});
  REQUIRE(r.code == 0);
  const Image picture = readImage(dir.file("cam.png"));
  CHECK(picture.height == 30);
  CHECK(picture.width == 40);
  CHECK(r.out.find("photo.png: 30×40 RGB image (h×w), values 0…255") != std::string::npos);
  CHECK(r.out.find("resized to 17×15 (bicubic, antialiased, rounded to 0…255") != std::string::npos);
  CHECK(r.out.find("x = (x·1/255 − 0.5,0.25,0) / 2 per channel") != std::string::npos);
  CHECK(r.out.find("network input 1×3×17×15 (N×C×H×W)") != std::string::npos);

  // The same preparation by hand: imresize to 17×15 (uint8 in, uint8 out: rounded and clamped
  // to 0…255), then (x/255 − mean) / std per channel.
  const Network net = onnx::importNetwork(modelPath(name));
  const Tensor pixels = imageToTensor(original);
  Array X = resize(Array(pixels.reshaped(Shape{30, 40, 3, 1}), "SSCB"), {17, 15}, {.method = ResizeMethod::Cubic});
  Tensor x = X.value().clone();
  const float mean[3] = {0.5f, 0.25f, 0.0f};
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t i = 0; i < 17 * 15; ++i) {
      float& v = x.data<float>()[c * 17 * 15 + i];
      v = (std::clamp(std::round(v), 0.0f, 255.0f) * (1.0f / 255.0f) - mean[c]) / 2.0f;
    }
  const GradCamResult expected = gradCAM(net, Array(x, "SSCB"), CamTarget::predicted());
  CHECK(relativeError(savedMap(dir.file("map.npy")), matlabShape(expected.map)) < 1e-5);
}

TEST_CASE("dlcam explain --input-format reads an .npy in MATLAB's layout") {
  TempDir dir;
  SUBCASE("an h×w×c image") {
    const std::string name = "grouped_depthwise";
    // Observation 0 of the N×C×H×W file (ONNX order reversed: W×H×C×N), as h×w×c with NumPy's
    // indices: hwc(i, j, k) = input[0, k, i, j].
    const Tensor input = readNpy(inputPath(name));
    const int64_t W = input.shape()[0], H = input.shape()[1], C = input.shape()[2];
    Tensor hwc(Shape{H, W, C});
    for (int64_t k = 0; k < C; ++k)
      for (int64_t j = 0; j < W; ++j)
        for (int64_t i = 0; i < H; ++i)
          hwc.data<float>()[i + H * (j + W * k)] = input.data<float>()[j + W * (i + H * k)];
    writeNpy(dir.file("hwc.npy"), hwc, {.indexing = NpyIndexing::Same});

    const Result full = run({"explain", modelPath(name), inputPath(name), "--save-map", dir.file("full.npy"), "--out",
                             dir.file("full.png")});
    const Result one = run({"explain", modelPath(name), dir.file("hwc.npy"), "--input-format", "SSC", "--save-map",
                            dir.file("one.npy"), "--out", dir.file("one.png")});
    REQUIRE(full.code == 0);
    REQUIRE(one.code == 0);
    CHECK(one.out.find("33×29×4 labelled SSC (--input-format)") != std::string::npos);
    CHECK(one.out.find("network input 1×4×33×29 (N×C×H×W)") != std::string::npos);
    const Tensor fullMap = savedMap(dir.file("full.npy"));  // 33×29×1×2
    REQUIRE(fullMap.shape() == Shape{33, 29, 1, 2});
    const Tensor first = fullMap.reshaped(Shape{33 * 29, 2});
    Tensor expected(Shape{33, 29});
    std::copy_n(first.data<float>(), 33 * 29, expected.data<float>());
    CHECK(relativeError(savedMap(dir.file("one.npy")), expected) < 1e-6);
    CHECK(readImage(dir.file("one.png")).height == 33);
  }
  SUBCASE("a t×c sequence") {
    const std::string name = "seq_causal_ln";
    const Tensor input = readNpy(inputPath(name));  // L×C×N
    const int64_t L = input.shape()[0], C = input.shape()[1];
    Tensor tc(Shape{L, C});
    for (int64_t c = 0; c < C; ++c)
      for (int64_t t = 0; t < L; ++t) tc.data<float>()[t + L * c] = input.data<float>()[t + L * c];
    writeNpy(dir.file("tc.npy"), tc, {.indexing = NpyIndexing::Same});
    const Result full = run({"explain", modelPath(name), inputPath(name), "--save-map", dir.file("full.npy"), "--out",
                             dir.file("full.png")});
    const Result one = run({"explain", modelPath(name), dir.file("tc.npy"), "--input-format", "TC", "--save-map",
                            dir.file("one.npy"), "--out", dir.file("one.png")});
    REQUIRE(full.code == 0);
    REQUIRE(one.code == 0);
    const Tensor fullMap = savedMap(dir.file("full.npy"));  // 1×23×1×2
    REQUIRE(fullMap.shape() == Shape{1, L, 1, 2});
    Tensor expected(Shape{1, L});
    std::copy_n(fullMap.data<float>(), L, expected.data<float>());
    CHECK(relativeError(savedMap(dir.file("one.npy")), expected) < 1e-6);
  }
}

TEST_CASE("dlcam explain of several classes: one map and one picture per class and observation") {
  TempDir dir;
  const std::string name = "grouped_depthwise";
  {
    std::ofstream labels(dir.file("labels.txt"));
    for (int c = 0; c < 5; ++c) labels << "class_" << c << "\n";
  }
  const Result r = run({"explain", modelPath(name), inputPath(name), "--class", "4", "--label", "class_0,class_2",
                        "--labels", dir.file("labels.txt"), "--out", dir.file("cam.png"), "--save-map",
                        dir.file("map.npy"), "--upsampling", "nearest", "--colormap", "viridis", "--alpha", "0.3"});
  REQUIRE(r.code == 0);
  const Network net = onnx::importNetwork(modelPath(name));
  GradCamOptions options;
  options.upsampling = Upsampling::Nearest;
  const GradCamResult expected = gradCAM(net, modelInput(inputPath(name), net), std::vector<int64_t>{4, 0, 2}, options);
  const Tensor map = savedMap(dir.file("map.npy"));
  CHECK(map.shape() == Shape{33, 29, 3, 2});
  CHECK(relativeError(map, expected.map) < 1e-6);
  for (int cls : {4, 0, 2})
    for (int b : {0, 1}) {
      const std::string picture = dir.file("cam-class" + std::to_string(cls) + "-obs" + std::to_string(b) + ".png");
      INFO("picture ", picture);
      CHECK(exists(picture));
      CHECK(r.out.find(picture) != std::string::npos);
    }
  CHECK(r.out.find("  explained  class 0 (class_0), score ") != std::string::npos);
  CHECK(r.out.find("  predicted  class 3 (class_3), score ") != std::string::npos);
  CHECK(r.out.find("nearest upsampling") != std::string::npos);

  // --upsampling none: the feature map's size.
  const Result none = run({"explain", modelPath(name), inputPath(name), "--upsampling", "none", "--out",
                           dir.file("none.png"), "--save-map", dir.file("none.npy")});
  REQUIRE(none.code == 0);
  const GradCamLayers layers = defaultGradCamLayers(net);
  const ActivationInfo feature = net.outputInfo(layers.featureLayer);
  CHECK(savedMap(dir.file("none.npy")).shape() == Shape{feature.size[0], feature.size[1], 1, 2});
  CHECK(readImage(dir.file("none-obs0.png")).height == 33);  // still drawn at the input's size
}

TEST_CASE("dlcam explain imports a model with open H and W for the image's size") {
  // x (N×3×H×W) → Relu → GlobalAveragePool → y (N×3×1×1). The class score y_k is the mean of
  // channel k, so dy_k/dA = 1/(h·w) on channel k: the map is ReLU(A_k)/(h·w), A_k the image's
  // channel k (values ≥ 0), and the predicted class the channel with the largest mean.
  TempDir dir;
  const std::string model = writeChainModel(dir, "gap", {"Relu", "GlobalAveragePool"},
                                            {{-1, "N"}, {3, ""}, {-1, "H"}, {-1, "W"}},
                                            {{-1, "N"}, {3, ""}, {1, ""}, {1, ""}});
  const Image img = testImage();
  writePng(dir.file("photo.png"), img);
  const Result r = run({"explain", model, dir.file("photo.png"), "--feature-layer", "node0", "--out",
                        dir.file("cam.png"), "--save-map", dir.file("map.npy")});
  REQUIRE(r.code == 0);
  CHECK(r.out.find("network input 1×3×30×40 (N×C×H×W)") != std::string::npos);
  CHECK(r.out.find("resized") == std::string::npos);
  const Tensor pixels = imageToTensor(img);  // 30×40×3
  double best = -1;
  int64_t predicted = -1;
  for (int64_t c = 0; c < 3; ++c) {
    double sum = 0;
    for (int64_t i = 0; i < 1200; ++i) sum += pixels.data<float>()[c * 1200 + i];
    if (sum > best) best = sum, predicted = c;
  }
  CHECK(r.out.find("  explained  class " + std::to_string(predicted)) != std::string::npos);
  Tensor expected(Shape{30, 40});
  for (int64_t i = 0; i < 1200; ++i) expected.data<float>()[i] = pixels.data<float>()[predicted * 1200 + i] / 1200.0f;
  CHECK(relativeError(savedMap(dir.file("map.npy")), expected) < 1e-5);
  CHECK(readImage(dir.file("cam.png")).width == 40);

  // --resize picks another size.
  const Result resized = run({"explain", model, dir.file("photo.png"), "--feature-layer", "node0", "--resize", "12x9",
                              "--out", dir.file("small.png"), "--save-map", dir.file("small.npy")});
  REQUIRE(resized.code == 0);
  CHECK(savedMap(dir.file("small.npy")).shape() == Shape{12, 9});
  CHECK(readImage(dir.file("small.png")).width == 40);
}

TEST_CASE("dlcam explain errors: one line, exit code 1, nothing written") {
  TempDir dir;
  const std::string name = "grouped_depthwise";
  const std::string model = modelPath(name), input = inputPath(name), out = dir.file("cam.png");
  auto explain = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"explain", model, input, "--out", out};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  };
  auto oneLine = [](const Result& r) {
    CHECK(r.err.starts_with("dlcam: error: "));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.out.empty());
  };
  SUBCASE("a class beyond the class count") {
    const Result r = explain({"--class", "99", "--save-map", dir.file("map.npy")});
    CHECK(r.code == 1);
    oneLine(r);
    CHECK(r.err.find("99") != std::string::npos);
    CHECK(r.err.find("5 classes") != std::string::npos);
    CHECK(!exists(dir.file("cam-obs0.png")));
    CHECK(!exists(dir.file("map.npy")));
  }
  SUBCASE("--label without --labels") {
    const Result r = explain({"--label", "cat"});
    CHECK(r.code == 1);
    oneLine(r);
    CHECK(r.err.find("--labels") != std::string::npos);
  }
  SUBCASE("an unknown label") {
    {
      std::ofstream labels(dir.file("labels.txt"));
      for (const char* l : {"cat", "dog", "bird", "fish", "frog"}) labels << l << "\n";
    }
    const Result r = explain({"--label", "dgo", "--labels", dir.file("labels.txt")});
    CHECK(r.code == 1);
    oneLine(r);
    CHECK(r.err.find("unknown class label 'dgo'") != std::string::npos);
    CHECK(r.err.find("did you mean 'dog'") != std::string::npos);
  }
  SUBCASE("an unknown feature layer") {
    const Result r = explain({"--feature-layer", "/no/such/layer"});
    CHECK(r.code == 1);
    oneLine(r);
    CHECK(r.err.find("/no/such/layer") != std::string::npos);
  }
  SUBCASE("--device gpu without a GPU") {
    if (gpuAvailable()) return;
    const Result r = explain({"--device", "gpu"});
    CHECK(r.code == 1);
    oneLine(r);
    CHECK(r.err.find("--device gpu needs a GPU, but " + gpuUnavailableReason()) !=
          std::string::npos);
  }
  SUBCASE("a file named .png that is not an image") {
    std::ofstream(dir.file("x.png")) << "not an image";
    const Result r = run({"explain", model, dir.file("x.png"), "--out", out});
    CHECK(r.code == 1);
    oneLine(r);
    CHECK(r.err.find(dir.file("x.png")) != std::string::npos);
  }
  SUBCASE("an image for a model that is not a 2-D image model") {
    writePng(dir.file("photo.png"), testImage());
    const Result r = run({"explain", modelPath("seq_causal_ln"), dir.file("photo.png"), "--out", out});
    CHECK(r.code == 1);
    oneLine(r);
    CHECK(r.err.find("N×C×L") != std::string::npos);
  }
  SUBCASE("an .npy of another shape without --input-format") {
    writeNpy(dir.file("wrong.npy"), Tensor(Shape{4, 29, 33}), {.indexing = NpyIndexing::Same});  // c×w×h
    const Result r = run({"explain", model, dir.file("wrong.npy"), "--out", out});
    CHECK(r.code == 1);
    oneLine(r);
    CHECK(r.err.find("has shape 4×29×33") != std::string::npos);
    CHECK(r.err.find("takes any×4×33×29 (N×C×H×W)") != std::string::npos);
    CHECK(r.err.find("--input-format") != std::string::npos);
    // With a format that does not give the model's size either: both shapes named.
    const Result f = run({"explain", model, dir.file("wrong.npy"), "--input-format", "CSS", "--out", out});
    CHECK(f.code == 1);
    CHECK(f.err.find("(4×29×33 read as CSS) becomes 1×4×29×33 (N×C×H×W)") != std::string::npos);
  }
  SUBCASE("a later write fails: no file is written") {
    // The map is staged first; the picture's folder does not exist.
    const Result r = run({"explain", model, input, "--save-map", dir.file("map.npy"), "--out",
                          dir.file("no/such/dir/cam.png")});
    CHECK(r.code == 1);
    oneLine(r);
    CHECK(r.err.find("no/such/dir/cam") != std::string::npos);
    CHECK(!exists(dir.file("map.npy")));
  }
  CHECK(!exists(out));
  CHECK(!exists(dir.file("cam-obs0.png")));
}

TEST_CASE("dlcam explain usage errors: exit code 2 with the usage") {
  const std::string model = modelPath("grouped_depthwise"), input = inputPath("grouped_depthwise");
  const std::vector<std::vector<std::string>> bad = {
      {"--upsampling", "cubic"}, {"--alpha", "2"},      {"--alpha", "-0.1"}, {"--alpha", "x"},
      {"--device", "tpu"},       {"--colormap", "hot"}, {"--class", "-1"},   {"--class", "1.5"},
      {"--class", "3,"},         {"--class", "2,2"},    {"--scale", "1/0"},  {"--std", "0"},
      {"--mean", "1,2"},         {"--resize", "10x"},   {"--input-format", "SSQ"},
      // --scale, --mean and --std: finite, and --scale nonzero (1e308/1e-308 is infinite).
      {"--scale", "1e308/1e-308"}, {"--scale", "0"}, {"--scale", "0/3"}, {"--scale", "inf"}, {"--scale", "nan"},
      {"--mean", "inf"},         {"--mean", "0,nan,0,0"}, {"--std", "nan"}, {"--std", "-1"}, {"--std", "1e999"},
      // Empty values, refused while parsing.
      {"--out", ""},             {"--save-map", ""},    {"--feature-layer", ""}, {"--reduction-layer", ""},
      {"--labels", ""},          {"--class", ""},
      // --input-format: labels S, C, B, T only (at most one each of C, B, T), at least as many
      // as the file's dimensions, and fitting the model's kind of input (SSCB here).
      {"--input-format", ""},    {"--input-format", "SSCU"}, {"--input-format", "sscb"}, {"--input-format", "SSCC"},
      {"--input-format", "SSCT"}, {"--input-format", "SSSC"}, {"--input-format", "CT"}, {"--input-format", "SC"}};
  for (const auto& options : bad) {
    std::vector<std::string> args = {"explain", model, input};
    args.insert(args.end(), options.begin(), options.end());
    INFO("options: ", options[0], " ", options[1]);
    const Result r = run(args);
    CHECK(r.code == 2);
    CHECK(r.err.starts_with("dlcam: error: "));
    CHECK(r.err.find("usage: dlcam explain MODEL INPUT [options]") != std::string::npos);
  }
  CHECK(run({"explain", model, input, "--alpha", "2"}).err.find("--alpha expects a number from 0 to 1") !=
        std::string::npos);
  CHECK(run({"explain", model, input, "--upsampling", "cubic"})
            .err.starts_with("dlcam: error: --upsampling expects bicubic, nearest or none, got 'cubic' (usage: dlcam explain MODEL INPUT [options]; see 'dlcam help explain')\n"));
  CHECK(run({"explain", model}).err.find("'explain' needs INPUT") != std::string::npos);
}

TEST_CASE("dlcam explain --input-format with an image file is a usage error") {
  TempDir dir;
  writePng(dir.file("photo.png"), testImage());
  const Result r = run({"explain", modelPath("residual_concat_regression"), dir.file("photo.png"), "--input-format",
                        "SSC", "--out", dir.file("cam.png")});
  CHECK(r.code == 2);
  CHECK(r.err.starts_with("dlcam: error: --input-format labels the dimensions of an .npy array"));
  CHECK(r.err.find("usage: dlcam explain") != std::string::npos);
  CHECK(!exists(dir.file("cam.png")));
}

TEST_CASE("dlcam explain of a resized image rounds and clamps it to 0..255, as imresize of uint8 does") {
  // A sharp black/white edge: bicubic interpolation overshoots on both sides of it.
  TempDir dir;
  Image edge(8, 8, 1);
  for (int64_t y = 0; y < 8; ++y)
    for (int64_t x = 4; x < 8; ++x) edge.at(y, x, 0) = 255;
  writePng(dir.file("edge.png"), edge);
  for (const std::vector<int64_t>& size : {std::vector<int64_t>{5, 5}, std::vector<int64_t>{13, 11}}) {
    INFO("resized to ", size[0], "×", size[1]);
    const cli::PreparedInput in = cli::prepareInput(dir.file("edge.png"), {1, 1, size[0], size[1]}, {});
    REQUIRE(in.resized);
    REQUIRE(in.x.shape() == Shape{size[0], size[1], 1, 1});
    // imresize's float result, by the resize function itself: it leaves 0…255 …
    const Array raw = resize(Array(imageToTensor(edge).reshaped(Shape{8, 8, 1, 1}), "SSCB"), size,
                             {.method = ResizeMethod::Cubic});
    const float* r = raw.value().data<float>();
    CHECK(*std::min_element(r, r + raw.numel()) < -0.5f);
    CHECK(*std::max_element(r, r + raw.numel()) > 255.5f);
    // … and the prepared input is that, rounded to the nearest integer and clamped.
    const float* x = in.x.value().data<float>();
    for (int64_t i = 0; i < in.x.numel(); ++i) {
      CHECK(x[i] == std::clamp(std::round(r[i]), 0.0f, 255.0f));
      CHECK(x[i] == std::round(x[i]));
      CHECK(x[i] >= 0);
      CHECK(x[i] <= 255);
    }
  }
}

TEST_CASE("dlcam explain prints class labels only for a reduction layer whose channels are the classes") {
  TempDir dir;
  const std::string name = "grouped_depthwise";  // output '/Softmax' 5(C); '/dw/Conv' 9×8×8(C); '/fc/Gemm' 5(C)
  {
    std::ofstream labels(dir.file("labels.txt"));
    for (int c = 0; c < 5; ++c) labels << "class_" << c << "\n";
  }
  auto explain = [&](const std::string& reduction, std::vector<std::string> extra) {
    std::vector<std::string> args = {"explain", modelPath(name), inputPath(name), "--reduction-layer", reduction,
                                     "--labels", dir.file("labels.txt"), "--out", dir.file("cam.png")};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  };
  // /dw/Conv's channel 0 is no class: the index alone. The prediction, from the output, keeps its label.
  const Result conv = explain("/dw/Conv", {"--class", "0"});
  REQUIRE(conv.code == 0);
  CHECK(conv.out.find("  explained  class 0, score ") != std::string::npos);
  CHECK(conv.out.find("(class_0)") == std::string::npos);
  CHECK(conv.out.find("  predicted  class 3 (class_3), score ") != std::string::npos);
  const Result json = explain("/dw/Conv", {"--class", "0", "--json"});
  REQUIRE(json.code == 0);
  CHECK(json.out.find("\"label\": \"class_0\"") == std::string::npos);
  CHECK(json.out.find("\"label\": \"class_3\"") != std::string::npos);
  CHECK(json.out.find("\"label\": null") != std::string::npos);
  // A label cannot name one of its channels.
  const Result label = explain("/dw/Conv", {"--label", "class_1"});
  CHECK(label.code == 1);
  CHECK(label.err.find("--label 'class_1' names a class of the network's output, but reduction layer '/dw/Conv' "
                       "has 8 channels, not the output's 5 classes") != std::string::npos);
  // /fc/Gemm, the logits before the softmax, has the output's 5 classes: labelled.
  const Result fc = explain("/fc/Gemm", {"--label", "class_1"});
  REQUIRE(fc.code == 0);
  CHECK(fc.out.find("  explained  class 1 (class_1), score ") != std::string::npos);
}

TEST_CASE("dlcam explain refuses outputs that are one file, or a file it reads: exit code 2, naming both") {
  TempDir dir;
  const std::string name = "grouped_depthwise";
  // Copies, so that a run that wrongly goes ahead cannot overwrite the committed fixtures.
  std::filesystem::copy_file(modelPath(name), dir.file("model.onnx"));
  std::filesystem::copy_file(inputPath(name), dir.file("input.npy"));
  const std::string model = dir.file("model.onnx"), input = dir.file("input.npy");
  auto refused = [&](const std::vector<std::string>& extra, const std::string& first, const std::string& second) {
    std::vector<std::string> args = {"explain", model, input};
    args.insert(args.end(), extra.begin(), extra.end());
    const Result r = run(args);
    CHECK(r.code == 2);
    CHECK(r.err.starts_with("dlcam: error: "));
    CHECK(r.err.find(first) != std::string::npos);
    CHECK(r.err.find(second) != std::string::npos);
    CHECK(r.err.find("usage: dlcam explain") != std::string::npos);
  };
  const auto inputBytes = std::filesystem::file_size(input);
  SUBCASE("--out is INPUT") {
    // One observation (C×H×W), so that the picture is --out itself.
    const Tensor batch = readNpy(input);  // W×H×C×N
    Tensor one(Shape{batch.shape()[0], batch.shape()[1], batch.shape()[2]});
    std::copy_n(batch.data<float>(), one.numel(), one.data<float>());
    writeNpy(dir.file("one.npy"), one);
    std::vector<std::string> args = {"explain", model, dir.file("one.npy"), "--out", dir.file("one.npy")};
    const Result r = run(args);
    CHECK(r.code == 2);
    CHECK(r.err.find("--out '" + dir.file("one.npy") + "' would overwrite INPUT '" + dir.file("one.npy") + "'") !=
          std::string::npos);
    CHECK(readNpy(dir.file("one.npy")).shape() == one.shape());
  }
  SUBCASE("a picture named from --out is INPUT") {
    // Two observations: --out input.npy names the pictures input-obs0.npy and input-obs1.npy.
    std::filesystem::rename(input, dir.file("input-obs1.npy"));
    const Result r = run({"explain", model, dir.file("input-obs1.npy"), "--out", dir.file("input.npy")});
    CHECK(r.code == 2);
    CHECK(r.err.find("the picture '" + dir.file("input-obs1.npy") + "' (from --out '" + dir.file("input.npy") +
                     "') would overwrite INPUT") != std::string::npos);
    std::filesystem::rename(dir.file("input-obs1.npy"), input);
  }
  SUBCASE("--save-map is MODEL or --labels, spelled another way") {
    refused({"--save-map", dir.path.string() + "/./model.onnx"}, "--save-map", "MODEL '" + model + "'");
    std::ofstream(dir.file("labels.txt")) << "a\nb\nc\nd\ne\n";
    refused({"--labels", dir.file("labels.txt"), "--save-map", dir.file("sub/../labels.txt")}, "--save-map",
            "--labels '" + dir.file("labels.txt") + "'");
  }
  SUBCASE("--save-map is one of the pictures") {
    refused({"--out", dir.file("cam.png"), "--save-map", dir.file("cam-obs1.png")},
            "--save-map '" + dir.file("cam-obs1.png") + "'",
            "the picture '" + dir.file("cam-obs1.png") + "' (from --out '" + dir.file("cam.png") + "')");
  }
  SUBCASE("--save-map ./x.png --out x.png, relative to the current directory") {
    const std::filesystem::path previous = std::filesystem::current_path();
    // One observation (C×H×W), so that the picture is x.png itself.
    writeNpy(dir.file("one.npy"), Tensor(Shape{29, 33, 4}));
    std::filesystem::current_path(dir.path);
    const Result same = run({"explain", model, dir.file("one.npy"), "--save-map", "./x.png", "--out", "x.png"});
    std::filesystem::current_path(previous);
    CHECK(same.code == 2);
    CHECK(same.err.find("--save-map './x.png' and --out 'x.png' are the same file") != std::string::npos);
    CHECK(!exists(dir.file("x.png")));
  }
  CHECK(std::filesystem::file_size(input) == inputBytes);
}

TEST_CASE("dlcam explain replaces no file when a write fails") {
  // The old map is replaced only together with the pictures; the picture's path is a directory,
  // so its write fails and old.npy must keep its contents.
  TempDir dir;
  const std::string name = "grouped_depthwise";
  const Tensor old = Tensor::fromValues(Shape{2, 2}, std::span<const float>(std::vector<float>{1, 2, 3, 4}));
  writeNpy(dir.file("old.npy"), old);
  std::filesystem::create_directory(dir.file("pictures"));
  // One observation, so that the picture's path is --out itself.
  const Tensor batch = readNpy(inputPath(name));
  Tensor one(Shape{batch.shape()[0], batch.shape()[1], batch.shape()[2]});
  std::copy_n(batch.data<float>(), one.numel(), one.data<float>());
  writeNpy(dir.file("one.npy"), one);
  const Result r = run({"explain", modelPath(name), dir.file("one.npy"), "--save-map", dir.file("old.npy"), "--out",
                        dir.file("pictures")});
  CHECK(r.code == 1);
  CHECK(r.err.find(dir.file("pictures")) != std::string::npos);
  CHECK(r.out.empty());
  const Tensor kept = readNpy(dir.file("old.npy"));
  REQUIRE(kept.shape() == old.shape());
  for (int64_t i = 0; i < 4; ++i) CHECK(kept.at(i) == old.at(i));
  // No temporary file is left behind.
  std::vector<std::string> entries;
  for (const auto& e : std::filesystem::directory_iterator(dir.path)) entries.push_back(e.path().filename().string());
  std::sort(entries.begin(), entries.end());
  CHECK(entries == std::vector<std::string>{"old.npy", "one.npy", "pictures"});
  CHECK(std::filesystem::is_empty(dir.file("pictures")));
}

TEST_CASE("dlcam help explain describes every option") {
  const Result r = run({"help", "explain"});
  REQUIRE(r.code == 0);
  CHECK(r.out.starts_with("usage: dlcam explain MODEL INPUT [options]"));
  CHECK(r.out.find("0-based") != std::string::npos);
  CHECK(r.out.find("MATLAB's are 1-based") != std::string::npos);
  for (const auto& option : cli::allOptions(*cli::findCommand("explain"))) {
    INFO("option --", option.name);
    CHECK(r.out.find("--" + option.name) != std::string::npos);
  }
  CHECK(run({"explain", "--help"}).out == r.out);
}
