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
#include "tests/support/onnx_nets.h"

namespace fs = std::filesystem;
using namespace dlcam;

namespace {

struct Comparison {
  double relativeError = 0;  // max |dlcam − torch| / max |torch|
  double elementError = 0;   // max |dlcam − torch| / max(|torch|, 1e-3·max |torch|), per element
  std::vector<int64_t> shape, expectedShape;
  size_t layers = 0;
};

Comparison compareWithTorch(const fs::path& dir) {
  Network net = onnx::importNetwork((dir / "model.onnx").string());
  Tensor input = readNpy((dir / "input.npy").string()).to(DType::Float32);
  Tensor expected = readNpy((dir / "output.npy").string()).to(DType::Float64);
  Array x = onnx::fromOnnxOrder(Array(input, DimFormat::unformatted(input.rank())));
  Array y = onnx::toOnnxOrder(net.predict(x));
  Tensor got = y.value().to(DType::Float64);

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
  const double floor = std::max(1e-3 * scale, 1e-30);
  for (int64_t i = 0; i < n; ++i) {
    const double diff = std::isnan(g[i]) != std::isnan(e[i]) ? INFINITY : std::abs(g[i] - e[i]);
    worst = std::max(worst, diff);
    c.elementError = std::max(c.elementError, diff / std::max(std::abs(e[i]), floor));
  }
  c.relativeError = worst / std::max(scale, 1e-30);
  return c;
}

void checkNet(const fs::path& dir) {
  INFO("net: ", dir.string());
  Comparison c;
  try {
    c = compareWithTorch(dir);
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
