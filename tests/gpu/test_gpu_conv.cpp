// Convolution on the GPU (cuDNN, kernels/cuda/conv.cu) against the CPU kernels: outputs and
// the gradients with respect to x, weights and bias, in float32 and float64.
#include <doctest/doctest.h>

#include <limits>

#include "autodiff/conv.h"
#include "dlcam.h"
#include "tests/support/gpu.h"

using namespace dlcam;
using dlcam::test::checkOnGpu;
using dlcam::test::DeviceCheckOptions;
using dlcam::test::expectSameOnGpu;
using dlcam::test::randomArray;
using dlcam::test::randomArray32;

namespace {

struct Case {
  const char* name;
  Shape x;
  const char* format;
  Shape weights;  // k_1 × … × k_d × C/groups × F
  bool bias;
  ConvOptions options;
};

DeviceCheckOptions float64Tolerances() { return test::tolerances(1e-10, 1e-12); }

// The case in float32 (default tolerances) and float64 (tight), all inputs differentiated
// unless `watch` says otherwise.
void checkCase(const Case& c, unsigned seed, std::vector<bool> watch = {}) {
  CAPTURE(c.name);
  for (bool f64 : {false, true}) {
    CAPTURE(f64);
    auto make = f64 ? randomArray : randomArray32;
    const int64_t filters = c.weights[c.weights.rank() - 1];
    std::vector<Array> in = {make(c.x, c.format, seed, -1.0, 1.0), make(c.weights, "", seed + 1, -1.0, 1.0)};
    if (c.bias) in.push_back(make(Shape{filters}, "", seed + 2, -1.0, 1.0));
    DeviceCheckOptions o = f64 ? float64Tolerances() : DeviceCheckOptions{};
    o.watch = watch;
    const ConvOptions options = c.options;
    checkOnGpu([options](const std::vector<Array>& v) { return conv(v[0], v[1], v.size() > 2 ? v[2] : Array(), options); },
               in, o);
  }
}

ConvOptions padded(std::vector<int64_t> before, std::vector<int64_t> after) {
  return {.padding = ConvPadding::explicitPad(std::move(before), std::move(after))};
}

}  // namespace

TEST_CASE("gpu: conv 1-D, SCB and sequences CBT and CT") {
  DLCAM_REQUIRE_GPU();
  checkCase({"SCB, padding 1/1, bias", {10, 3, 2}, "SCB", {3, 3, 4}, true, padded({1}, {1})}, 10);
  checkCase({"SCB, stride 2, dilation 2, padding 2/1 (asymmetric)", {11, 2, 3}, "SCB", {3, 2, 3}, true,
             {.stride = {2}, .dilation = {2}, .padding = ConvPadding::explicitPad({2}, {1})}},
            20);
  checkCase({"SCB, padding larger than the kernel", {6, 2, 3}, "SCB", {2, 2, 3}, true, padded({3}, {3})}, 30);
  checkCase({"CBT, causal, dilation 2, no bias", {3, 2, 9}, "CBT", {3, 3, 4}, false,
             {.dilation = {2}, .padding = ConvPadding::causal()}},
            40);
  checkCase({"CT (no batch), 'same' with an even kernel", {3, 8}, "CT", {4, 3, 2}, true,
             {.padding = ConvPadding::same()}},
            50);
}

TEST_CASE("gpu: conv 2-D, padding, stride, dilation, batch") {
  DLCAM_REQUIRE_GPU();
  checkCase({"padding 1, bias", {7, 6, 3, 2}, "SSCB", {3, 3, 3, 5}, true, padded({1}, {1})}, 100);
  checkCase({"no padding, no bias, batch 3", {7, 6, 3, 3}, "SSCB", {3, 2, 3, 4}, false, {}}, 110);
  checkCase({"stride [2 1], dilation [1 2], padding [1 0]/[1 2]", {7, 6, 2, 2}, "SSCB", {3, 2, 2, 3}, true,
             {.stride = {2, 1}, .dilation = {1, 2}, .padding = ConvPadding::explicitPad({1, 0}, {1, 2})}},
            120);
  checkCase({"stride 3 > kernel 2: inputs no window reads", {9, 9, 2, 2}, "SSCB", {2, 2, 2, 3}, true,
             {.stride = {3}}},
            130);
  checkCase({"'same' with an even kernel, stride 2", {8, 7, 3, 2}, "SSCB", {4, 2, 3, 4}, true,
             {.stride = {2}, .padding = ConvPadding::same()}},
            140);
  checkCase({"no B dim", {6, 5, 3}, "SSC", {3, 3, 3, 2}, true, padded({1}, {0})}, 150);
  checkCase({"larger: 32x32, 16 -> 32 channels, batch 4", {32, 32, 16, 4}, "SSCB", {3, 3, 16, 32}, true,
             padded({1}, {1})},
            160);
}

TEST_CASE("gpu: conv 2-D grouped and depthwise") {
  DLCAM_REQUIRE_GPU();
  checkCase({"groups 2, asymmetric padding", {7, 6, 4, 2}, "SSCB", {3, 2, 2, 4}, true,
             {.stride = {2, 1}, .padding = ConvPadding::explicitPad({1, 0}, {0, 1}), .groups = 2}},
            200);
  checkCase({"depthwise, multiplier 2, 'same', stride 2", {9, 8, 3, 2}, "SSCB", {3, 3, 1, 6}, true,
             {.stride = {2}, .padding = ConvPadding::same(), .groups = 3}},
            210);
  checkCase({"grouped pointwise 1x1", {5, 4, 6, 3}, "SSCB", {1, 1, 2, 9}, false, {.groups = 3}}, 220);
  checkCase({"depthwise, dilation 2, padding 2", {10, 9, 8, 2}, "SSCB", {3, 3, 1, 8}, true,
             {.dilation = {2}, .padding = ConvPadding::explicitPad({2}, {2}), .groups = 8}},
            230);
}

TEST_CASE("gpu: conv 3-D") {
  DLCAM_REQUIRE_GPU();
  checkCase({"stride, dilation, padding [1 0 1]/[0 1 0]", {5, 4, 3, 2, 2}, "SSSCB", {2, 2, 2, 2, 3}, true,
             {.stride = {2, 1, 1}, .dilation = {1, 2, 1}, .padding = ConvPadding::explicitPad({1, 0, 1}, {0, 1, 0})}},
            300);
  checkCase({"'same', groups 2", {6, 5, 4, 4, 2}, "SSSCB", {3, 3, 3, 2, 4}, true,
             {.padding = ConvPadding::same(), .groups = 2}},
            310);
  checkCase({"symmetric padding, no bias", {6, 6, 5, 3, 2}, "SSSCB", {3, 3, 3, 3, 2}, false, padded({1}, {1})}, 320);
}

TEST_CASE("gpu: conv gradients when only some inputs are watched") {
  DLCAM_REQUIRE_GPU();
  const Case c{"stride [2 1], asymmetric padding, groups 2", {7, 6, 4, 2}, "SSCB", {3, 3, 2, 4}, true,
               {.stride = {2, 1}, .padding = ConvPadding::explicitPad({1, 0}, {0, 1}), .groups = 2}};
  checkCase(c, 400, {true, false, false});
  checkCase(c, 410, {false, true, false});
  checkCase(c, 420, {false, false, true});
}

TEST_CASE("gpu: conv with an empty batch or no channels") {
  DLCAM_REQUIRE_GPU();
  checkCase({"batch 0", {6, 5, 3, 0}, "SSCB", {3, 3, 3, 2}, true, padded({1}, {1})}, 500);
  // No channels: the output is the bias, and its gradient the only nonzero one.
  checkCase({"C = 0", {6, 5, 0, 2}, "SSCB", {3, 3, 0, 2}, true, {}}, 510);
}

TEST_CASE("gpu: conv gives the same result on every run") {
  DLCAM_REQUIRE_GPU();
  // cuDNN's deterministic algorithms are preferred, so repeated runs (and training) agree bit
  // for bit.
  const ConvOptions o{.stride = {1}, .padding = ConvPadding::explicitPad({1}, {1})};
  const Array x = test::toGpu(randomArray32({16, 16, 8, 4}, "SSCB", 600));
  const Array w = test::toGpu(randomArray32({3, 3, 8, 16}, "", 601));
  auto run = [&] {
    Tape tape;
    Array xw = x, ww = w;
    tape.watch(xw);
    tape.watch(ww);
    Array y = conv(xw, ww, Array(), o);
    std::vector<Array> g = tape.gradient(sum(multiply(y, y)), {xw, ww});
    return std::vector<Tensor>{y.value().to(Device::CPU), g[0].value().to(Device::CPU), g[1].value().to(Device::CPU)};
  };
  const std::vector<Tensor> first = run(), second = run();
  expectSameOnGpu(second[0].to(Device::GPU), first[0], 0, 0, "output");
  expectSameOnGpu(second[1].to(Device::GPU), first[1], 0, 0, "gradient of x");
  expectSameOnGpu(second[2].to(Device::GPU), first[2], 0, 0, "gradient of the weights");
}
