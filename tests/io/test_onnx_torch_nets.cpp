// Imported ONNX networks against PyTorch: tools/export_torch_models.py exports each net with
// random weights, non-trivial batch-norm statistics and a random input, and saves PyTorch's
// output. dlcam imports the model, runs the same input and must match within 1e-4 relative
// to the output's largest magnitude, and within 1e-4 per element relative to the element
// (|a − b| / max(|b|, 1e-3·max|b|), so near-zero outputs are held to 1e-7 of the largest).
//
// The small nets are committed (tests/fixtures/onnx_nets). The torchvision nets are generated
// by scripts/test.sh into build/torch_exports (or $DLCAM_TORCH_EXPORTS); scripts/test.sh sets
// DLCAM_REQUIRE_TORCH_EXPORTS=1 so that a missing export fails. Otherwise the test prints
// DLCAM_SKIPPED, which ctest reports as skipped (tests/CMakeLists.txt).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "io/npy.h"
#include "io/onnx/importer.h"
#include "io/onnx/layout.h"
#include "tests/support/gpu.h"
#include "tests/support/onnx_nets.h"

namespace fs = std::filesystem;
using namespace dlcam;

namespace {

struct Comparison {
  double relativeError = 0;  // max |dlcam − torch| / max |torch|
  double elementError = 0;   // max |dlcam − torch| / max(|torch|, floor·max |torch|), per element
  std::vector<int64_t> shape, expectedShape;
  size_t layers = 0;
};

// device: where the network and its input are. The GPU run meets the same tolerances, except
// that elements are measured against at least 1 % of the largest output instead of 0.1 %:
// cuDNN sums its float32 convolutions in another order than the CPU, and resnet18's
// near-zero outputs (below 0.1 % of the largest) then differ by about 3e-7 of the largest
// output (on an H200), the order of PyTorch's own float32 rounding there (its float32 run of
// the export differs from its float64 run by up to 1.6e-6).
Comparison compareWithTorch(const fs::path& dir, Device device) {
  Network net = onnx::importNetwork((dir / "model.onnx").string());
  net.to(device);
  Tensor input = readNpy((dir / "input.npy").string()).to(DType::Float32).to(device);
  Tensor expected = readNpy((dir / "output.npy").string()).to(DType::Float64);
  Array x = onnx::fromOnnxOrder(Array(input, DimFormat::unformatted(input.rank())));
  Array y = onnx::toOnnxOrder(net.predict(x));
  if (device == Device::GPU) CHECK(y.device() == Device::GPU);
  Tensor got = y.value().to(Device::CPU).to(DType::Float64);

  Comparison c;
  c.layers = net.numLayers();
  c.shape = got.shape().dims();
  c.expectedShape = expected.shape().dims();
  if (c.shape != c.expectedShape) return c;
  const double* g = got.data<double>();
  const double* e = expected.data<double>();
  const int64_t n = got.numel();
  double scale = 0, worst = 0;
  for (int64_t i = 0; i < n; ++i) scale = std::max(scale, std::abs(e[i]));
  const double floor = std::max((device == Device::GPU ? 1e-2 : 1e-3) * scale, 1e-30);
  for (int64_t i = 0; i < n; ++i) {
    const double diff = std::isnan(g[i]) != std::isnan(e[i]) ? INFINITY : std::abs(g[i] - e[i]);
    worst = std::max(worst, diff);
    c.elementError = std::max(c.elementError, diff / std::max(std::abs(e[i]), floor));
  }
  c.relativeError = worst / std::max(scale, 1e-30);
  return c;
}

void checkNet(const fs::path& dir, Device device = Device::CPU) {
  INFO("net: ", dir.string(), " on the ", deviceName(device));
  Comparison c;
  try {
    c = compareWithTorch(dir, device);
  } catch (const std::exception& e) {
    FAIL_CHECK(dir.filename().string() << ": " << e.what());
    return;
  }
  CHECK(c.shape == c.expectedShape);
  if (c.shape != c.expectedShape) return;
  MESSAGE(dir.filename().string() << ": " << c.layers << " layers, worst error " << c.relativeError
                                  << " relative to the largest output, " << c.elementError
                                  << " relative to the element");
  CHECK(c.relativeError < 1e-4);
  CHECK(c.elementError < 1e-4);
}

}  // namespace

TEST_CASE("imported small ONNX nets match PyTorch") {
  REQUIRE(fs::is_directory(test::smallNetsDir()));
  for (const char* name : test::kSmallNets) checkNet(test::smallNetsDir() / name);
}

TEST_CASE("imported torchvision nets match PyTorch") {
  if (auto root = test::torchvisionExports())
    for (const char* name : test::kTorchvisionNets) checkNet(*root / name);
}

TEST_CASE("gpu: imported small ONNX nets on the GPU match PyTorch") {
  DLCAM_REQUIRE_GPU();
  for (const char* name : test::kSmallNets) checkNet(test::smallNetsDir() / name, Device::GPU);
}

TEST_CASE("gpu: imported torchvision nets on the GPU match PyTorch") {
  DLCAM_REQUIRE_GPU();
  if (auto root = test::torchvisionExports())
    for (const char* name : test::kTorchvisionNets) checkNet(*root / name, Device::GPU);
}
