// The `dlcam` command line, run in-process through runDlcam with string streams, on the small
// ONNX nets of tests/fixtures/onnx_nets (PyTorch's outputs in output.npy are the reference).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "apps/dlcam/cli.h"
#include "apps/dlcam/json.h"
#include "autodiff/resize.h"
#include "core/error.h"
#include "gradcam/gradcam.h"
#include "io/image.h"
#include "io/npy.h"
#include "io/onnx/importer.h"
#include "io/onnx/layout.h"
#include "io/onnx/proto.h"
#include "tests/apps/cli_test_util.h"
#include "tests/support/onnx_nets.h"

namespace fs = std::filesystem;
using namespace dlcam;

namespace {

using namespace dlcam::test::cli;
using dlcam::cli::jsonNumber;

// ONNX dims of a .npy tensor (readNpy reverses them).
std::vector<int64_t> onnxDims(const Tensor& t) { return {t.shape().dims().rbegin(), t.shape().dims().rend()}; }

std::string joined(const std::vector<int64_t>& dims, size_t from) {
  std::string s;
  for (size_t i = from; i < dims.size(); ++i) s += (i > from ? "×" : "") + std::to_string(dims[i]);
  return s;
}

// max |got − expected| / max |expected|, or infinity when the shapes differ.
double relativeError(const Tensor& got, const Tensor& expected) {
  if (got.shape() != expected.shape()) return INFINITY;
  const Tensor g = got.to(DType::Float64), e = expected.to(DType::Float64);
  double worst = 0, scale = 0;
  for (int64_t i = 0; i < e.numel(); ++i) {
    scale = std::max(scale, std::abs(e.data<double>()[i]));
    worst = std::max(worst, std::abs(g.data<double>()[i] - e.data<double>()[i]));
  }
  return worst / std::max(scale, 1e-30);
}

// Expected top-k class indices per observation of an N×C output.npy (C fastest in memory).
std::vector<std::vector<int64_t>> expectedTop(const Tensor& output, size_t k) {
  const std::vector<int64_t> dims = onnxDims(output);
  const int64_t n = dims[0], c = dims[1];
  const Tensor v = output.to(DType::Float64);
  std::vector<std::vector<int64_t>> top;
  for (int64_t obs = 0; obs < n; ++obs) {
    std::vector<int64_t> order(static_cast<size_t>(c));
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return v.data<double>()[obs * c + a] > v.data<double>()[obs * c + b];
    });
    order.resize(k);
    top.push_back(order);
  }
  return top;
}

// The class column of each observation's table in predict's output.
std::vector<std::vector<int64_t>> listedTop(const std::string& text) {
  std::vector<std::vector<int64_t>> top;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("observation ")) {
      top.emplace_back();
      std::getline(in, line);  // header
      CHECK(line.find("class") != std::string::npos);
      continue;
    }
    if (top.empty() || line.empty() || line[0] != ' ') continue;
    std::istringstream row(line);
    int64_t rank = 0, cls = -1;
    if (row >> rank >> cls) top.back().push_back(cls);
  }
  return top;
}

}  // namespace

TEST_CASE("dlcam info prints the input shape and every layer of the small nets") {
  for (const char* name : dlcam::test::kSmallNets) {
    INFO("net: ", name);
    const Result r = run({"info", modelPath(name)});
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    CHECK(r.out.find("opset:") != std::string::npos);
    CHECK(r.out.find("producer:  pytorch") != std::string::npos);
    // The input's ONNX shape; the batch may be symbolic ("N"), the rest is the fixture's.
    const std::vector<int64_t> dims = onnxDims(readNpy(inputPath(name)));
    const size_t start = r.out.find("input:");
    REQUIRE(start != std::string::npos);
    const std::string inputLine = r.out.substr(start, r.out.find('\n', start) - start);
    CHECK(inputLine.find("'input'") != std::string::npos);
    CHECK(inputLine.find("×" + joined(dims, 1)) != std::string::npos);
    const Network net = onnx::importNetwork(modelPath(name));
    for (size_t k = 0; k < net.numLayers(); ++k) {
      INFO("layer: ", net.layer(k).name());
      CHECK(r.out.find(net.layer(k).name()) != std::string::npos);
    }
  }
}

TEST_CASE("dlcam info shows the layers Grad-CAM uses by default, or why there are none") {
  for (const char* name : dlcam::test::kSmallNets) {
    INFO("net: ", name);
    const Result r = run({"info", modelPath(name)});
    REQUIRE(r.code == 0);
    const Network net = onnx::importNetwork(modelPath(name));
    if (std::string(name) == "mlp_ops") {
      // A feature-input model: no spatial or time dimensions to map.
      CHECK_THROWS_AS(defaultGradCamLayers(net), Error);
      CHECK(r.out.find("gradcam:   no default layers: ") != std::string::npos);
      CHECK(r.out.find("Feature Input") != std::string::npos);
      continue;
    }
    const GradCamLayers layers = defaultGradCamLayers(net);
    CHECK(r.out.find("gradcam:   feature layer '" + layers.featureLayer + "' " +
                     net.outputInfo(layers.featureLayer).str() + "\n") != std::string::npos);
    CHECK(r.out.find("           reduction layer '" + layers.reductionLayer + "'\n") != std::string::npos);
  }
}

TEST_CASE("dlcam info shows a symbolic batch by name, and timings only with --verbose") {
  const Result r = run({"info", "-v", modelPath("residual_concat_regression")});
  CHECK(r.code == 0);
  CHECK(r.out.find("N×3×17×15 (N×C×H×W)") != std::string::npos);
  CHECK(r.out.find("accepts:   any×3×17×15, or 3×17×15") != std::string::npos);
  CHECK(r.err.find("dlcam: loaded '") != std::string::npos);
  CHECK(r.err.find(" ms") != std::string::npos);
}

TEST_CASE("dlcam predict --save-output matches PyTorch's output") {
  TempDir dir;
  for (const char* name : {"grouped_depthwise", "mlp_ops"}) {
    INFO("net: ", name);
    const std::string saved = dir.file(std::string(name) + "_out.npy");
    const Result r = run({"predict", "--save-output", saved, modelPath(name), inputPath(name)});
    REQUIRE(r.code == 0);
    CHECK(r.err.empty());
    const Tensor expected = readNpy((netDir(name) / "output.npy").string());
    const std::vector<int64_t> dims = onnxDims(expected);
    CHECK(r.out.find("output:  " + joined(dims, 0) + " (N×C)") != std::string::npos);
    CHECK(r.out.find("saved:   " + saved) != std::string::npos);
    // Saved only: no score table.
    CHECK(r.out.find("observation") == std::string::npos);
    const Tensor got = readNpy(saved);
    CHECK(got.dtype() == DType::Float32);
    CHECK(onnxDims(got) == dims);
    CHECK(relativeError(got, expected) < 1e-4);
  }
}

TEST_CASE("dlcam predict --top lists the largest classes of each observation") {
  for (const char* name : {"grouped_depthwise", "mlp_ops"}) {
    INFO("net: ", name);
    const Tensor expected = readNpy((netDir(name) / "output.npy").string());
    // Options before, between and after the positionals, in both spellings.
    const Result r = run({"predict", modelPath(name), "--top=3", inputPath(name)});
    REQUIRE(r.code == 0);
    CHECK(listedTop(r.out) == expectedTop(expected, 3));
    const Result k = run({"predict", "-k", "2", modelPath(name), inputPath(name)});
    REQUIRE(k.code == 0);
    CHECK(listedTop(k.out) == expectedTop(expected, 2));
    // Without options: the top 5 of a classification output.
    const Result d = run({"predict", modelPath(name), inputPath(name)});
    REQUIRE(d.code == 0);
    CHECK(listedTop(d.out) == expectedTop(expected, 5));
  }
  // K beyond the class count lists every class.
  const int64_t classes = onnxDims(readNpy((netDir("grouped_depthwise") / "output.npy").string()))[1];
  const Result all = run({"predict", modelPath("grouped_depthwise"), inputPath("grouped_depthwise"), "--top", "50"});
  REQUIRE(all.code == 0);
  CHECK(listedTop(all.out).size() == 2);
  for (const auto& top : listedTop(all.out)) CHECK(top.size() == static_cast<size_t>(classes));
}

TEST_CASE("dlcam predict --labels names the classes") {
  TempDir dir;
  const Tensor expected = readNpy((netDir("mlp_ops") / "output.npy").string());
  const int64_t classes = onnxDims(expected)[1];
  {
    std::ofstream labels(dir.file("labels.txt"));
    for (int64_t c = 0; c < classes; ++c) labels << "label_" << c << "\r\n";
    labels << "\n";
  }
  const Result r = run({"predict", modelPath("mlp_ops"), inputPath("mlp_ops"), "--labels", dir.file("labels.txt"),
                        "--top", "1"});
  REQUIRE(r.code == 0);
  const auto top = expectedTop(expected, 1);
  for (size_t n = 0; n < top.size(); ++n) {
    INFO("observation ", n);
    CHECK(r.out.find("label_" + std::to_string(top[n][0]) + "\n") != std::string::npos);
  }
  CHECK(r.out.find('\r') == std::string::npos);

  {
    std::ofstream labels(dir.file("short.txt"));
    labels << "cat\ndog\n";
  }
  const Result bad = run({"predict", modelPath("mlp_ops"), inputPath("mlp_ops"), "--labels", dir.file("short.txt")});
  CHECK(bad.code == 1);
  CHECK(bad.err.find("has 2 labels, but the output has " + std::to_string(classes) + " classes") != std::string::npos);
}

TEST_CASE("dlcam predict --json prints one object with the shapes and the top classes") {
  TempDir dir;
  const Tensor expected = readNpy((netDir("grouped_depthwise") / "output.npy").string());
  const int64_t classes = onnxDims(expected)[1];
  {
    std::ofstream labels(dir.file("labels.txt"));
    for (int64_t c = 0; c < classes; ++c) labels << "name \"" << c << "\"\n";  // quotes must be escaped
  }
  const Result r = run({"predict", modelPath("grouped_depthwise"), inputPath("grouped_depthwise"), "--json", "--top",
                        "2", "--labels", dir.file("labels.txt")});
  REQUIRE(r.code == 0);
  CHECK(r.err.empty());
  CHECK(r.out.starts_with("{\n"));
  CHECK(r.out.ends_with("}\n"));
  CHECK(r.out.find("\"model\": \"" + modelPath("grouped_depthwise") + "\"") != std::string::npos);
  CHECK(r.out.find("\"shape\": [2, 4, 33, 29]") != std::string::npos);
  CHECK(r.out.find("\"dims\": \"N×C×H×W\"") != std::string::npos);
  CHECK(r.out.find("\"batchAdded\": false") != std::string::npos);
  CHECK(r.out.find("\"shape\": [2, " + std::to_string(classes) + "]") != std::string::npos);
  CHECK(r.out.find("\"saved\": null") != std::string::npos);
  // Each observation's top 2, largest first, with the label and the score.
  const auto top = expectedTop(expected, 2);
  const Tensor scores = expected.to(DType::Float64);
  size_t at = 0;
  for (size_t n = 0; n < top.size(); ++n) {
    at = r.out.find("\"observation\": " + std::to_string(n), at);
    REQUIRE(at != std::string::npos);
    for (int64_t cls : top[n]) {
      at = r.out.find("\"class\": " + std::to_string(cls) + ",", at);
      REQUIRE(at != std::string::npos);
      const size_t label = r.out.find("\"label\": \"name \\\"" + std::to_string(cls) + "\\\"\"", at);
      CHECK(label != std::string::npos);
      const size_t score = r.out.find("\"score\": ", at);
      REQUIRE(score != std::string::npos);
      const double value = std::stod(r.out.substr(score + 9));
      CHECK(value == doctest::Approx(scores.data<double>()[static_cast<int64_t>(n) * classes + cls]).epsilon(1e-5));
    }
  }
  CHECK(r.out.find("\"statistics\"") == std::string::npos);

  // A regression output (N×1): statistics and the values instead of classes.
  const Result reg = run({"predict", modelPath("residual_concat_regression"), inputPath("residual_concat_regression"),
                          "--json", "--save-output", dir.file("out.npy")});
  REQUIRE(reg.code == 0);
  CHECK(reg.out.find("\"saved\": \"" + dir.file("out.npy") + "\"") != std::string::npos);
  CHECK(reg.out.find("\"statistics\": {") != std::string::npos);
  CHECK(reg.out.find("\"nan\": 0") != std::string::npos);
  const Tensor regression = readNpy(dir.file("out.npy"));
  REQUIRE(regression.numel() == 2);
  CHECK(reg.out.find("\"values\": [" + jsonNumber(regression.data<float>()[0]) + ", " +
                     jsonNumber(regression.data<float>()[1]) + "]") != std::string::npos);
  CHECK(reg.out.find("\"observations\"") == std::string::npos);
}

TEST_CASE("dlcam predict gives an input without its batch dimension a batch of 1") {
  TempDir dir;
  for (const char* name : {"grouped_depthwise", "seq_causal_ln"}) {
    INFO("net: ", name);
    const Tensor input = readNpy(inputPath(name));
    const Tensor expected = readNpy((netDir(name) / "output.npy").string());
    // The first observation: N is the slowest dimension, so its values come first.
    std::vector<int64_t> oneDims = input.shape().dims();
    oneDims.pop_back();
    Tensor one(Shape(oneDims), input.dtype());
    std::copy_n(input.data<float>(), one.numel(), one.data<float>());
    writeNpy(dir.file("one.npy"), one);
    std::vector<int64_t> firstDims = expected.shape().dims();
    firstDims.back() = 1;
    Tensor first(Shape(firstDims), DType::Float64);
    std::copy_n(expected.data<double>(), first.numel(), first.data<double>());

    const Result r = run({"predict", modelPath(name), dir.file("one.npy"), "--save-output", dir.file("out.npy")});
    REQUIRE(r.code == 0);
    const std::string dims = std::string(name) == "seq_causal_ln" ? "C×L" : "C×H×W";  // the file's: no N
    CHECK(r.out.find("input:   " + dir.file("one.npy") + ": " + joined(onnxDims(one), 0) + " (" + dims +
                     "), the model's layout, a batch of 1 added\n") != std::string::npos);
    CHECK(r.out.find("         network input 1×" + joined(onnxDims(one), 0)) != std::string::npos);
    CHECK(relativeError(readNpy(dir.file("out.npy")), first) < 1e-4);
  }
}

TEST_CASE("dlcam predict on an image file names the class drawn in it") {
  const fs::path shapes = dlcam::test::sourceDir() / "examples" / "shapes";
  const Result r = run({"predict", (shapes / "model.onnx").string(), (shapes / "samples" / "shapes_0003.png").string(),
                        "--labels", (shapes / "labels.txt").string()});
  REQUIRE(r.code == 0);
  CHECK(r.err.empty());
  CHECK(r.out.find("shapes_0003.png: 64×64 RGB image (h×w), values 0…255\n") != std::string::npos);
  CHECK(r.out.find("network input 1×3×64×64 (N×C×H×W)\n") != std::string::npos);
  const std::vector<std::vector<int64_t>> top = listedTop(r.out);
  REQUIRE(top.size() == 1);
  REQUIRE(top[0].size() == 4);
  CHECK(top[0][0] == 3);
  CHECK(r.out.find("      1      3") != std::string::npos);
  CHECK(r.out.find("  cross\n") != std::string::npos);
}

TEST_CASE("dlcam predict refuses to overwrite its model, input or labels, and a --resize the model cannot take") {
  const fs::path shapes = dlcam::test::sourceDir() / "examples" / "shapes";
  TempDir dir;
  const std::string model = dir.file("model.onnx"), image = dir.file("cross.png"), labels = dir.file("labels.txt");
  fs::copy_file(shapes / "model.onnx", model);
  fs::copy_file(shapes / "samples" / "shapes_0003.png", image);
  fs::copy_file(shapes / "labels.txt", labels);
  const auto modelBytes = fs::file_size(model), imageBytes = fs::file_size(image), labelBytes = fs::file_size(labels);
  for (const std::string& target : {model, (dir.path / "." / "cross.png").string(), labels}) {
    CAPTURE(target);
    const Result r = run({"predict", model, image, "--labels", labels, "--save-output", target});
    CHECK(r.code == 2);
    CHECK(r.err.find("would overwrite") != std::string::npos);
  }
  CHECK(fs::file_size(model) == modelBytes);
  CHECK(fs::file_size(image) == imageBytes);
  CHECK(fs::file_size(labels) == labelBytes);

  const Result big = run({"predict", model, image, "--resize", "3000x3000"});
  CHECK(big.code == 1);
  CHECK(big.err.find("--resize 3000x3000 does not fit the model's input, which takes 64×64 images") != std::string::npos);
}

TEST_CASE("dlcam predict prepares an image as explain does: the same output as the .npy prepared by hand") {
  TempDir dir;
  // y = Relu(x) with open H and W: the saved output is the prepared input, its negative
  // values zeroed.
  const std::string model = writeReluModel(dir, {{-1, "N"}, {3, ""}, {-1, "H"}, {-1, "W"}});
  Image photo(30, 40, 3);
  for (int64_t y = 0; y < photo.height; ++y)
    for (int64_t x = 0; x < photo.width; ++x) {
      photo.at(y, x, 0) = static_cast<uint8_t>(6 * x);
      photo.at(y, x, 1) = static_cast<uint8_t>(8 * y);
      photo.at(y, x, 2) = static_cast<uint8_t>((x * y) % 256);
    }
  writePng(dir.file("photo.png"), photo);
  const Result r = run({"predict", model, dir.file("photo.png"), "--resize", "12x16", "--scale", "1/255", "--mean",
                        "0.25", "--save-output", dir.file("from_image.npy")});
  REQUIRE(r.code == 0);
  CHECK(r.out.find("photo.png: 30×40 RGB image (h×w), values 0…255\n") != std::string::npos);
  CHECK(r.out.find("resized to 12×16 (bicubic, antialiased, rounded to 0…255") != std::string::npos);
  CHECK(r.out.find("x = (x·1/255 − 0.25) / 1\n") != std::string::npos);
  CHECK(r.out.find("network input 1×3×12×16 (N×C×H×W)\n") != std::string::npos);
  CHECK(r.out.find("output:  1×3×12×16 (N×C×H×W)\n") != std::string::npos);

  // The same preparation by hand: imresize to 12×16 (uint8 out: rounded and clamped to
  // 0…255), then x/255 − 0.25; written in ONNX order (N×C×H×W).
  const Tensor pixels = imageToTensor(photo);
  const Array resized =
      resize(Array(pixels.reshaped(Shape{30, 40, 3, 1}), "SSCB"), {12, 16}, {.method = ResizeMethod::Cubic});
  Tensor x = resized.value().clone();
  for (int64_t i = 0; i < x.numel(); ++i) {
    float& v = x.data<float>()[i];
    v = std::clamp(std::round(v), 0.0f, 255.0f) * (1.0f / 255.0f) - 0.25f;
  }
  const Tensor byHand = onnx::toOnnxOrder(Array(x, "SSCB")).value();
  writeNpy(dir.file("by_hand.npy"), byHand);
  const Result npy = run({"predict", model, dir.file("by_hand.npy"), "--save-output", dir.file("from_npy.npy")});
  REQUIRE(npy.code == 0);
  CHECK(npy.out.find("by_hand.npy: 1×3×12×16 (N×C×H×W), the model's layout\n") != std::string::npos);

  const Tensor fromImage = readNpy(dir.file("from_image.npy")), fromNpy = readNpy(dir.file("from_npy.npy"));
  REQUIRE(fromImage.shape() == byHand.shape());
  REQUIRE(fromNpy.shape() == byHand.shape());
  int64_t zeroed = 0;
  for (int64_t i = 0; i < byHand.numel(); ++i) {
    const float expected = std::max(byHand.data<float>()[i], 0.0f);
    zeroed += expected == 0;
    CHECK(fromNpy.data<float>()[i] == expected);
    CHECK(fromImage.data<float>()[i] == doctest::Approx(expected).epsilon(1e-6));
  }
  CHECK(zeroed > 0);  // the mean moved some values below 0

  // --json names the input's type; --resize is for images only, --input-format for arrays only.
  const Result json = run({"predict", model, dir.file("photo.png"), "--json"});
  REQUIRE(json.code == 0);
  CHECK(json.out.find("\"type\": \"image\"") != std::string::npos);
  CHECK(json.out.find("\"shape\": [1, 3, 30, 40]") != std::string::npos);
  CHECK(run({"predict", model, dir.file("by_hand.npy"), "--resize", "4x4"}).code == 2);
  CHECK(run({"predict", model, dir.file("photo.png"), "--input-format", "SSC"}).code == 2);
}

TEST_CASE("dlcam predict prints statistics of an output without classes") {
  TempDir dir;
  const std::string model = writeReluModel(dir);
  std::vector<float> values(18);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i) - 8.5f;  // −8.5 … 8.5
  writeNpy(dir.file("x.npy"), Tensor::fromValues(Shape{3, 3, 2}, std::span<const float>(values)));
  const Result r = run({"predict", model, dir.file("x.npy")});
  REQUIRE(r.code == 0);
  CHECK(r.out.find("output:  1×2×3×3 (N×C×H×W)") != std::string::npos);
  // relu: nine zeros and 0.5 … 8.5, mean 40.5 / 18.
  CHECK(r.out.find("min 0  max 8.5  mean 2.25") != std::string::npos);
  CHECK(r.out.find("observation") == std::string::npos);

  const Result top = run({"predict", model, dir.file("x.npy"), "--top", "2"});
  CHECK(top.code == 1);
  CHECK(top.err.find("dlcam: error: --top and --labels need class scores along C") != std::string::npos);
  CHECK(top.err.find("1×2×3×3") != std::string::npos);
}

TEST_CASE("dlcam info and predict take --input-shape for a model with symbolic H and W") {
  TempDir dir;
  const std::string model = writeReluModel(dir, {{-1, "N"}, {2, ""}, {-1, "H"}, {-1, "W"}});

  // Without it the sizes are unknown: the importer refuses, and the message names the option.
  const Result plain = run({"info", model});
  CHECK(plain.code == 1);
  CHECK(plain.err.find("--input-shape") != std::string::npos);

  const Result info = run({"info", model, "--input-shape", "1,2,5,4"});
  REQUIRE(info.code == 0);
  CHECK(info.out.find("input:     'x' float N×2×H×W (N×C×H×W)") != std::string::npos);
  CHECK(info.out.find("accepts:   any×2×5×4, or 2×5×4 for one observation") != std::string::npos);
  CHECK(info.out.find("5(S) × 4(S) × 2(C) × 1(B)") != std::string::npos);  // the layer table: H×W×C×N

  // predict: an input of that shape with another batch size, ONNX N×C×H×W = 3×2×5×4.
  std::vector<float> values(3 * 2 * 5 * 4);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 7) - 3.25f;
  writeNpy(dir.file("x.npy"), Tensor::fromValues(Shape{4, 5, 2, 3}, std::span<const float>(values)));
  const Result r =
      run({"predict", model, dir.file("x.npy"), "--input-shape=1,2,5,4", "--save-output", dir.file("y.npy")});
  REQUIRE(r.code == 0);
  CHECK(r.out.find("output:  3×2×5×4 (N×C×H×W)") != std::string::npos);
  const Tensor y = readNpy(dir.file("y.npy"));
  REQUIRE(y.shape() == Shape{4, 5, 2, 3});
  for (size_t i = 0; i < values.size(); ++i) CHECK(y.data<float>()[i] == std::max(values[i], 0.0f));

  // An input that does not fit the given shape, a shape that does not fit the file, and
  // values that are not a shape.
  const Result other = run({"predict", model, dir.file("x.npy"), "--input-shape", "1,2,4,5"});
  CHECK(other.code == 1);
  CHECK(other.err.find("takes any×2×4×5") != std::string::npos);
  const Result rank = run({"info", model, "--input-shape", "1,2,5"});
  CHECK(rank.code == 1);
  CHECK(rank.err.find("has rank 3") != std::string::npos);
  const Result channels = run({"info", model, "--input-shape", "1,3,5,4"});
  CHECK(channels.code == 1);
  CHECK(channels.err.find("fixes it to 2") != std::string::npos);
  for (const char* bad :
       {"1,2,,4", "1,2,5,4,", "1,2,x,4", "0,2,5,4", "1,-2,5,4", "1 2 5 4", "1,2,5,99999999999999999999"}) {
    INFO("value: '", bad, "'");
    const Result u = run({"info", model, "--input-shape", bad});
    CHECK(u.code == 2);
    CHECK(u.err.find("dlcam: error: --input-shape expects the input's ONNX shape as comma-separated positive "
                     "integers (N,C,H,W: 1,3,224,224), got '" + std::string(bad) + "'") != std::string::npos);
    CHECK(u.err.find("usage: dlcam info MODEL [options]") != std::string::npos);
  }
  CHECK(run({"help", "info"}).out.find("--input-shape N,C,H,W") != std::string::npos);
  CHECK(run({"help", "predict"}).out.find("--input-shape N,C,H,W") != std::string::npos);
}

TEST_CASE("dlcam reports errors on stderr with exit code 1") {
  TempDir dir;
  SUBCASE("missing model") {
    const Result r = run({"info", dir.file("nothing.onnx")});
    CHECK(r.code == 1);
    CHECK(r.out.empty());
    CHECK(r.err == "dlcam: error: cannot open ONNX model '" + dir.file("nothing.onnx") + "': no such file\n");
  }
  SUBCASE("a model that is not ONNX") {
    std::ofstream(dir.file("junk.onnx")) << "not a model";
    const Result r = run({"info", dir.file("junk.onnx")});
    CHECK(r.code == 1);
    CHECK(r.err.starts_with("dlcam: error: cannot load ONNX model '" + dir.file("junk.onnx") + "'"));
  }
  SUBCASE("missing input") {
    const Result r = run({"predict", modelPath("mlp_ops"), dir.file("nothing.npy")});
    CHECK(r.code == 1);
    CHECK(r.err.find("dlcam: error: cannot open input '" + dir.file("nothing.npy") + "': no such file") == 0);
  }
  SUBCASE("wrong input shape") {
    writeNpy(dir.file("wrong.npy"), Tensor(Shape{29, 30, 4, 2}));  // ONNX 2×4×30×29; the net takes H = 33
    const Result r = run({"predict", modelPath("grouped_depthwise"), dir.file("wrong.npy")});
    CHECK(r.code == 1);
    CHECK(r.out.empty());
    CHECK(r.err.find("dlcam: error: input '" + dir.file("wrong.npy") + "' has shape 2×4×30×29") == 0);
    CHECK(r.err.find("input layer 'input' takes any×4×33×29 (N×C×H×W") != std::string::npos);
    CHECK(r.err.find("any N, or 4×33×29 (one observation)") != std::string::npos);
  }
  SUBCASE("wrong input rank") {
    writeNpy(dir.file("flat.npy"), Tensor(Shape{10}));
    const Result r = run({"predict", modelPath("grouped_depthwise"), dir.file("flat.npy")});
    CHECK(r.code == 1);
    CHECK(r.err.find("has shape 10, but the network's input layer 'input' takes any×4×33×29") != std::string::npos);
  }
  SUBCASE("an input file that is not .npy") {
    std::ofstream(dir.file("x.npy")) << "hello";
    const Result r = run({"predict", modelPath("mlp_ops"), dir.file("x.npy")});
    CHECK(r.code == 1);
    CHECK(r.err.find("dlcam: error: readNpy: " + dir.file("x.npy")) == 0);
  }
  SUBCASE("unwritable output") {
    const Result r = run({"predict", modelPath("mlp_ops"), inputPath("mlp_ops"), "--save-output",
                          dir.file("no/such/dir/out.npy")});
    CHECK(r.code == 1);
    CHECK(r.err.find("dlcam: error: ") == 0);
    CHECK(r.err.find("no/such/dir/out.npy") != std::string::npos);
  }
}

TEST_CASE("dlcam reports usage errors with the usage and exit code 2") {
  const std::string model = modelPath("mlp_ops"), input = inputPath("mlp_ops");
  for (const char* bad : {"0", "-2", "abc", "3x"}) {
    INFO("--top '", bad, "'");
    const Result r = run({"predict", model, input, "--top", bad});
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find(std::string("dlcam: error: --top expects a positive integer, got '") + bad + "'") == 0);
    CHECK(r.err.find("usage: dlcam predict MODEL INPUT [options]") != std::string::npos);
  }
  const Result unknown = run({"predict", model, input, "--tops", "3"});
  CHECK(unknown.code == 2);
  CHECK(unknown.err.find("dlcam: error: unknown option '--tops' for 'predict' (did you mean '--top'?)") == 0);
  CHECK(unknown.err.find("usage: dlcam predict") != std::string::npos);

  CHECK(run({"predict", model, input, "-x"}).code == 2);
  CHECK(run({"predict", model, input, "--top"}).err.find("option --top needs a value (K)") != std::string::npos);
  // An empty value is no value, for every option: refused while the command line is parsed.
  for (const auto& [option, command] : std::vector<std::pair<std::string, std::string>>{
           {"--top", "predict"}, {"--labels", "predict"}, {"--save-output", "predict"}, {"--input-shape", "info"}}) {
    INFO("option ", option);
    const std::vector<std::string> words =
        command == "info" ? std::vector<std::string>{"info", model} : std::vector<std::string>{"predict", model, input};
    std::vector<std::string> separate = words, joined = words;
    separate.insert(separate.end(), {option, ""});
    joined.push_back(option + "=");
    for (const Result& empty : {run(separate), run(joined)}) {
      CHECK(empty.code == 2);
      CHECK(empty.err.starts_with("dlcam: error: option " + option + " needs a value ("));
      CHECK(empty.err.find("got ''") != std::string::npos);
    }
  }
  CHECK(run({"info", model, "--verbose=yes"}).err.find("option --verbose takes no value") != std::string::npos);

  const Result missing = run({"predict", model});
  CHECK(missing.code == 2);
  CHECK(missing.err.find("'predict' needs INPUT") != std::string::npos);
  const Result extra = run({"info", model, input});
  CHECK(extra.code == 2);
  CHECK(extra.err.find("unexpected argument '" + input + "'") != std::string::npos);

  const Result command = run({"predcit", model});
  CHECK(command.code == 2);
  CHECK(command.err.find("dlcam: error: unknown command 'predcit' (did you mean 'predict'?)") == 0);
  CHECK(run({"--frobnicate"}).code == 2);
  CHECK(run({"help", "nothing"}).code == 2);
  const Result none = run({});
  CHECK(none.code == 2);
  CHECK(none.err.find("usage: dlcam COMMAND") == 0);
}

TEST_CASE("dlcam help and version") {
  const Result help = run({"--help"});
  CHECK(help.code == 0);
  CHECK(help.err.empty());
  CHECK(help.out.find("usage: dlcam COMMAND") == 0);
  for (const auto& c : cli::commands()) CHECK(help.out.find("  " + c.name + " ") != std::string::npos);

  const Result predict = run({"help", "predict"});
  CHECK(predict.code == 0);
  CHECK(predict.out.find("usage: dlcam predict MODEL INPUT [options]") == 0);
  for (const char* option : {"--save-output OUT.npy", "-k, --top K", "--labels FILE", "--input-format FMT",
                             "--resize HxW", "--scale S", "--mean M", "--std S", "-v, --verbose", "-h, --help"})
    CHECK(predict.out.find(option) != std::string::npos);
  // --help after a command needs no positional arguments.
  CHECK(run({"predict", "--help"}).out == predict.out);
  CHECK(run({"info", "-h"}).out == run({"help", "info"}).out);

  const Result version = run({"--version"});
  CHECK(version.code == 0);
  CHECK(version.out.starts_with("dlcam "));
  CHECK(version.out.find("unknown") == std::string::npos);
}

TEST_CASE("dlcam predict --verbose prints timings on stderr only") {
  const Result r = run({"predict", "--verbose", modelPath("mlp_ops"), inputPath("mlp_ops")});
  REQUIRE(r.code == 0);
  CHECK(r.err.find("dlcam: loaded '") == 0);
  CHECK(r.err.find("dlcam: predict on 3×10 took ") != std::string::npos);
  CHECK(r.out.find(" ms") == std::string::npos);
}

TEST_CASE("dlcam options: a repeated option keeps its last value and all of them in order") {
  using Items = std::vector<std::pair<std::string, std::string>>;
  const cli::Command& explain = *cli::findCommand("explain");
  const std::vector<std::string> words = {"m.onnx", "--class", "3", "x.npy", "--label", "cat", "--class=5,7"};
  const cli::ParsedArgs args = cli::parseArgs(explain, words);
  CHECK(args.positionals == std::vector<std::string>{"m.onnx", "x.npy"});
  CHECK(args.value("class") == "5,7");
  CHECK(args.all({"class"}) == Items{{"class", "3"}, {"class", "5"}, {"class", "7"}});
  CHECK(args.all({"label"}) == Items{{"label", "cat"}});
  // Several options: their items interleaved as the command line gives them.
  CHECK(args.all({"class", "label"}) == Items{{"class", "3"}, {"label", "cat"}, {"class", "5"}, {"class", "7"}});
  CHECK(args.all({"out"}).empty());
  CHECK(cli::splitCommas("") == std::vector<std::string>{""});
  CHECK(cli::splitCommas("a,,b") == std::vector<std::string>{"a", "", "b"});
}

TEST_CASE("dlcam JSON: strings are escaped, numbers read back, NaN is null") {
  using cli::Json;
  CHECK(cli::jsonString("a\"b\\c/d") == "\"a\\\"b\\\\c/d\"");
  CHECK(cli::jsonString("tab\tline\nret\r\x01\x1f") == "\"tab\\tline\\nret\\r\\u0001\\u001f\"");
  CHECK(cli::jsonString("×ü") == "\"×ü\"");  // UTF-8 passes through
  CHECK(jsonNumber(NAN) == "null");
  CHECK(jsonNumber(INFINITY) == "null");
  CHECK(jsonNumber(-INFINITY) == "null");
  CHECK(jsonNumber(3) == "3");
  CHECK(jsonNumber(-0.5) == "-0.5");
  // A float32 value prints as the float it is; a double with all the digits it needs.
  CHECK(jsonNumber(0.1f) == "0.1");
  CHECK(jsonNumber(1.0 / 3.0) == "0.3333333333333333");
  CHECK(std::stod(jsonNumber(1.0 / 3.0)) == 1.0 / 3.0);
  CHECK(std::stof(jsonNumber(static_cast<float>(1.0 / 3.0))) == static_cast<float>(1.0 / 3.0));
  CHECK(jsonNumber(1e300) == "1e+300");

  Json j = Json::object();
  j.set("name", "x");
  j.set("shape", Json::array(std::vector<int64_t>{1, 3}));
  j.set("none", Json());
  Json items = Json::array();
  Json item = Json::object();
  item.set("ok", true);
  items.push(item);
  j.set("items", items);
  j.set("empty", Json::array());
  j.set("name", "replaced");  // an existing key keeps its place
  CHECK(j.dump() ==
        "{\n"
        "  \"name\": \"replaced\",\n"
        "  \"shape\": [1, 3],\n"
        "  \"none\": null,\n"
        "  \"items\": [\n"
        "    {\n"
        "      \"ok\": true\n"
        "    }\n"
        "  ],\n"
        "  \"empty\": []\n"
        "}");
}
