// Softmax and log-softmax on the GPU (cuDNN) against the CPU, with gradients: channels
// contiguous ("CB", "CBT") and strided ("SCB", "SSCB", "SSSCB"), one channel, large inputs
// (the maximum must be subtracted), float32 and float64.
#include <doctest/doctest.h>

#include <vector>

#include "dlcam.h"
#include "tests/support/gpu.h"

using namespace dlcam;
using test::checkOnGpu;
using test::DeviceCheckOptions;
using test::tolerances;
using test::randomArray;
using test::randomArray32;

namespace {

// cuDNN's double exp and log differ from the CPU's in the last bits only.
const DeviceCheckOptions kTight64 = tolerances(1e-10, 1e-12);

struct SoftmaxCase {
  Shape shape;
  const char* format;
};

std::vector<SoftmaxCase> softmaxCases() {
  return {{{10, 4}, "CB"},       {{1000, 3}, "CB"},         {{6, 3, 5}, "CBT"},   {{7, 5, 2}, "SCB"},
          {{4, 5, 6, 3}, "SSCB"}, {{3, 4, 2, 5, 2}, "SSSCB"}, {{1, 4}, "CB"},       {{5, 5, 1, 2}, "SSCB"},
          {{9}, "C"}};
}

Array softmaxOf(const std::vector<Array>& in) { return softmax(in[0]); }
Array logSoftmaxOf(const std::vector<Array>& in) { return logSoftmax(in[0]); }

}  // namespace

TEST_CASE("gpu: softmax and logSoftmax over channels with gradients, float32") {
  DLCAM_REQUIRE_GPU();
  unsigned seed = 1;
  for (const SoftmaxCase& c : softmaxCases()) {
    CAPTURE(c.format);
    CAPTURE(c.shape.str());
    CHECK(checkOnGpu(softmaxOf, {randomArray32(c.shape, c.format, seed++, -3, 3)}));
    CHECK(checkOnGpu(logSoftmaxOf, {randomArray32(c.shape, c.format, seed++, -3, 3)}));
  }
}

TEST_CASE("gpu: softmax and logSoftmax over channels with gradients, float64") {
  DLCAM_REQUIRE_GPU();
  unsigned seed = 100;
  for (const SoftmaxCase& c : softmaxCases()) {
    CAPTURE(c.format);
    CAPTURE(c.shape.str());
    CHECK(checkOnGpu(softmaxOf, {randomArray(c.shape, c.format, seed++, -3, 3)}, kTight64));
    CHECK(checkOnGpu(logSoftmaxOf, {randomArray(c.shape, c.format, seed++, -3, 3)}, kTight64));
  }
}

TEST_CASE("gpu: softmax of large inputs subtracts the maximum") {
  DLCAM_REQUIRE_GPU();
  // exp(500) overflows float32 and exp(1000) float64: without the shift the result is NaN.
  CHECK(checkOnGpu(softmaxOf, {randomArray32({8, 3}, "CB", 5, 480, 520)}));
  CHECK(checkOnGpu(logSoftmaxOf, {randomArray32({8, 3}, "CB", 6, 480, 520)}));
  CHECK(checkOnGpu(softmaxOf, {randomArray({4, 4, 8, 2}, "SSCB", 7, 990, 1010)}, kTight64));
  CHECK(checkOnGpu(logSoftmaxOf, {randomArray({4, 4, 8, 2}, "SSCB", 8, 990, 1010)}, kTight64));
}

TEST_CASE("gpu: softmax of an empty batch") {
  DLCAM_REQUIRE_GPU();
  const Array x(Tensor::zeros({5, 0}, DType::Float32, Device::GPU), "CB");
  const Array y = softmax(x);
  CHECK(y.shape() == Shape{5, 0});
  CHECK(y.device() == Device::GPU);
}
