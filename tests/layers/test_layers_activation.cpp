#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <memory>

#include "dlcam.h"
#include "layers/activation_layers.h"
#include "tests/support/gradcheck.h"
#include "tests/layers/layer_test_util.h"

using namespace dlcam;
using dlcam::test::forwardOf;
using dlcam::test::values;
using dlcam::test::checkGradients;
using dlcam::test::expectClose;
using dlcam::test::expectValues;
using dlcam::test::randomArray;

namespace {

// Values in float64 (the gradient checker's precision), none within 0.1 of the kinks at
// ±2.5 (hard sigmoid), ±3 (hard swish), −1 and 2 (the clip tests).
Array awayFromKinks() {
  std::vector<double> v = {-3.7, -2.2, -1.3, -0.6, 0.3, 1.1, 1.9, 2.25, 2.8, 3.3, 4.1, -3.4, 0.05, -0.85, 1.45};
  return Array(Tensor::fromValues(Shape{3, 1, 5}, std::span<const double>(v), DType::Float64), "SCB");
}

}  // namespace

TEST_CASE("Activation layers: forward equals the autodiff function and the size passes through") {
  Array x = randomArray({5, 3, 4, 2}, "SSCB", 1, -3, 3);
  struct Case {
    std::shared_ptr<Layer> layer;
    std::function<Array(const Array&)> f;
    const char* type;
    const char* description;
  };
  const std::vector<Case> cases = {
      {std::make_shared<ReluLayer>("a"), [](const Array& a) { return relu(a); }, "ReLU", "ReLU"},
      {std::make_shared<LeakyReluLayer>("a"), [](const Array& a) { return leakyRelu(a, 0.01); }, "Leaky ReLU",
       "Leaky ReLU with scale 0.01"},
      {std::make_shared<LeakyReluLayer>("a", 0.2), [](const Array& a) { return leakyRelu(a, 0.2); }, "Leaky ReLU",
       "Leaky ReLU with scale 0.2"},
      {std::make_shared<ClippedReluLayer>("a", 6), [](const Array& a) { return clippedRelu(a, 6); }, "Clipped ReLU",
       "Clipped ReLU with ceiling 6"},
      {std::make_shared<SigmoidLayer>("a"), [](const Array& a) { return sigmoid(a); }, "Sigmoid", "sigmoid"},
      {std::make_shared<TanhLayer>("a"), [](const Array& a) { return tanh(a); }, "Tanh", "Hyperbolic tangent"},
      {std::make_shared<HardSigmoidLayer>("a"), [](const Array& a) { return clippedRelu(a * 0.2 + 0.5, 1); },
       "Hard Sigmoid", "Hard sigmoid with alpha 0.2 and beta 0.5"},
      {std::make_shared<HardSwishLayer>("a"), [](const Array& a) { return a * clippedRelu(a / 6.0 + 0.5, 1); },
       "Hard Swish", "Hard swish"},
      {std::make_shared<ClipLayer>("a", -1, 2), [](const Array& a) { return clippedRelu(a + 1.0, 3) - 1.0; }, "Clip",
       "Clip to [-1, 2]"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.type);
    CHECK(c.layer->type() == c.type);
    CHECK(c.layer->description() == c.description);
    CHECK(c.layer->numLearnables() == 0);
    Array y = forwardOf(*c.layer, x);
    expectClose(y.value(), c.f(x).value(), 0, 0, c.type);
    for (const Array& in : {x, randomArray({4, 3, 6}, "CBT", 2), randomArray({7, 2}, "CB", 3)}) {
      const ActivationInfo info{in.shape(), in.format()};
      Array out = forwardOf(*c.layer, in);
      CHECK(c.layer->inferOutput(std::span(&info, 1)) == ActivationInfo{out.shape(), out.format()});
    }
  }
}

TEST_CASE("Hard sigmoid, hard swish and clip layers: hand values and gradients away from the kinks") {
  auto vec = [](std::initializer_list<double> v) { return std::vector<double>(v); };
  Array x = values({6}, {-3.7, -2.2, 0.3, 2.8, -1, 2}, "C");

  HardSigmoidLayer hs("hs");
  expectValues(forwardOf(hs, x), vec({0, 0.06, 0.56, 1, 0.3, 0.9}), 1e-6);
  HardSigmoidLayer torchHs("hs", 1.0 / 6, 0.5);  // PyTorch's Hardsigmoid
  expectValues(forwardOf(torchHs, x), vec({0, 0.5 - 2.2 / 6, 0.55, 0.5 + 2.8 / 6, 0.5 - 1.0 / 6, 0.5 + 2.0 / 6}), 1e-6);
  HardSwishLayer sw("sw");
  expectValues(forwardOf(sw, x), vec({0, -2.2 * (0.5 - 2.2 / 6), 0.3 * 0.55, 2.8 * (0.5 + 2.8 / 6), -1.0 / 3, 2 * 5.0 / 6}),
               1e-6);
  expectValues(forwardOf(sw, values({2}, {-3.5, 4}, "C")), vec({0, 4}), 1e-7);

  expectValues(forwardOf(ClipLayer("c", -1, 2), values({5}, {-1.5, 0.5, 3, -1, 2}, "C")), vec({-1, 0.5, 2, -1, 2}), 1e-7);
  expectValues(forwardOf(ClipLayer("c", -INFINITY, 2), values({3}, {-5, 1, 3}, "C")), vec({-5, 1, 2}), 1e-7);
  expectValues(forwardOf(ClipLayer("c", -1, INFINITY), values({3}, {-5, 1, 7}, "C")), vec({-1, 1, 7}), 1e-7);
  expectValues(forwardOf(ClipLayer("c", -INFINITY, INFINITY), values({3}, {-5, 1, 7}, "C")), vec({-5, 1, 7}), 1e-7);
  expectValues(forwardOf(ClipLayer("c", 0.5, 0.5), values({3}, {-5, 0.5, 7}, "C")), vec({0.5, 0.5, 0.5}), 1e-7);
  CHECK(ClipLayer("c", -INFINITY, 6).description() == "Clip to [-inf, 6]");

  const Array xg = awayFromKinks();
  std::vector<std::shared_ptr<Layer>> layers = {
      std::make_shared<HardSigmoidLayer>("hs"),          std::make_shared<HardSigmoidLayer>("hs", 0.3, 0.4),
      std::make_shared<HardSwishLayer>("sw"),            std::make_shared<ClipLayer>("c", -1, 2),
      std::make_shared<ClipLayer>("c", -INFINITY, 2),    std::make_shared<ClipLayer>("c", -1, INFINITY),
      std::make_shared<ClipLayer>("c", -INFINITY, INFINITY), std::make_shared<ClipLayer>("c", 0.5, 0.5)};
  for (const auto& layer : layers) {
    CAPTURE(layer->description());
    checkGradients([&](const std::vector<Array>& v) { return forwardOf(*layer, v[0]); }, {xg});
  }
}

TEST_CASE("Activation layers check their parameters, naming the layer") {
  CHECK_THROWS_WITH_AS(ClippedReluLayer("r6", 0), doctest::Contains("layer 'r6' (Clipped ReLU): the ceiling must be positive"),
                       Error);
  CHECK_THROWS_WITH_AS(ClipLayer("clip", 2, 1), doctest::Contains("layer 'clip' (Clip): needs min <= max"), Error);
  CHECK_THROWS_WITH_AS(ClipLayer("clip", NAN, 1), doctest::Contains("layer 'clip' (Clip)"), Error);
  CHECK_THROWS_WITH_AS(ClipLayer("clip", INFINITY, INFINITY), doctest::Contains("layer 'clip' (Clip)"), Error);
  CHECK_THROWS_WITH_AS(LeakyReluLayer("lr", NAN), doctest::Contains("layer 'lr' (Leaky ReLU): the scale must be finite"),
                       Error);
  CHECK_THROWS_WITH_AS(HardSigmoidLayer("h", INFINITY), doctest::Contains("layer 'h' (Hard Sigmoid)"), Error);
  ReluLayer relu("relu");
  ForwardContext context;
  std::vector<Array> two = {randomArray({2}, "C", 1), randomArray({2}, "C", 2)};
  CHECK_THROWS_WITH_AS(relu.forward(two, context), doctest::Contains("layer 'relu' (ReLU): expects 1 input(s), got 2"), Error);
}
