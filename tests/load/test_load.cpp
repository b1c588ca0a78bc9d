// Load: 10,000 Grad-CAM explanations in one process leave memory where it was. Tensor memory
// is counted exactly (core/limits.h: every tensor's bytes, live) and must come back to the
// same count after every call; the process's resident memory may not grow between call 1,000
// and call 10,000 (beyond 4 MiB: an allocator's noise, not a 400-byte-per-call leak). The
// command line's batch path, `dlcam evaluate` over a manifest of 10,000 samples, is measured
// the same way by tests/load/evaluate_load.py (a ctest test).
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "core/limits.h"
#include "io/onnx/proto.h"
#include "gradcam/gradcam.h"
#include "io/npy.h"
#include "io/onnx/importer.h"
#include "io/onnx/layout.h"
#include "tests/support/onnx_nets.h"

namespace {

using namespace dlcam;

// Resident memory of this process in bytes (/proc/self/statm: pages).
int64_t residentBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t total = 0, resident = 0;
  statm >> total >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;  // its quarantine holds freed memory: RSS is not flat
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

}  // namespace

TEST_CASE("load: 10,000 gradCAM calls in one process hold no memory afterwards") {
  // grouped_depthwise: 33×29×4 images → grouped and depthwise convolutions → 5 classes, two
  // observations per call; classes and upsampling vary from call to call.
  const auto dir = test::smallNetsDir() / "grouped_depthwise";
  const Network net = onnx::importNetwork((dir / "model.onnx").string());
  const Array X = onnx::fromOnnxOrder(Array(readNpy((dir / "input.npy").string())));
  const Upsampling upsampling[] = {Upsampling::Bicubic, Upsampling::Nearest, Upsampling::None};
  auto explain = [&](int i) {
    const GradCamResult r = gradCAM(net, X, i % 5, {.upsampling = upsampling[i % 3],
                                                    .executionEnvironment = ExecutionEnvironment::Cpu});
    REQUIRE(r.map.numel() > 0);
  };

  for (int i = 0; i < 100; ++i) explain(i);  // warm up: caches and the allocator's pools
  const int64_t tensors = tensorBytesInUse(Device::CPU);
  int64_t residentAt1000 = 0;
  int64_t leakedTensorBytes = 0;
  for (int i = 0; i < 10'000; ++i) {
    explain(i);
    leakedTensorBytes = std::max(leakedTensorBytes, tensorBytesInUse(Device::CPU) - tensors);
    if (i == 999) residentAt1000 = residentBytes();
  }
  const int64_t growth = residentBytes() - residentAt1000;
  MESSAGE("10,000 gradCAM calls: tensor bytes in use ", tensors, " before, ", tensorBytesInUse(Device::CPU),
          " after; resident memory grew by ", growth, " bytes between call 1,000 and call 10,000");
  CHECK(leakedTensorBytes == 0);
  CHECK(tensorBytesInUse(Device::CPU) == tensors);
  if (!kAddressSanitizer) CHECK(growth < 4 * 1024 * 1024);
}

TEST_CASE("load: a 20,000-layer ONNX chain imports, predicts and explains without deep recursion") {
  // x (1×3×8×8) → 20,000 ReLUs → global average pooling → flatten → y (1×3). Import, the
  // forward pass, the tape's backward pass (from the first ReLU: 20,000 recorded ops) and
  // freeing the tape must all walk the chain without recursing once per layer, or this
  // overflows the stack (AddressSanitizer's larger frames make that sooner).
  constexpr int kLayers = 20'000;
  onnx::Model m;
  m.irVersion = 8;
  m.opsets = {{"", 17}};
  m.graph.name = "chain";
  std::string previous = "x";
  for (int k = 0; k < kLayers; ++k) {
    onnx::Node relu;
    relu.name = "relu" + std::to_string(k);
    relu.opType = "Relu";
    relu.inputs = {previous};
    relu.outputs = {previous = "r" + std::to_string(k)};
    m.graph.nodes.push_back(relu);
  }
  onnx::Node gap, flatten;
  gap.name = "gap", gap.opType = "GlobalAveragePool", gap.inputs = {previous}, gap.outputs = {"g"};
  flatten.name = "flatten", flatten.opType = "Flatten", flatten.inputs = {"g"}, flatten.outputs = {"y"};
  m.graph.nodes.push_back(gap);
  m.graph.nodes.push_back(flatten);
  onnx::ValueInfo x{"x", onnx::DataType::Float, true, {{1, ""}, {3, ""}, {8, ""}, {8, ""}}};
  onnx::ValueInfo y{"y", onnx::DataType::Float, true, {{1, ""}, {3, ""}}};
  m.graph.inputs = {x};
  m.graph.outputs = {y};

  const Network net = onnx::importNetwork(onnx::parseModel(
      [&] {
        const std::string bytes = onnx::serializeModel(m);
        return std::vector<uint8_t>(bytes.begin(), bytes.end());
      }()));
  CHECK(net.numLayers() == kLayers + 3);  // input, the ReLUs, pooling, flatten
  std::vector<float> values(8 * 8 * 3);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 7) - 2.5f;
  const Array X = Array::fromValues<float>({8, 8, 3}, values, "SSC");
  const GradCamResult r = gradCAM(net, X, 1, {.featureLayer = "relu0", .upsampling = Upsampling::None,
                                              .executionEnvironment = ExecutionEnvironment::Cpu});
  // The score is channel 1's mean over the 64 positions of ReLU(x). Its gradient with respect
  // to A = ReLU(x) (the first ReLU) is 1/64 where A_1 > 0 and 0 elsewhere, so alpha_1 is the
  // number of positive A_1 over 64², the other alphas are 0, and the map is alpha_1·A_1.
  double alpha = 0;
  for (int p = 0; p < 64; ++p) alpha += values[static_cast<size_t>(64 + p)] > 0 ? 1.0 / 64 / 64 : 0.0;
  for (int p = 0; p < 64; ++p) {
    const double a = std::max(0.0f, values[static_cast<size_t>(64 + p)]);
    CHECK(r.map.data<float>()[p] == doctest::Approx(alpha * a).epsilon(1e-5));
  }
}
