// dlcam against PyTorch, an independent implementation: forward outputs and gradients of
// the ops whose conventions are easy to get wrong (padding, ceil_mode, pooling divisors,
// variance bias, normalised dims, flattening order). The reference values were computed by
// tests/reference/make_torch_reference.py in float64 and committed, so these tests need
// neither Python nor torch.
//
// For each fixture case: dlcam runs the op in float64 on the same inputs; its output must match
// PyTorch's, and the gradients of s = sum(out ⊙ w), with the script's weights w, must match
// PyTorch's autograd gradients for every differentiable input. Both sides compute in float64,
// so the tolerances are tight.
#include <doctest/doctest.h>

#include <filesystem>
#include <functional>
#include <numeric>
#include <string>
#include <tuple>
#include <vector>

#include "dlcam.h"
#include "kernels/cpu/layout.h"
#include "tests/support/fixture.h"
#include "tests/support/gradcheck.h"

using namespace dlcam;
using dlcam::test::expectClose;
using dlcam::test::Fixture;
using dlcam::test::FixtureCase;
using dlcam::test::FixtureTensor;

namespace {

constexpr double kRtol = 1e-10;
constexpr double kAtol = 1e-12;

const Fixture& fixture() {
  // This file is tests/autodiff/<name>.cpp; the fixture is tests/reference/torch_reference.txt.
  static const Fixture f = Fixture::read(
      (std::filesystem::path(__FILE__).parent_path().parent_path() / "reference" / "torch_reference.txt").string());
  return f;
}

// ---- PyTorch layout → dlcam layout: the one place the mapping lives ----------------------
//
// PyTorch stores tensors row-major (last dim fastest), dlcam column-major (first dim fastest).
// A row-major d0×…×dk block is, untouched, the column-major dk×…×d0 block
// (FixtureTensor::columnMajor()). One permute then gives dlcam's order:
//   images   (N, C, S1…Sd) → (Sd…S1, C, N) → permute (d−1 … 0, d, d+1) → S1…Sd×C×N, "SSCB"/"SSSCB"
//   weights  (F, C/g, k1…kd) → the same permutation → k1…kd × C/g × F, MATLAB's layout
//   sequences (N, C, L) → (L, C, N) → permute (1, 2, 0) → C×N×L, "CBT"
//   batch-first sequences (N, L, C) → (C, L, N) → permute (0, 2, 1) → C×N×L, "CBT"
//   matrices (N, C) → (C, N), "CB", no permute; vectors unchanged.
// The spatial dims keep PyTorch's order (S1 = H, or D in 3-D), so per-dim options such as
// stride (sH, sW) are dlcam's in the same order. (F.pad lists its pads from the LAST dim; the
// script stores pad_before / pad_after in dim order.)
using Convert = std::function<Tensor(const FixtureTensor&)>;

Convert permuted(std::vector<int> order) {
  return [order](const FixtureTensor& t) {
    Tensor c = t.columnMajor();
    return order.empty() ? c : kernels::cpu::permute(c, order);
  };
}
// (N, C, S1…Sd) or (F, C/g, k1…kd) with d spatial dims.
Convert image(int d) {
  std::vector<int> order;
  for (int i = d - 1; i >= 0; --i) order.push_back(i);
  order.push_back(d);
  order.push_back(d + 1);
  return permuted(order);
}
const Convert kAsIs = permuted({});
const Convert kSequence = permuted({1, 2, 0});
const Convert kBatchFirstSequence = permuted({0, 2, 1});

struct Input {
  std::string name;     // in the fixture; its gradient is "grad_" + name
  Convert convert;
  std::string format;   // empty: unformatted
};

using Function = std::function<Array(const std::vector<Array>&)>;

// Forward against "out" (untraced and traced), then every input's gradient of sum(out ⊙ w)
// against "grad_<name>".
void checkAgainstTorch(const FixtureCase& c, const std::vector<Input>& inputs, const Convert& output,
                       const Function& f) {
  CAPTURE(c.name());
  std::vector<Array> xs;
  for (const Input& in : inputs) {
    Tensor t = in.convert(c[in.name]);
    xs.push_back(in.format.empty() ? Array(t) : Array(t, in.format));
  }
  const Tensor expected = output(c["out"]);
  expectClose(f(xs).value(), expected, kRtol, kAtol, c.name() + ": forward");

  Tape tape;
  for (Array& x : xs) tape.watch(x);
  Array y = f(xs);
  expectClose(y.value(), expected, kRtol, kAtol, c.name() + ": forward while recording");
  Array s = sum(multiply(y, Array(output(c["w"]), y.format())));
  std::vector<Array> grads = tape.gradient(s, xs);
  for (size_t k = 0; k < inputs.size(); ++k)
    expectClose(grads[k].value(), inputs[k].convert(c["grad_" + inputs[k].name]), kRtol, kAtol,
                c.name() + ": gradient of " + inputs[k].name);
}

Array vectorOf(const FixtureCase& c, const std::string& name) { return Array(c[name].columnMajor()); }

}  // namespace

TEST_CASE("PyTorch reference: the fixture reader and the NCHW to SSCB mapping") {
  const Fixture& f = fixture();
  CHECK(f.size() == 25);
  // Row-major (N=2, C=3, H=2, W=4) holding its own row-major index: element (n, c, h, w) is
  // ((n·3 + c)·2 + h)·4 + w, and must land at dlcam's (h, w, c, n).
  FixtureTensor t{{2, 3, 2, 4}, std::vector<double>(48)};
  std::iota(t.values.begin(), t.values.end(), 0.0);
  Tensor x = image(2)(t);
  REQUIRE(x.shape() == Shape{2, 4, 3, 2});
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t h = 0; h < 2; ++h)
        for (int64_t w = 0; w < 4; ++w)
          CHECK(x.at(h + 2 * (w + 4 * (c + 3 * n))) == static_cast<double>(((n * 3 + c) * 2 + h) * 4 + w));
  // (N=2, C=3, L=4) to "CBT": element (n, c, l) lands at (c, n, l).
  FixtureTensor s{{2, 3, 4}, std::vector<double>(24)};
  std::iota(s.values.begin(), s.values.end(), 0.0);
  Tensor q = kSequence(s);
  REQUIRE(q.shape() == Shape{3, 2, 4});
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t l = 0; l < 4; ++l) CHECK(q.at(c + 3 * (n + 2 * l)) == static_cast<double>((n * 3 + c) * 4 + l));
  CHECK_THROWS_AS(f["no such case"], Error);
  CHECK_THROWS_AS(f["conv3d"]["no such tensor"], Error);
  CHECK_THROWS_AS(Fixture::read("/nonexistent/fixture.txt"), Error);
}

TEST_CASE("PyTorch reference: convolution 1-D 2-D 3-D, grouped, depthwise same, causal") {
  const Fixture& f = fixture();
  {
    const FixtureCase& c = f["conv2d_grouped"];
    ConvOptions o{.stride = c["opt_stride"].ints(),
                  .dilation = c["opt_dilation"].ints(),
                  .padding = ConvPadding::explicitPad(c["opt_pad_before"].ints(), c["opt_pad_after"].ints()),
                  .groups = c["opt_groups"].ints()[0]};
    checkAgainstTorch(c, {{"x", image(2), "SSCB"}, {"weight", image(2), ""}, {"bias", kAsIs, ""}}, image(2),
                      [&](const std::vector<Array>& in) { return conv(in[0], in[1], in[2], o); });
  }
  {
    const FixtureCase& c = f["conv2d_depthwise_same"];
    ConvOptions o{.dilation = c["opt_dilation"].ints(), .padding = ConvPadding::same(), .groups = c["opt_groups"].ints()[0]};
    checkAgainstTorch(c, {{"x", image(2), "SSCB"}, {"weight", image(2), ""}, {"bias", kAsIs, ""}}, image(2),
                      [&](const std::vector<Array>& in) { return conv(in[0], in[1], in[2], o); });
  }
  {
    const FixtureCase& c = f["conv1d_causal"];
    ConvOptions o{.dilation = c["opt_dilation"].ints(), .padding = ConvPadding::causal()};
    checkAgainstTorch(c, {{"x", kSequence, "CBT"}, {"weight", image(1), ""}, {"bias", kAsIs, ""}}, kSequence,
                      [&](const std::vector<Array>& in) { return conv(in[0], in[1], in[2], o); });
  }
  {
    const FixtureCase& c = f["conv3d"];
    ConvOptions o{.stride = c["opt_stride"].ints(),
                  .padding = ConvPadding::explicitPad(c["opt_pad"].ints(), c["opt_pad"].ints())};
    checkAgainstTorch(c, {{"x", image(3), "SSSCB"}, {"weight", image(3), ""}, {"bias", kAsIs, ""}}, image(3),
                      [&](const std::vector<Array>& in) { return conv(in[0], in[1], in[2], o); });
  }
}

TEST_CASE("PyTorch reference: max and average pooling with ceil_mode and padding") {
  const Fixture& f = fixture();
  auto options = [](const FixtureCase& c) {
    PoolOptions o{.size = c["opt_size"].ints(),
                  .stride = c["opt_stride"].ints(),
                  .padding = PoolPadding::explicitPad(c["opt_pad"].ints(), c["opt_pad"].ints())};
    if (c.has("opt_count_include_pad")) o.countIncludePad = c["opt_count_include_pad"].ints()[0] != 0;
    return o;
  };
  {
    const FixtureCase& c = f["max_pool2d_ceil"];
    PoolOptions o = options(c);
    o.ceilMode = true;
    checkAgainstTorch(c, {{"x", image(2), "SSCB"}}, image(2), [&](const std::vector<Array>& in) { return maxPool(in[0], o); });
  }
  for (const char* name : {"avg_pool2d_ceil_include_pad", "avg_pool2d_ceil_exclude_pad"}) {
    const FixtureCase& c = f[name];
    PoolOptions o = options(c);
    o.ceilMode = true;
    checkAgainstTorch(c, {{"x", image(2), "SSCB"}}, image(2), [&](const std::vector<Array>& in) { return avgPool(in[0], o); });
  }
  {
    const FixtureCase& c = f["max_pool1d_sequence"];
    PoolOptions o = options(c);
    checkAgainstTorch(c, {{"x", kSequence, "CBT"}}, kSequence, [&](const std::vector<Array>& in) { return maxPool(in[0], o); });
  }
  {
    const FixtureCase& c = f["avg_pool3d"];
    PoolOptions o = options(c);
    checkAgainstTorch(c, {{"x", image(3), "SSSCB"}}, image(3), [&](const std::vector<Array>& in) { return avgPool(in[0], o); });
  }
}

TEST_CASE("PyTorch reference: batch normalisation, inference and training") {
  const Fixture& f = fixture();
  {
    const FixtureCase& c = f["batch_norm_inference"];
    BatchNormOptions o{.epsilon = c["opt_eps"].scalar()};
    Array mean = vectorOf(c, "running_mean"), variance = vectorOf(c, "running_var");
    checkAgainstTorch(c, {{"x", image(2), "SSCB"}, {"weight", kAsIs, ""}, {"bias", kAsIs, ""}}, image(2),
                      [&](const std::vector<Array>& in) { return batchNorm(in[0], in[2], in[1], mean, variance, o); });
  }
  for (auto [name, convert, format] : {std::tuple{"batch_norm_train", image(2), "SSCB"},
                                       std::tuple{"batch_norm_train_sequence", kSequence, "CBT"}}) {
    const FixtureCase& c = f[name];
    CAPTURE(name);
    BatchNormOptions o{.epsilon = c["opt_eps"].scalar()};
    checkAgainstTorch(c, {{"x", convert, format}, {"weight", kAsIs, ""}, {"bias", kAsIs, ""}}, convert,
                      [&](const std::vector<Array>& in) { return batchNormTrain(in[0], in[2], in[1], o).y; });

    // PyTorch's running-statistic update, running = (1 − momentum)·running + momentum·batch,
    // takes the unbiased variance: dlcam's returned statistics must reproduce torch's update.
    BatchNormTrainResult r = batchNormTrain(Array(convert(c["x"]), format), vectorOf(c, "bias"), vectorOf(c, "weight"), o);
    const double m = c["opt_momentum"].scalar();
    auto updated = [m](const Tensor& running, const Tensor& batch) {
      Tensor out(running.shape(), DType::Float64);
      for (int64_t i = 0; i < out.numel(); ++i) out.data<double>()[i] = (1 - m) * running.at(i) + m * batch.at(i);
      return out;
    };
    expectClose(updated(c["running_mean"].columnMajor(), r.mean), c["running_mean_new"].columnMajor(), kRtol, kAtol,
                std::string(name) + ": running mean update");
    expectClose(updated(c["running_var"].columnMajor(), r.variance), c["running_var_new"].columnMajor(), kRtol, kAtol,
                std::string(name) + ": running variance update (unbiased variance)");
  }
}

TEST_CASE("PyTorch reference: layer normalisation channel-only and spatial-channel") {
  const Fixture& f = fixture();
  {
    // F.layer_norm over the last dim C of a batch-first sequence (N, L, C) = dlcam "CBT"
    // normalised over C alone.
    const FixtureCase& c = f["layer_norm_channel"];
    LayerNormOptions o{.epsilon = c["opt_eps"].scalar(), .dims = LayerNormDims::Channel};
    checkAgainstTorch(c, {{"x", kBatchFirstSequence, "CBT"}, {"scale", kAsIs, ""}, {"offset", kAsIs, ""}},
                      kBatchFirstSequence,
                      [&](const std::vector<Array>& in) { return layerNorm(in[0], in[2], in[1], o); });
  }
  {
    // F.layer_norm over (C, H, W) of (N, C, H, W) = dlcam "SSCB" normalised over S, S and C.
    // The script broadcasts the per-channel scale and offset over H and W for PyTorch.
    const FixtureCase& c = f["layer_norm_spatial_channel"];
    LayerNormOptions o{.epsilon = c["opt_eps"].scalar(), .dims = LayerNormDims::SpatialChannel};
    checkAgainstTorch(c, {{"x", image(2), "SSCB"}, {"scale", kAsIs, ""}, {"offset", kAsIs, ""}}, image(2),
                      [&](const std::vector<Array>& in) { return layerNorm(in[0], in[2], in[1], o); });
  }
}

TEST_CASE("PyTorch reference: softmax and log-softmax over channels") {
  const Fixture& f = fixture();
  auto soft = [](const std::vector<Array>& in) { return softmax(in[0]); };
  auto logSoft = [](const std::vector<Array>& in) { return logSoftmax(in[0]); };
  checkAgainstTorch(f["softmax_image"], {{"x", image(2), "SSCB"}}, image(2), soft);
  checkAgainstTorch(f["log_softmax_image"], {{"x", image(2), "SSCB"}}, image(2), logSoft);
  checkAgainstTorch(f["softmax_cb"], {{"x", kAsIs, "CB"}}, kAsIs, soft);
  checkAgainstTorch(f["log_softmax_cb"], {{"x", kAsIs, "CB"}}, kAsIs, logSoft);
}

TEST_CASE("PyTorch reference: fully connected on images, flattening order") {
  const FixtureCase& c = fixture()["linear_image"];
  // F.linear(x.flatten(1), W): PyTorch flattens (N, C, H, W) row-major, so input feature
  // c·H·W + h·W + w is column c·H·W + h·W + w of its O × CHW weight W. dlcam's fullyConnect
  // flattens "SSCB" column-major, feature h + H·(w + W·c), and reads its O × I weight
  // column-major. So dlcam's weight column h + H·(w + W·c) is PyTorch's column
  // c·H·W + h·W + w. To build it, view W as row-major (O, C, H, W), i.e. column-major
  // (W, H, C, O), permute to (O, H, W, C) and read that as O × (H·W·C). An ONNX importer
  // feeding Flatten → Gemm into fullyConnect needs exactly this column permutation (and its
  // inverse for the gradient, which the same mapping checks below).
  const std::vector<int64_t> xd = c["x"].dims;  // N, C, H, W
  Convert weight = [xd](const FixtureTensor& t) {
    const int64_t o = t.dims[0];
    FixtureTensor asImage{{o, xd[1], xd[2], xd[3]}, t.values};
    return kernels::cpu::permute(asImage.columnMajor(), {3, 1, 0, 2}).reshaped(Shape{o, xd[1] * xd[2] * xd[3]});
  };
  checkAgainstTorch(c, {{"x", image(2), "SSCB"}, {"weight", weight, ""}, {"bias", kAsIs, ""}}, kAsIs,
                    [](const std::vector<Array>& in) { return fullyConnect(in[0], in[1], in[2]); });
}

TEST_CASE("PyTorch reference: elementwise activations and pow with broadcasting") {
  const Fixture& f = fixture();
  const std::vector<Input> x = {{"x", image(2), "SSCB"}};
  checkAgainstTorch(f["sigmoid"], x, image(2), [](const std::vector<Array>& in) { return sigmoid(in[0]); });
  checkAgainstTorch(f["tanh"], x, image(2), [](const std::vector<Array>& in) { return tanh(in[0]); });
  const double slope = f["leaky_relu"]["opt_slope"].scalar();
  checkAgainstTorch(f["leaky_relu"], x, image(2), [&](const std::vector<Array>& in) { return leakyRelu(in[0], slope); });
  checkAgainstTorch(f["relu6"], x, image(2), [](const std::vector<Array>& in) { return clippedRelu(in[0], 6); });
  // Size-1 dims in PyTorch's (1, C, 1, 1) and (1, C, H, W) stay size-1 "SSCB" dims in dlcam,
  // which broadcast by label; the gradients come back summed to those shapes on both sides.
  const std::vector<Input> pair = {{"base", image(2), "SSCB"}, {"exponent", image(2), "SSCB"}};
  auto p = [](const std::vector<Array>& in) { return pow(in[0], in[1]); };
  checkAgainstTorch(f["pow_channel_exponent"], pair, image(2), p);
  checkAgainstTorch(f["pow_batch_base"], pair, image(2), p);
  // The per-channel exponent as a "C" vector broadcasts the same way.
  const FixtureCase& c = f["pow_channel_exponent"];
  Array base(image(2)(c["base"]), "SSCB");
  Array exponent(c["exponent"].columnMajor().reshaped(Shape{c["exponent"].dims[1]}), "C");
  expectClose(pow(base, exponent).value(), image(2)(c["out"]), kRtol, kAtol, "pow with a \"C\" exponent");
}
