// Explanation-quality measures (gradcam/quality.h): the pointing game on hand-made maps, the
// baseline maps, deletion and insertion curves on a network whose class score is linear in
// the input (so every point can be worked out by hand), Spearman's rho against hand values and
// NumPy, and the cascading randomisation against the same procedure done step by step.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "core/error.h"
#include "core/random.h"
#include "gradcam/gradcam.h"
#include "gradcam/quality.h"
#include "layers/activation_layers.h"
#include "layers/conv_layer.h"
#include "layers/fully_connected_layer.h"
#include "layers/input_layers.h"
#include "layers/pool_layers.h"
#include "layers/simple_layers.h"
#include "tests/support/gradcheck.h"

using namespace dlcam;
using datasets::Region;
using test::randomArray32;

namespace {

// A float32 tensor of this size with the values given in column-major order.
Tensor mapOf(const std::vector<int64_t>& size, const std::vector<float>& values) {
  return Tensor::fromValues(Shape(size), std::span<const float>(values));
}

Region region(std::vector<int64_t> first, std::vector<int64_t> last) {
  return Region{std::move(first), std::move(last)};
}

bool sameValues(const Array& a, const Array& b) {
  if (a.shape() != b.shape()) return false;
  const Tensor x = a.value().to(DType::Float64), y = b.value().to(DType::Float64);
  for (int64_t i = 0; i < x.numel(); ++i)
    if (x.data<double>()[i] != y.data<double>()[i]) return false;
  return true;
}

// A network whose scores are linear in its input: 1×3 images with 2 channels (3 positions) →
// fully connected (2 outputs, no softmax). Score of class 0 at input x:
//   W0 · x + 0.5 with W0 = [1 0 2 | 0 1 −1] (channel 0 at w = 0, 1, 2, then channel 1)
// (the layer flattens h×w×c column-major: element (0, w, c) is feature w + 3c).
Network linearImageNet() {
  Network net;
  net.add(std::make_shared<ImageInputLayer>("input", ImageInputOptions{.size = {1, 3, 2}}));
  const std::vector<float> w = {1, 3, 0, 1, 2, 1, 0, 1, 1, 1, -1, 1};  // 2×6, column-major: row 0 is W0
  const std::vector<float> b = {0.5f, 0};
  net.add(std::make_shared<FullyConnectedLayer>(
      "fc", FullyConnectedOptions{.weights = Array(mapOf({2, 6}, w)), .bias = Array(mapOf({2}, b))}));
  net.initialize();
  return net;
}

// conv1 (3×3, 3 filters) → relu1 → conv2 (3×3, 6 filters) → relu2 → global average pool →
// fc (3 classes) → softmax: the default feature layer is relu2.
Network smallConvNet(bool deadFeatures = false) {
  Network net;
  net.add(std::make_shared<ImageInputLayer>("input", ImageInputOptions{.size = {8, 7, 2}}));
  ConvOptions same{.padding = ConvPadding::same()};
  net.add(std::make_shared<ConvolutionLayer>(
      "conv1", ConvolutionOptions{.weights = Array(randomArray32({3, 3, 2, 3}, "", 21).value()),
                                  .bias = Array(randomArray32({3}, "", 22, 0, 0.3).value()), .conv = same}));
  net.add(std::make_shared<ReluLayer>("relu1"));
  // deadFeatures: a bias so negative that relu2 is zero everywhere, and so is every map.
  const Tensor bias2 = deadFeatures ? Tensor::full(Shape{6}, -1000) : randomArray32({6}, "", 24, 0, 0.3).value();
  net.add(std::make_shared<ConvolutionLayer>(
      "conv2", ConvolutionOptions{.weights = Array(randomArray32({3, 3, 3, 6}, "", 23).value()),
                                  .bias = Array(bias2), .conv = same}));
  net.add(std::make_shared<ReluLayer>("relu2"));
  net.add(std::make_shared<GlobalAveragePoolingLayer>("gap", 2));
  net.add(std::make_shared<FullyConnectedLayer>(
      "fc", FullyConnectedOptions{.weights = Array(randomArray32({3, 6}, "", 25, -2, 2).value()),
                                  .bias = Array(randomArray32({3}, "", 26).value())}));
  net.add(std::make_shared<SoftmaxLayer>("prob"));
  net.initialize();
  return net;
}

std::vector<Array> learnablesOf(const Network& net) {
  std::vector<Array> all;
  for (size_t i = 0; i < net.numLayers(); ++i)
    for (const Parameter& p : net.layer(i).learnables()) all.push_back(p.value);
  return all;
}

void checkLearnablesEqual(const Network& net, const std::vector<Array>& before) {
  const std::vector<Array> after = learnablesOf(net);
  REQUIRE(after.size() == before.size());
  for (size_t k = 0; k < after.size(); ++k) {
    CAPTURE(k);
    CHECK(sameValues(after[k], before[k]));
  }
}

}  // namespace

TEST_CASE("mapPeak takes the largest value, the first in column-major order on ties, and skips NaN") {
  // 3×4 (h×w), column-major: map(y, x) = values[y + 3x].
  std::vector<float> v(12, 0.0f);
  v[2 + 3 * 1] = 5;  // (2, 1)
  CHECK(mapPeak(mapOf({3, 4}, v)) == std::vector<int64_t>{2, 1});
  v[1 + 3 * 2] = 5;  // a tie at (1, 2): (2, 1) comes first, its column is smaller
  CHECK(mapPeak(mapOf({3, 4}, v)) == std::vector<int64_t>{2, 1});
  v[0 + 3 * 1] = 5;  // a tie at (0, 1): same column, smaller row, so first
  CHECK(mapPeak(mapOf({3, 4}, v)) == std::vector<int64_t>{0, 1});
  v[0] = NAN;
  v[11] = 7;
  CHECK(mapPeak(mapOf({3, 4}, v)) == std::vector<int64_t>{2, 3});
  CHECK_THROWS_AS(mapPeak(Tensor(Shape{0, 3})), Error);
}

TEST_CASE("pointingHit on 2-D, 3-D and 1×t maps, with gradCAM's trailing sizes of 1 and a tolerance") {
  std::vector<float> v(12, 0.0f);
  v[2 + 3 * 1] = 1;  // peak (2, 1) of a 3×4 map
  const Tensor map = mapOf({3, 4}, v);
  CHECK(pointingHit(map, region({2, 1}, {2, 1})));
  CHECK(pointingHit(map, region({1, 0}, {2, 3})));
  CHECK_FALSE(pointingHit(map, region({0, 0}, {1, 3})));  // rows 0…1
  CHECK_FALSE(pointingHit(map, region({0, 2}, {2, 3})));  // columns 2…3
  CHECK(pointingHit(map.reshaped(Shape{3, 4, 1, 1}), region({2, 1}, {2, 1})));
  // Tolerance: (2, 1) is 1 row and 2 columns from the region rows 0…1, column 3: sqrt(5) ≈ 2.24.
  CHECK_FALSE(pointingHit(map, region({0, 3}, {1, 3}), 2.2));
  CHECK(pointingHit(map, region({0, 3}, {1, 3}), 2.25));
  CHECK(pointingHit(map, region({0, 2}, {2, 3}), 1));  // next column
  CHECK_THROWS_AS(pointingHit(map, region({0, 2}, {2, 3}), -1), Error);

  // 2×3×4 (h×w×d), peak at (1, 2, 3): linear index 1 + 2·2 + 6·3 = 23.
  std::vector<float> volume(24, 0.5f);
  volume[23] = 2;
  const Tensor vol = mapOf({2, 3, 4}, volume);
  CHECK(pointingHit(vol, region({0, 1, 2}, {1, 2, 3})));
  CHECK_FALSE(pointingHit(vol, region({0, 1, 0}, {1, 2, 2})));  // depth 0…2 misses d = 3

  // 1×10 sequence map, peak at t = 7; the region is over t alone.
  std::vector<float> seq(10, 0.0f);
  seq[7] = 3;
  const Tensor s = mapOf({1, 10}, seq);
  CHECK(pointingHit(s, region({5}, {8})));
  CHECK_FALSE(pointingHit(s, region({0}, {6})));
  CHECK(pointingHit(s.reshaped(Shape{1, 10, 1, 1}), region({7}, {7})));
  CHECK(pointingHit(s, region({0}, {4}), 3));  // t = 7 is 3 steps after the region
  CHECK_FALSE(pointingHit(s, region({0}, {4}), 2.9));

  // Regions that do not fit the map.
  CHECK_THROWS_AS(pointingHit(map, region({0, 0, 0}, {1, 1, 1})), Error);
  CHECK_THROWS_AS(pointingHit(map, region({0, 0}, {3, 3})), Error);  // h is 3: rows 0…2
  CHECK_THROWS_AS(pointingHit(s, region({0}, {10})), Error);
  CHECK_THROWS_AS(pointingHit(map.reshaped(Shape{3, 2, 2}), region({0, 0}, {1, 1})), Error);  // not h×w×1
  CHECK_THROWS_WITH_AS(
      checkRegion(region({0, 0}, {63, 64}), {64, 64}, "the region"),
      "the region (0, 0)…(63, 64) does not fit inside the 64×64 map: dimension 2 takes indices 0 to 63", Error);
}

TEST_CASE("baseline maps: the centre bias peaks at the centre pixel, the random map draws from Random") {
  CHECK(mapPeak(centreBiasMap({64, 64})) == std::vector<int64_t>{32, 32});
  CHECK(mapPeak(centreBiasMap({63, 5})) == std::vector<int64_t>{31, 2});
  CHECK(mapPeak(centreBiasMap({1, 9})) == std::vector<int64_t>{0, 4});
  CHECK(mapPeak(centreBiasMap({6, 7, 8})) == std::vector<int64_t>{3, 3, 4});
  const Tensor c = centreBiasMap({4, 4});
  CHECK(c.data<float>()[2 + 4 * 2] == 1.0f);  // exp(0) at (2, 2)
  // (0, 2): z = (0 − 2) / (4/4) = −2 → exp(−2).
  CHECK(c.data<float>()[0 + 4 * 2] == doctest::Approx(std::exp(-2.0)).epsilon(1e-6));

  Random a(5), b(5), other(6);
  const Tensor m = randomMap({3, 5}, a);
  CHECK(m.shape() == Shape{3, 5});
  for (int64_t i = 0; i < m.numel(); ++i) CHECK(m.data<float>()[i] == static_cast<float>(b.uniform()));
  const Tensor n = randomMap({3, 5}, other);
  CHECK(n.data<float>()[0] != m.data<float>()[0]);
}

TEST_CASE("importanceOrder: largest first, ties by index, NaN last") {
  CHECK(importanceOrder(mapOf({1, 5}, {3, 1, 3, NAN, 2})) == std::vector<int64_t>{0, 2, 4, 1, 3});
}

TEST_CASE("curveArea is the trapezoid rule") {
  CHECK(curveArea({0, 0.5, 1}, {1, 0, 1}) == doctest::Approx(0.5));
  // Uneven steps: 0.25·(2 + 4)/2 + 0.75·(4 + 0)/2 = 0.75 + 1.5.
  CHECK(curveArea({0, 0.25, 1}, {2, 4, 0}) == doctest::Approx(2.25));
  CHECK(curveArea({0}, {3}) == 0);
  CHECK_THROWS_AS(curveArea({0, 1}, {1}), Error);
}

TEST_CASE("deletion and insertion curves of a linear network, worked out by hand") {
  const Network net = linearImageNet();
  // x(0, w, c): channel 0 = 1 2 3, channel 1 = 4 0 2. The baseline is the channel means: 2, 2.
  const Array x(mapOf({1, 3, 2, 1}, {1, 2, 3, 4, 0, 2}), "SSCB");
  // Position w contributes W0(w, 0)·x(w, 0) + W0(w, 1)·x(w, 1):
  //   x:        1·1 + 0·4 = 1,  0·2 + 1·0 = 0,  2·3 − 1·2 = 4     score 5 + 0.5 = 5.5
  //   baseline: 1·2 + 0·2 = 2,  0·2 + 1·2 = 2,  2·2 − 1·2 = 2     score 6 + 0.5 = 6.5
  // The map ranks w = 1 first, then w = 2, then w = 0.
  const Tensor map = mapOf({1, 3}, {0.2f, 0.9f, 0.5f});
  const PerturbationCurves c = perturbationCurves(net, x, map, 0, {.steps = 3});
  const std::vector<double> fractions = {0, 1.0 / 3, 2.0 / 3, 1};
  // Deletion: 5.5; w = 1 → baseline (+2): 7.5; w = 2 (−2): 5.5; w = 0 (+1): 6.5.
  const std::vector<double> deletion = {5.5, 7.5, 5.5, 6.5};
  // Insertion: 6.5; w = 1 back (−2): 4.5; w = 2 (+2): 6.5; w = 0 (−1): 5.5.
  const std::vector<double> insertion = {6.5, 4.5, 6.5, 5.5};
  REQUIRE(c.fractions.size() == 4);
  for (size_t i = 0; i < 4; ++i) {
    CAPTURE(i);
    CHECK(c.fractions[i] == doctest::Approx(fractions[i]));
    CHECK(c.deletion[i] == doctest::Approx(deletion[i]).epsilon(1e-6));
    CHECK(c.insertion[i] == doctest::Approx(insertion[i]).epsilon(1e-6));
  }
  // Areas: (1/3)·((5.5 + 7.5)/2 + (7.5 + 5.5)/2 + (5.5 + 6.5)/2) = 19/3; insertion 17/3.
  CHECK(c.deletionArea == doctest::Approx(19.0 / 3).epsilon(1e-6));
  CHECK(c.insertionArea == doctest::Approx(17.0 / 3).epsilon(1e-6));

  // The same points whatever the batch size, and for x given without B.
  const Array xWithoutB(mapOf({1, 3, 2}, {1, 2, 3, 4, 0, 2}), "SSC");
  for (int64_t batch : {1, 2, 4}) {
    CAPTURE(batch);
    const PerturbationCurves d = perturbationCurves(net, xWithoutB, map, 0, {.steps = 3, .batchSize = batch});
    CHECK(d.deletion == c.deletion);
    CHECK(d.insertion == c.insertion);
  }
  // Class 1 (W1 = [3 1 1 | 1 1 1], no bias): x gives 3·1 + 1·2 + 1·3 + 4 + 0 + 2 = 14; with w = 1
  // at the baseline (k = 1): 14 − (2 + 0) + (2 + 2) = 16.
  const PerturbationCurves one = perturbationCurves(net, x, map, 1, {.steps = 3});
  CHECK(one.deletion[0] == doctest::Approx(14));
  CHECK(one.deletion[1] == doctest::Approx(16));

  // k_i = round(i·P / steps): 2 steps over 3 positions change 0, 2 (1.5 rounded up) and 3.
  const PerturbationCurves two = perturbationCurves(net, x, map, 0, {.steps = 2});
  CHECK(two.fractions == std::vector<double>{0, 2.0 / 3, 1});
  CHECK(two.deletion[1] == doctest::Approx(5.5));

  CHECK_THROWS_AS(perturbationCurves(net, x, map, 2, {}), Error);  // 2 classes
  CHECK_THROWS_AS(perturbationCurves(net, x, mapOf({3, 1}, {0, 1, 2}), 0, {}), Error);  // transposed map
  CHECK_THROWS_AS(perturbationCurves(net, x, map, 0, {.steps = 0}), Error);
  CHECK_THROWS_AS(perturbationCurves(net, x, map, 0, {.reductionLayer = "nope"}), Error);
}

TEST_CASE("deletion curve of a sequence: positions are time steps with all their channels") {
  // Sequences of 2 channels → fully connected per time step (1 output, weights [1 2]); the
  // class score sums the output over time: Σ_t x(0, t) + 2·x(1, t).
  Network net;
  net.add(std::make_shared<SequenceInputLayer>("input", SequenceInputOptions{.channels = 2}));
  net.add(std::make_shared<FullyConnectedLayer>("fc", FullyConnectedOptions{.weights = Array(mapOf({1, 2}, {1, 2}))}));
  net.initialize();
  // c×t = 2×4: channel 0 = 1 0 0 3, channel 1 = 0 1 0 1; channel means 1 and 0.5.
  const Array x(mapOf({2, 4}, {1, 0, 0, 1, 0, 0, 3, 1}), "CT");
  // Per step: 1, 2, 0, 5 (total 8); at the baseline each is 1 + 2·0.5 = 2.
  const Tensor map = mapOf({1, 4}, {0, 1, 0.5f, 2});  // order: t = 3, 1, 2, 0
  const PerturbationCurves c = perturbationCurves(net, x, map, 0, {.steps = 4});
  const std::vector<double> deletion = {8, 5, 5, 7, 8};  // 8 − 5 + 2, − 2 + 2, − 0 + 2, − 1 + 2
  const std::vector<double> insertion = {8, 11, 11, 9, 8};
  for (size_t i = 0; i < 5; ++i) {
    CAPTURE(i);
    CHECK(c.deletion[i] == doctest::Approx(deletion[i]).epsilon(1e-6));
    CHECK(c.insertion[i] == doctest::Approx(insertion[i]).epsilon(1e-6));
  }
}

TEST_CASE("spearman: average ranks for ties, against hand values and NumPy") {
  const Tensor a = mapOf({5}, {1, 2, 3, 4, 5});
  // b's ranks: 1, 2, 3.5, 5, 3.5. Centred: (−2, −1, 0, 1, 2) and (−2, −1, 0.5, 2, 0.5):
  // rho = 8 / sqrt(10 · 9.5).
  CHECK(spearman(a, mapOf({5}, {5, 6, 7, 8, 7})) == doctest::Approx(8 / std::sqrt(95.0)).epsilon(1e-12));
  CHECK(spearman(a, mapOf({5}, {1, 4, 9, 16, 25})) == doctest::Approx(1));  // monotone: 1
  CHECK(spearman(a, mapOf({5}, {10, 3, 2, 1, -7})) == doctest::Approx(-1));
  CHECK(spearman(a.reshaped(Shape{5, 1}), mapOf({1, 5}, {1, 2, 3, 4, 5})) == doctest::Approx(1));  // shapes may differ
  // round(3 sin i) and round(2 sin(i + 0.4) + 0.15 i), i = 0…19: many ties. NumPy: ranks by
  // np.unique (start + (count + 1) / 2), then np.corrcoef: 0.7210880664086556.
  const Tensor x = mapOf({20}, {0, 3, 3, 0, -2, -3, -1, 2, 3, 1, -2, -3, -2, 1, 3, 2, -1, -3, -2, 0});
  const Tensor y = mapOf({20}, {1, 2, 2, 0, -1, -1, 1, 3, 3, 1, 0, 0, 1, 3, 4, 3, 1, 1, 2, 4});
  CHECK(spearman(x, y) == doctest::Approx(0.7210880664086556).epsilon(1e-12));
  CHECK(spearman(y, x) == doctest::Approx(0.7210880664086556).epsilon(1e-12));

  CHECK(std::isnan(spearman(a, mapOf({5}, {2, 2, 2, 2, 2}))));  // a constant set has no ranking
  CHECK(std::isnan(spearman(mapOf({1}, {1}), mapOf({1}, {2}))));
  CHECK_THROWS_AS(spearman(a, mapOf({4}, {1, 2, 3, 4})), Error);
  CHECK_THROWS_AS(spearman(a, mapOf({5}, {1, 2, NAN, 4, 5})), Error);
}

TEST_CASE("randomiseLearnables keeps the size, mean and spread of each learnable and leaves constant ones") {
  FullyConnectedLayer fc("fc", {.weights = randomArray32({40, 50}, "", 31, 1, 3), .bias = Array(Tensor(Shape{40}))});
  const Array weights = fc.learnables()[0].value, bias = fc.learnables()[1].value;
  Random rng(3);
  randomiseLearnables(fc, rng);
  const Array& w = fc.learnables()[0].value;
  REQUIRE(w.shape() == weights.shape());
  CHECK(!sameValues(w, weights));
  CHECK(sameValues(fc.learnables()[1].value, bias));  // all zeros: kept
  // Uniform on [1, 3]: mean 2, standard deviation 2/sqrt(12) ≈ 0.577; the new values are normal
  // with the old values' mean and deviation (2000 draws: within a few percent).
  double mean = 0, square = 0;
  const Tensor v = w.value().to(DType::Float64);
  for (int64_t i = 0; i < v.numel(); ++i) mean += v.data<double>()[i];
  mean /= static_cast<double>(v.numel());
  for (int64_t i = 0; i < v.numel(); ++i) square += std::pow(v.data<double>()[i] - mean, 2);
  CHECK(mean == doctest::Approx(2).epsilon(0.03));
  CHECK(std::sqrt(square / static_cast<double>(v.numel())) == doctest::Approx(2 / std::sqrt(12.0)).epsilon(0.05));
}

TEST_CASE("LearnablesGuard restores every learnable exactly, also when an exception leaves the scope") {
  Network net = smallConvNet();
  const std::vector<Array> before = learnablesOf(net);
  try {
    const LearnablesGuard guard(net);
    Random rng(1);
    for (const char* name : {"conv1", "conv2", "fc"}) randomiseLearnables(net.layer(name), rng);
    CHECK(!sameValues(net.layer("conv1").learnables()[0].value, before[0]));
    throw std::runtime_error("stop");
  } catch (const std::runtime_error&) {
  }
  checkLearnablesEqual(net, before);
}

TEST_CASE("cascading randomisation goes from the top down, cumulatively, and restores the network") {
  Network net = smallConvNet();
  const std::vector<Array> before = learnablesOf(net);
  const std::vector<Array> inputs = {randomArray32({8, 7, 2}, "SSC", 41), randomArray32({8, 7, 2}, "SSC", 42)};
  const std::vector<int64_t> classes = {0, 0};
  CHECK(randomisationOrder(net) == std::vector<std::string>{"fc", "conv2", "conv1"});

  const std::vector<RandomisationStep> steps = cascadingRandomisation(net, inputs, classes, {.seed = 9});
  checkLearnablesEqual(net, before);
  REQUIRE(steps.size() == 3);

  // The same procedure by hand: randomise fc, then conv2 as well, then conv1 as well, from one
  // Random(9), comparing each map with the original.
  std::vector<Tensor> original;
  for (size_t i = 0; i < inputs.size(); ++i) original.push_back(gradCAM(net, inputs[i], classes[i]).map);
  for (const Tensor& map : original) REQUIRE(spearman(map, map) == doctest::Approx(1));  // not constant
  {
    const LearnablesGuard guard(net);
    Random rng(9);
    const std::vector<std::string> order = {"fc", "conv2", "conv1"};
    for (size_t k = 0; k < order.size(); ++k) {
      CAPTURE(order[k]);
      CHECK(steps[k].layer == order[k]);
      randomiseLearnables(net.layer(order[k]), rng);
      REQUIRE(steps[k].rho.size() == 2);
      int64_t constant = 0;
      for (size_t i = 0; i < inputs.size(); ++i) {
        const double rho = spearman(original[i], gradCAM(net, inputs[i], classes[i]).map);
        constant += std::isnan(rho);  // a map with no ranking: rho 0
        CHECK(steps[k].rho[i] == doctest::Approx(std::isnan(rho) ? 0 : rho).epsilon(1e-12));
      }
      CHECK(steps[k].meanRho == doctest::Approx((steps[k].rho[0] + steps[k].rho[1]) / 2));
      CHECK(steps[k].constantMaps == constant);
    }
  }
  checkLearnablesEqual(net, before);
  // Once the convolutions below the feature layer are random, the maps are other maps.
  CHECK(steps[2].meanRho < 0.9);
  for (const RandomisationStep& s : steps) CHECK(s.meanRho < 1);

  CHECK_THROWS_AS(cascadingRandomisation(net, inputs, {0}), Error);
  CHECK_THROWS_AS(cascadingRandomisation(net, {}, {}), Error);
}

TEST_CASE("cascading randomisation counts constant maps, with rho 0") {
  Network net = smallConvNet(true);  // relu2 is zero everywhere: every map is all zeros
  const std::vector<RandomisationStep> steps = cascadingRandomisation(net, {randomArray32({8, 7, 2}, "SSC", 43)}, {1});
  REQUIRE(steps.size() == 3);
  for (const RandomisationStep& s : steps) {
    CHECK(s.rho == std::vector<double>{0});
    CHECK(s.constantMaps == 1);
    CHECK(s.meanRho == 0);
  }
}
