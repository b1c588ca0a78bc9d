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
