// gradCAM on the exported fixture networks against PyTorch: tools/gradcam_reference.py runs
// Grad-CAM with autograd (float64) on the same seeded nets and inputs, and upsamples with its
// own numpy implementation of MATLAB's imresize. Each case of a net's cases.txt names the
// layers, the target, the upsampling and the observations; its .map.npy holds MATLAB's layout
// (h×w×N×B, h×w×d×N×B, 1×t×N×B) with NumPy's indices equal to dlcam's.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "autodiff/elementwise.h"
#include "autodiff/reduce.h"
#include "autodiff/shape_ops.h"
#include "gradcam/gradcam.h"
#include "io/npy.h"
#include "io/onnx/importer.h"
#include "io/onnx/layout.h"
#include "tests/support/gpu.h"
#include "tests/support/onnx_nets.h"

namespace dlcam {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string name, feature, reduction, target, upsampling, observations, expectedFeature, expectedReduction;
};

std::vector<Case> readCases(const fs::path& file) {
  std::ifstream in(file);
  REQUIRE_MESSAGE(in, "cannot read " << file);
  std::vector<Case> cases;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    Case c;
    words >> c.name >> c.feature >> c.reduction >> c.target >> c.upsampling >> c.observations >> c.expectedFeature >>
        c.expectedReduction;
    REQUIRE_MESSAGE(!words.fail(), "malformed line in " << file << ": " << line);
    cases.push_back(c);
  }
  REQUIRE_MESSAGE(!cases.empty(), file << " has no cases");
  return cases;
}

std::vector<int64_t> integers(const std::string& csv) {
  std::vector<int64_t> values;
  std::istringstream in(csv);
  for (std::string v; std::getline(in, v, ',');) values.push_back(std::stoll(v));
  return values;
}

// class:2 | classes:0,3,4 | fn:identity | fn:sqdiff:a,b (as tools/gradcam_reference.py defines them).
CamTarget parseTarget(const std::string& text) {
  const std::string kind = text.substr(0, text.find(':'));
  const std::string rest = text.substr(text.find(':') + 1);
  if (kind == "class") return CamTarget(std::stoll(rest));
  if (kind == "classes") return CamTarget(integers(rest));
  if (rest == "identity") return CamTarget(ReductionFunction([](const Array& y) { return y; }));
  if (rest.rfind("sqdiff:", 0) == 0) {
    std::vector<int64_t> ab = integers(rest.substr(7));
    REQUIRE(ab.size() == 2);
    return CamTarget(ReductionFunction([a = ab[0], b = ab[1]](const Array& y) {
      Array d = sum(selectChannels(y, {a})) - sum(selectChannels(y, {b}));
      return d * d;
    }));
  }
  FAIL("unknown target " << text);
  return CamTarget(0);
}

// The net's input.npy (ONNX order) labelled for dlcam; observations "0": the first one,
// without a batch dimension, as MATLAB passes a single observation.
Array readInput(const fs::path& file, const std::string& observations) {
  Array x = onnx::fromOnnxOrder(Array(readNpy(file.string())));
  if (observations == "all") return x;
  const int b = x.format().find('B');
  Array first = index(x, b, {std::stoll(observations)});
  std::vector<int64_t> dims = first.shape().dims();
  dims.erase(dims.begin() + b);
  std::string labels = x.format().str();
  labels.erase(static_cast<size_t>(b), 1);
  return Array(first.value().reshaped(Shape(dims)), labels);
}

// device: where the network is moved and gradCAM runs (the GPU run compares with the same
// PyTorch references as the CPU run, at the same tolerance).
void runCases(const fs::path& modelDir, const fs::path& caseDir, Device device = Device::CPU) {
  Network net = onnx::importNetwork((modelDir / "model.onnx").string());
  net.to(device);
  for (const Case& c : readCases(caseDir / "cases.txt")) {
    CAPTURE(modelDir.filename().string());
    CAPTURE(c.name);
    GradCamOptions options{.featureLayer = c.feature == "-" ? "" : c.feature,
                           .reductionLayer = c.reduction == "-" ? "" : c.reduction,
                           .upsampling = parseUpsampling(c.upsampling),
                           .executionEnvironment = device == Device::GPU ? ExecutionEnvironment::Gpu
                                                                         : ExecutionEnvironment::Cpu};
    GradCamResult r = gradCAM(net, readInput(modelDir / "input.npy", c.observations), parseTarget(c.target), options);
    CHECK(r.featureLayer == c.expectedFeature);
    CHECK(r.reductionLayer == c.expectedReduction);

    Tensor expected = readNpy((caseDir / (c.name + ".map.npy")).string(), NpyIndexing::Same).to(DType::Float64);
    REQUIRE(r.map.shape() == expected.shape());
    const double* e = expected.data<double>();
    const float* a = r.map.data<float>();
    double peak = 0, worst = 0;
    for (int64_t i = 0; i < expected.numel(); ++i) {
      peak = std::max(peak, std::abs(e[i]));
      worst = std::max(worst, std::abs(a[i] - e[i]));
    }
    INFO("worst |dlcam - torch| " << worst << ", map max " << peak);
    CHECK(peak > 0);  // an all-zero reference would prove nothing
    CHECK(worst <= 1e-3 * peak);
    MESSAGE(modelDir.filename().string() << " " << c.name << ": worst/max " << worst / peak);

    Tensor scores = readNpy((caseDir / (c.name + ".scores.npy")).string(), NpyIndexing::Same).to(DType::Float64);
    REQUIRE(scores.numel() == static_cast<int64_t>(r.scores.size()));
    for (size_t i = 0; i < r.scores.size(); ++i)
      CHECK(r.scores[i] == doctest::Approx(scores.data<double>()[i]).epsilon(1e-4).scale(1e-3));
  }
}

}  // namespace

TEST_CASE("gradCAM reproduces the PyTorch Grad-CAM reference on the small fixture nets") {
  const fs::path root = test::fixturesDir() / "gradcam";
  int nets = 0;
  for (const char* name : test::kSmallNets) {
    if (!fs::exists(root / name / "cases.txt")) continue;  // mlp_ops has no spatial input
    runCases(test::smallNetsDir() / name, root / name);
    ++nets;
  }
  CHECK(nets == 4);
}

TEST_CASE("gradCAM reproduces the PyTorch Grad-CAM reference on resnet18, squeezenet1_1 and mobilenet_v2") {
  auto exports = test::torchvisionExports();
  if (!exports) return;
  for (const char* name : test::kTorchvisionNets) {
    const fs::path dir = *exports / name;
    REQUIRE_MESSAGE(fs::exists(dir / "gradcam" / "cases.txt"),
                    "no Grad-CAM reference in " << dir << " (scripts/test.sh runs tools/gradcam_reference.py)");
    runCases(dir, dir / "gradcam");
  }
}

TEST_CASE("gpu: gradCAM on the GPU reproduces the PyTorch Grad-CAM reference on the small fixture nets") {
  DLCAM_REQUIRE_GPU();
  const fs::path root = test::fixturesDir() / "gradcam";
  for (const char* name : test::kSmallNets)
    if (fs::exists(root / name / "cases.txt")) runCases(test::smallNetsDir() / name, root / name, Device::GPU);
}

TEST_CASE("gpu: gradCAM on the GPU reproduces the PyTorch Grad-CAM reference on resnet18, squeezenet1_1 and mobilenet_v2") {
  DLCAM_REQUIRE_GPU();
  auto exports = test::torchvisionExports();
  if (!exports) return;
  for (const char* name : test::kTorchvisionNets) runCases(*exports / name, *exports / name / "gradcam", Device::GPU);
}

}  // namespace dlcam
