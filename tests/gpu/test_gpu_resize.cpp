// Resizing on the GPU against the CPU, with gradients: Grad-CAM's bicubic upsampling of a
// small map to the input size, shrinking with and without antialiasing, each method and
// border, different scales per dimension (the pass order), volumes ("SSSCB"), sequences
// ("CBT": the T dimension) and one S dimension ("SCB"); float32 and float64.
#include <doctest/doctest.h>

#include <vector>

#include "autodiff/resize.h"
#include "dlcam.h"
#include "kernels/resize.h"
#include "tests/support/gpu.h"

using namespace dlcam;
using test::checkOnGpu;
using test::DeviceCheckOptions;
using test::tolerances;
using test::expectSameOnGpu;
using test::randomArray;
using test::randomArray32;

namespace {

// The GPU sums the same table entries in the same order as the CPU, in double.
const DeviceCheckOptions kTight64 = tolerances(1e-10, 1e-12);

struct ResizeCase {
  Shape shape;
  const char* format;
  std::vector<int64_t> outSize;
  ResizeOptions options;
};

std::vector<ResizeCase> resizeCases() {
  using M = ResizeMethod;
  using B = ResizeBorder;
  return {
      {{7, 7, 3, 2}, "SSCB", {224, 224}, {}},                          // Grad-CAM: 7×7 map to the image
      {{7, 9, 2, 1}, "SSCB", {32, 20}, {M::Linear, true, B::Replicate}},
      {{7, 9, 2, 1}, "SSCB", {32, 20}, {M::Nearest, true, B::Replicate}},
      {{30, 24, 2, 2}, "SSCB", {11, 9}, {}},                           // shrink, antialiased
      {{30, 24, 2, 2}, "SSCB", {11, 9}, {M::Cubic, false, B::Replicate}},
      {{30, 24, 2, 2}, "SSCB", {11, 9}, {M::Linear, true, B::Symmetric}},
      {{12, 10, 3, 2}, "SSCB", {5, 25}, {M::Cubic, true, B::Symmetric}},  // one shrinks, one grows
      {{12, 10, 3, 2}, "SSCB", {12, 17}, {}},                          // one dimension unchanged
      {{5, 6, 4, 2, 2}, "SSSCB", {9, 3, 7}, {}},
      {{9, 3, 4}, "SCB", {20}, {}},
      {{3, 2, 10}, "CBT", {23}, {}},
      {{3, 2, 10}, "CBT", {4}, {M::Linear, true, B::Replicate}},
  };
}

}  // namespace

TEST_CASE("gpu: resize with gradients, float32") {
  DLCAM_REQUIRE_GPU();
  unsigned seed = 1;
  for (const ResizeCase& c : resizeCases()) {
    CAPTURE(c.format);
    CAPTURE(c.shape.str());
    const ResizeCase k = c;
    CHECK(checkOnGpu([&](const std::vector<Array>& in) { return resize(in[0], k.outSize, k.options); },
                     {randomArray32(c.shape, c.format, seed++)}));
  }
}

TEST_CASE("gpu: resize with gradients, float64") {
  DLCAM_REQUIRE_GPU();
  unsigned seed = 100;
  for (const ResizeCase& c : resizeCases()) {
    CAPTURE(c.format);
    CAPTURE(c.shape.str());
    const ResizeCase k = c;
    CHECK(checkOnGpu([&](const std::vector<Array>& in) { return resize(in[0], k.outSize, k.options); },
                     {randomArray(c.shape, c.format, seed++)}, kTight64));
  }
}

TEST_CASE("gpu: resizeAlong and its adjoint on every dimension") {
  DLCAM_REQUIRE_GPU();
  const Tensor x = randomArray({6, 5, 4, 3}, "", 200).value();
  const Tensor onGpu = x.to(Device::GPU);
  for (int dim = 0; dim < 4; ++dim) {
    CAPTURE(dim);
    const kernels::ResizeTable t = kernels::resizeTable({x.shape()[dim], 2 * x.shape()[dim] + 1});
    const Tensor y = kernels::cpu::resizeAlong(x, dim, t);
    expectSameOnGpu(kernels::resizeAlong(onGpu, dim, t), y, 1e-12, 1e-14, "resizeAlong");
    expectSameOnGpu(kernels::resizeAlongBackward(y.to(Device::GPU), dim, t), kernels::cpu::resizeAlongBackward(y, dim, t),
                    1e-12, 1e-14, "resizeAlongBackward");
  }
}
