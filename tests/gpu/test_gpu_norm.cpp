// Batch and layer normalisation on the GPU against the CPU: outputs and the gradients of x,
// offset and scale on every layout the functions take (the channel view's inner = 1 and
// inner > 1, one and many values per channel, few and many channels), each subset of watched
// inputs (which decides what the forward keeps and the backward computes), both layer-norm
// groupings, the batch statistics returned for running averages, the layer's running update,
// and the empty cases.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "dlcam.h"
#include "kernels/norm.h"
#include "layers/norm_layers.h"
#include "tests/layers/layer_test_util.h"
#include "tests/support/gpu.h"

using namespace dlcam;
using test::checkOnGpu;
using test::DeviceCheckOptions;
using test::watching;
using test::randomArray;
using test::randomArray32;

namespace {

// float64 differs from the CPU only in the order of the sums (and the GPU sums in double).
DeviceCheckOptions tight64() { return test::tolerances(1e-10, 1e-10); }
const DeviceCheckOptions kTight64 = tight64();

struct Layout {
  Shape shape;
  const char* format;
};

// Channel views: inner > 1 (SSCB, SSSCB, SCB), inner = 1 (CB, CBT), many values per channel
// (several chunks per channel sum), many channels with few values, and C >= 32 with inner = 1.
std::vector<Layout> layouts() {
  return {{{5, 4, 3, 2}, "SSCB"}, {{3, 4, 2, 3, 2}, "SSSCB"}, {{9, 3, 4}, "SCB"},     {{3, 6}, "CB"},
          {{3, 2, 5}, "CBT"},     {{40, 40, 3, 4}, "SSCB"},   {{300, 8}, "CB"},         {{40, 3, 2}, "CBT"},
          {{2, 2, 70, 3}, "SSCB"}};
}

int64_t channelsOf(const Layout& l) { return l.shape[DimFormat(l.format).find('C')]; }

// The batchNorm inputs x, offset, scale, mean, variance for a layout.
std::vector<Array> batchNormInputs(const Layout& l, unsigned seed, bool float64) {
  const int64_t c = channelsOf(l);
  auto r = [&](const Shape& s, const char* f, unsigned k, double lo, double hi) {
    return float64 ? randomArray(s, f, seed + k, lo, hi) : randomArray32(s, f, seed + k, lo, hi);
  };
  return {r(l.shape, l.format, 0, -2, 3), r({c}, "", 1, -1, 1), r({c}, "", 2, 0.5, 2), r({c}, "", 3, -1, 1),
          r({c}, "", 4, 0.2, 2)};
}

Array bnInference(const std::vector<Array>& in) { return batchNorm(in[0], in[1], in[2], in[3], in[4], {1e-3}); }
Array bnTrain(const std::vector<Array>& in) { return batchNormTrain(in[0], in[1], in[2], {1e-3}).y; }

// Every subset of x, offset and scale (then false for the rest): what is watched decides
// whether x̂ is kept and which gradients the backward kernel computes.
std::vector<std::vector<bool>> watchSubsets(size_t inputs) {
  std::vector<std::vector<bool>> out;
  for (int mask = 1; mask < 8; ++mask) {
    std::vector<bool> w(inputs, false);
    for (int k = 0; k < 3; ++k) w[static_cast<size_t>(k)] = (mask >> k) & 1;
    out.push_back(w);
  }
  return out;
}

// x, offset and scale watched; mean and variance are constants.
const std::vector<bool> kParameters = {true, true, true, false, false};

}  // namespace

TEST_CASE("gpu: batchNorm inference on every layout, gradients of x, offset and scale, float32") {
  DLCAM_REQUIRE_GPU();
  unsigned seed = 1;
  for (const Layout& l : layouts()) {
    CAPTURE(l.format);
    CAPTURE(l.shape.str());
    CHECK(checkOnGpu(bnInference, batchNormInputs(l, seed, false), watching({}, kParameters)));
    seed += 10;
  }
}

TEST_CASE("gpu: batchNorm inference, float64 tight") {
  DLCAM_REQUIRE_GPU();
  unsigned seed = 101;
  for (const Layout& l : layouts()) {
    CAPTURE(l.format);
    CAPTURE(l.shape.str());
    CHECK(checkOnGpu(bnInference, batchNormInputs(l, seed, true), watching(kTight64, kParameters)));
    seed += 10;
  }
}

TEST_CASE("gpu: batchNorm inference and training with each subset of inputs watched") {
  DLCAM_REQUIRE_GPU();
  for (const Layout& l : {Layout{{5, 4, 3, 2}, "SSCB"}, Layout{{4, 6}, "CB"}}) {
    CAPTURE(l.format);
    for (const std::vector<bool>& w : watchSubsets(5)) {
      CAPTURE(w[0]);
      CAPTURE(w[1]);
      CAPTURE(w[2]);
      CHECK(checkOnGpu(bnInference, batchNormInputs(l, 201, false), watching({}, w)));
      CHECK(checkOnGpu(bnTrain, batchNormInputs(l, 202, true), watching(kTight64, w)));
    }
  }
  // Nothing watched: the forward alone (y = a·x + b without x̂).
  DeviceCheckOptions forwardOnly;
  forwardOnly.gradients = false;
  CHECK(checkOnGpu(bnInference, batchNormInputs({{5, 4, 3, 2}, "SSCB"}, 203, false), forwardOnly));
}

TEST_CASE("gpu: batchNormTrain on every layout, gradients through the batch statistics, float32") {
  DLCAM_REQUIRE_GPU();
  unsigned seed = 301;
  for (const Layout& l : layouts()) {
    CAPTURE(l.format);
    CAPTURE(l.shape.str());
    CHECK(checkOnGpu(bnTrain, batchNormInputs(l, seed, false), watching({}, kParameters)));
    seed += 10;
  }
}

TEST_CASE("gpu: batchNormTrain, float64 tight") {
  DLCAM_REQUIRE_GPU();
  unsigned seed = 401;
  for (const Layout& l : layouts()) {
    CAPTURE(l.format);
    CAPTURE(l.shape.str());
    CHECK(checkOnGpu(bnTrain, batchNormInputs(l, seed, true), watching(kTight64, kParameters)));
    seed += 10;
  }
}

TEST_CASE("gpu: batchNormTrain returns the batch mean and unbiased variance of the CPU") {
  DLCAM_REQUIRE_GPU();
  for (bool float64 : {false, true}) {
    for (const Layout& l : layouts()) {
      CAPTURE(float64);
      CAPTURE(l.format);
      CAPTURE(l.shape.str());
      // A large common offset: the two-pass variance must not lose its digits.
      std::vector<Array> in = batchNormInputs(l, 501, float64);
      in[0] = add(in[0], 100.0);
      const BatchNormTrainResult cpu = batchNormTrain(in[0], in[1], in[2]);
      const BatchNormTrainResult gpu = batchNormTrain(test::toGpu(in[0]), test::toGpu(in[1]), test::toGpu(in[2]));
      const double tol = float64 ? 1e-10 : 1e-4;
      test::expectSameOnGpu(gpu.y.value(), cpu.y.value(), tol, tol, "y");
      test::expectSameOnGpu(gpu.mean, cpu.mean, tol, tol, "mean");
      test::expectSameOnGpu(gpu.variance, cpu.variance, tol, tol, "variance");
    }
  }
}

TEST_CASE("gpu: the batch-norm kernels' results and gradients, field by field") {
  DLCAM_REQUIRE_GPU();
  namespace k = kernels;
  const Tensor x = randomArray({6, 5, 4, 3}, "", 601).value();
  const Tensor offset = randomArray({4}, "", 602).value(), scale = randomArray({4}, "", 603, 0.5, 2).value();
  const Tensor gy = randomArray({6, 5, 4, 3}, "", 604).value();
  const k::ChannelGeometry g = k::channelGeometry(x.shape(), 2);
  auto gpu = [](const Tensor& t) { return t.to(Device::GPU); };
  const k::BatchNormResult c = k::batchNormTraining(x, offset, scale, {g, 1e-5, true});
  const k::BatchNormResult d = k::batchNormTraining(gpu(x), gpu(offset), gpu(scale), {g, 1e-5, true});
  for (auto [got, want, what] : {std::tuple{d.y, c.y, "y"}, std::tuple{d.normalized, c.normalized, "normalized"},
                                 std::tuple{d.invStd, c.invStd, "invStd"}, std::tuple{d.mean, c.mean, "mean"},
                                 std::tuple{d.variance, c.variance, "variance"}})
    test::expectSameOnGpu(got, want, 1e-12, 1e-12, what);
  for (bool training : {false, true}) {
    const k::NormGradients cg = k::batchNormBackward(gy, c.normalized, c.invStd, scale, {g, training, {}});
    const k::NormGradients dg = k::batchNormBackward(gpu(gy), d.normalized, d.invStd, gpu(scale), {g, training, {}});
    test::expectSameOnGpu(dg.x, cg.x, 1e-10, 1e-12, training ? "dx (training)" : "dx");
    test::expectSameOnGpu(dg.offset, cg.offset, 1e-12, 1e-12, "d offset");
    test::expectSameOnGpu(dg.scale, cg.scale, 1e-12, 1e-12, "d scale");
  }
}

TEST_CASE("gpu: layerNorm over channels and over spatial and channels, float32") {
  DLCAM_REQUIRE_GPU();
  unsigned seed = 701;
  for (const Layout& l : layouts()) {
    for (LayerNormDims dims : {LayerNormDims::Channel, LayerNormDims::SpatialChannel, LayerNormDims::Auto}) {
      CAPTURE(l.format);
      CAPTURE(l.shape.str());
      CAPTURE(static_cast<int>(dims));
      const int64_t c = channelsOf(l);
      auto f = [dims](const std::vector<Array>& in) { return layerNorm(in[0], in[1], in[2], {1e-4, dims}); };
      CHECK(checkOnGpu(f, {randomArray32(l.shape, l.format, seed, -2, 3), randomArray32({c}, "", seed + 1),
                           randomArray32({c}, "", seed + 2, 0.5, 2)}));
      seed += 3;
    }
  }
}

TEST_CASE("gpu: layerNorm, float64 tight, and with each subset of inputs watched") {
  DLCAM_REQUIRE_GPU();
  unsigned seed = 801;
  for (const Layout& l : layouts()) {
    for (LayerNormDims dims : {LayerNormDims::Channel, LayerNormDims::SpatialChannel}) {
      CAPTURE(l.format);
      CAPTURE(l.shape.str());
      CAPTURE(static_cast<int>(dims));
      const int64_t c = channelsOf(l);
      auto f = [dims](const std::vector<Array>& in) { return layerNorm(in[0], in[1], in[2], {1e-4, dims}); };
      const std::vector<Array> in = {randomArray(l.shape, l.format, seed, -2, 3), randomArray({c}, "", seed + 1),
                                     randomArray({c}, "", seed + 2, 0.5, 2)};
      CHECK(checkOnGpu(f, in, kTight64));
      if (l.shape.numel() < 1000)
        for (const std::vector<bool>& w : watchSubsets(3)) CHECK(checkOnGpu(f, in, watching(kTight64, w)));
      seed += 3;
    }
  }
}

TEST_CASE("gpu: layerNorm on large groups and many groups") {
  DLCAM_REQUIRE_GPU();
  // Over spatial and channels: groups of 20·20·8 values, many per thread of the block.
  // Over channels: 512 channels contiguous (a warp per group), and 12,000 groups of 3 channels.
  for (Layout l : {Layout{{20, 20, 8, 3}, "SSCB"}, Layout{{512, 4, 6}, "CBT"}, Layout{{60, 50, 3, 4}, "SSCB"}}) {
    CAPTURE(l.format);
    const int64_t c = channelsOf(l);
    for (LayerNormDims dims : {LayerNormDims::Channel, LayerNormDims::SpatialChannel}) {
      auto f = [dims](const std::vector<Array>& in) { return layerNorm(in[0], in[1], in[2], {1e-5, dims}); };
      CHECK(checkOnGpu(f, {randomArray32(l.shape, l.format, 901, -2, 3), randomArray32({c}, "", 902),
                           randomArray32({c}, "", 903, 0.5, 2)}));
    }
  }
}

TEST_CASE("gpu: batch normalization layer in training, running statistics on the state's device") {
  DLCAM_REQUIRE_GPU();
  auto options = [](bool gpu) {
    auto on = [gpu](const Array& a) { return gpu ? test::toGpu(a) : a; };
    return BatchNormalizationOptions{.offset = on(randomArray32({3}, "", 1001)),
                                     .scale = on(randomArray32({1, 1, 3}, "", 1002, 0.5, 2)),
                                     .trainedMean = on(randomArray32({3}, "", 1003)),
                                     .trainedVariance = on(randomArray32({3}, "", 1004, 0.5, 2)),
                                     .epsilon = 1e-3,
                                     .meanDecay = 0.2,
                                     .varianceDecay = 0.3};
  };
  const BatchNormalizationLayer cpuLayer("bn", options(false)), gpuLayer("bn", options(true));
  const Array x = randomArray32({5, 4, 3, 2}, "SSCB", 1005);
  ForwardContext onCpu, onGpu, mixed;
  onCpu.training = onGpu.training = mixed.training = true;
  const Array expected = test::forwardOf(cpuLayer, x, onCpu);
  const Array got = test::forwardOf(gpuLayer, test::toGpu(x), onGpu);
  test::expectSameOnGpu(got.value(), expected.value(), 1e-4, 1e-5, "y");
  REQUIRE(onGpu.stateUpdates.size() == 2);
  for (size_t k = 0; k < 2; ++k) {
    CAPTURE(onCpu.stateUpdates[k].state);
    CHECK(onGpu.stateUpdates[k].state == onCpu.stateUpdates[k].state);
    CHECK(onGpu.stateUpdates[k].value.shape() == onCpu.stateUpdates[k].value.shape());
    test::expectSameOnGpu(onGpu.stateUpdates[k].value, onCpu.stateUpdates[k].value, 1e-5, 1e-6, "running statistic");
  }
  // States on the CPU and x on the GPU: the updates stay with the states.
  test::forwardOf(cpuLayer, test::toGpu(x), mixed);
  REQUIRE(mixed.stateUpdates.size() == 2);
  for (size_t k = 0; k < 2; ++k) {
    CHECK(mixed.stateUpdates[k].value.device() == Device::CPU);
    test::expectClose(mixed.stateUpdates[k].value, onCpu.stateUpdates[k].value, 1e-5, 1e-6, "running statistic");
  }
}

TEST_CASE("gpu: batchNorm and layerNorm on empty arrays") {
  DLCAM_REQUIRE_GPU();
  const Array x(Tensor::zeros({5, 7, 3, 0}, DType::Float32, Device::GPU), "SSCB");
  const Array p(Tensor::full({3}, 1.0, DType::Float32, Device::GPU), "C");
  CHECK(batchNorm(x, p, p, p, p).shape() == x.shape());
  CHECK(batchNorm(x, p, p, p, p).device() == Device::GPU);
  CHECK(layerNorm(x, p, p).numel() == 0);
  CHECK(layerNorm(x, p, p, {1e-5, LayerNormDims::Channel}).numel() == 0);
  const Array none(Tensor::zeros({4, 0}, DType::Float32, Device::GPU), "BC");
  const Array empty(Tensor::zeros({0}, DType::Float32, Device::GPU), "C");
  const BatchNormTrainResult r = batchNormTrain(none, empty, empty);
  CHECK(r.y.numel() == 0);
  CHECK(r.mean.numel() == 0);
  CHECK(r.variance.numel() == 0);
}
