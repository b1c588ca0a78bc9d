// GPU tests: every op run on the CPU and on the GPU, compared (kernels/dispatch.h sends the
// GPU run to kernels/cuda). Without a usable GPU each test prints a DLCAM_SKIPPED line with
// the reason and returns; ctest reports it as skipped.
//
//   TEST_CASE("gpu: conv 2-D") {
//     DLCAM_REQUIRE_GPU();
//     CHECK(checkOnGpu([](const std::vector<Array>& in) { return conv(in[0], in[1], in[2]); },
//                      {randomArray32(...), ...}));
//   }
#pragma once

#include <iostream>
#include <string>
#include <vector>

#include "dlcam.h"
#include "core/device.h"
#include "tests/support/gradcheck.h"

#define DLCAM_REQUIRE_GPU()                                                                       \
  do {                                                                                            \
    if (!::dlcam::gpuAvailable()) {                                                               \
      std::cout << "DLCAM_SKIPPED: no GPU: " << ::dlcam::gpuUnavailableReason() << "\n";          \
      return;                                                                                     \
    }                                                                                             \
  } while (0)

namespace dlcam::test {

struct DeviceCheckOptions {
  // GPU against CPU: |gpu − cpu| <= atol · max|cpu| + rtol · |cpu|, per element, for the
  // output and each gradient. The defaults suit float32 (the CPU and GPU sum in different
  // orders); float64 inputs can use tighter values. With float32 inputs the function also runs
  // in float64 on the CPU, and an element outside the tolerance passes when the GPU is at
  // least as close to that float64 value as the CPU is (the CPU's float32 rounding, not a GPU
  // error).
  double rtol = 1e-4;
  double atol = 1e-5;
  // Which inputs to differentiate against (default: all); gradients of Σ w ⊙ y with fixed
  // random weights w, as the gradient checker does.
  std::vector<bool> watch;
  bool gradients = true;
  // An op that falls back to the CPU (kernels/dispatch.h) fails the check unless allowed.
  bool allowHostFallback = false;
};

// Default options with these tolerances.
DeviceCheckOptions tolerances(double rtol, double atol);
// `options` differentiating only the inputs marked in `watch`.
DeviceCheckOptions watching(DeviceCheckOptions options, std::vector<bool> watch);

// The arrays on the GPU (copies; formats kept).
Array toGpu(const Array& x);
std::vector<Array> toGpu(const std::vector<Array>& xs);

// Runs f on the inputs and on GPU copies of them and compares outputs and gradients. Also
// checks that the GPU run's output (and gradients) are GPU arrays. Returns what failed, one line
// per failure; empty when all pass.
std::string deviceReport(const Function& f, const std::vector<Array>& inputs, const DeviceCheckOptions& options = {});
// deviceReport through a doctest CHECK. True when all pass.
bool checkOnGpu(const Function& f, const std::vector<Array>& inputs, const DeviceCheckOptions& options = {});

// max |t| over the elements (on either device).
double maxAbs(const Tensor& t);

// A GPU tensor against a CPU one, with the tolerance rule above (doctest CHECK).
bool expectSameOnGpu(const Tensor& gpu, const Tensor& cpu, double rtol, double atol, const std::string& what);

}  // namespace dlcam::test
