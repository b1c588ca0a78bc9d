// Training core: losses against hand values and finite differences, the optimisers' update
// rules against hand-computed steps, datasets, and the training loop's behaviour (the loss
// falls, runs are reproducible from a seed, batch-norm statistics are stored, a trained
// network survives ONNX export). One step against PyTorch: test_training_reference.cpp.
#include <doctest/doctest.h>

#include <cmath>
#include <sstream>

#include "autodiff/softmax.h"
#include "core/error.h"
#include "io/onnx/exporter.h"
#include "io/onnx/importer.h"
#include "layers/activation_layers.h"
#include "layers/input_layers.h"
#include "layers/network.h"
#include "layers/pool_layers.h"
#include "layers/simple_layers.h"
#include "tests/support/gradcheck.h"
#include "tests/support/temp_dir.h"
#include "training/initializers.h"
#include "training/loss.h"
#include "training/optimizer.h"
#include "training/trainer.h"

using namespace dlcam;
using test::checkGradients;
using test::randomArray;

namespace {

Array cb(std::vector<double> values, int64_t c, int64_t n) {
  return Array(Tensor::fromValues(Shape{c, n}, std::span<const double>(values), DType::Float64), "CB");
}

// Two Gaussian clusters per class in 2-D, 3 classes: separable by a small MLP.
ArrayDataset clusters(int64_t n, uint64_t seed) {
  Random rng(seed);
  Tensor x(Shape{2, n});
  std::vector<int64_t> labels;
  const double centres[3][2] = {{2, 0}, {-1, 1.7}, {-1, -1.7}};
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = i % 3;
    x.data<float>()[2 * i] = static_cast<float>(rng.normal(centres[k][0], 0.5));
    x.data<float>()[2 * i + 1] = static_cast<float>(rng.normal(centres[k][1], 0.5));
    labels.push_back(k);
  }
  return ArrayDataset(Array(x, "CB"), oneHot(labels, 3));
}

Network mlp(uint64_t seed, bool withBatchNorm = false) {
  Random rng(seed);
  Network net;
  net.add(std::make_shared<FeatureInputLayer>("input", FeatureInputOptions{.channels = 2}));
  net.add(fullyConnectedLayer("fc_1", {.inputs = 2, .outputs = 16}, rng));
  if (withBatchNorm) net.add(batchNormalizationLayer("bn", 16));
  net.add(std::make_shared<ReluLayer>("relu"));
  net.add(fullyConnectedLayer("fc_2", {.inputs = 16, .outputs = 3}, rng));
  net.add(std::make_shared<SoftmaxLayer>("softmax"));
  net.initialize();
  return net;
}

std::vector<float> allLearnables(const Network& net) {
  std::vector<float> values;
  for (const LearnableRef& ref : learnables(net)) {
    const std::vector<float> v = net.layer(ref.layer).learnables()[ref.index].value.toVector();
    values.insert(values.end(), v.begin(), v.end());
  }
  return values;
}

}  // namespace

TEST_CASE("crossEntropy and softmaxCrossEntropy equal hand-computed values") {
  // Two observations, three classes. Observation 0 is class 2, observation 1 class 0.
  const Array y = cb({0.2, 0.3, 0.5, 0.6, 0.3, 0.1}, 3, 2);
  const Array t = cb({0, 0, 1, 1, 0, 0}, 3, 2);
  CHECK(crossEntropy(y, t).item() == doctest::Approx(-(std::log(0.5) + std::log(0.6)) / 2).epsilon(1e-12));
  CHECK(crossEntropy(y, t).rank() == 0);

  const Array scores = cb({1, 2, 3, -1, 0.5, 4}, 3, 2);
  const double lse0 = std::log(std::exp(1) + std::exp(2) + std::exp(3));
  const double lse1 = std::log(std::exp(-1) + std::exp(0.5) + std::exp(4));
  CHECK(softmaxCrossEntropy(scores, t).item() == doctest::Approx(((lse0 - 3) + (lse1 + 1)) / 2).epsilon(1e-12));
  CHECK(softmaxCrossEntropy(scores, t).item() ==
        doctest::Approx(crossEntropy(softmax(scores), t).item()).epsilon(1e-12));
  // Scores far beyond exp's range stay finite.
  const Array huge = cb({1000, -1000, 0, 0, 0, 2000}, 3, 2);
  CHECK(std::isfinite(softmaxCrossEntropy(huge, t).item()));
  // A probability that underflowed to 0 where the target is 0 contributes nothing.
  const Array withZero = cb({0, 0.5, 0.5, 1, 0, 0}, 3, 2);
  CHECK(crossEntropy(withZero, t).item() == doctest::Approx(-std::log(0.5) / 2).epsilon(1e-12));
}

TEST_CASE("meanSquaredError is half the squared error summed per observation, averaged") {
  const Array y = cb({1, 2, 3, 4}, 2, 2);
  const Array t = cb({0, 2, 5, 1}, 2, 2);
  // (1 + 0 + 4 + 9) / (2·2)
  CHECK(meanSquaredError(y, t).item() == doctest::Approx(14.0 / 4).epsilon(1e-12));
}

TEST_CASE("loss gradients match finite differences") {
  const Array t = cb({0, 1, 0, 0.25, 0.25, 0.5}, 3, 2);  // a soft target in column 2
  checkGradients([&](const std::vector<Array>& in) { return softmaxCrossEntropy(in[0], t); },
                 {randomArray({3, 2}, "CB", 1, -2, 2)});
  checkGradients([&](const std::vector<Array>& in) { return crossEntropy(in[0], t); },
                 {randomArray({3, 2}, "CB", 2, 0.1, 1)});
  const Array r = cb({0.5, -1, 2, 0.25, 0, 1}, 3, 2);
  checkGradients([&](const std::vector<Array>& in) { return meanSquaredError(in[0], r); },
                 {randomArray({3, 2}, "CB", 3)});
}

TEST_CASE("losses reject mismatched predictions and targets") {
  CHECK_THROWS_WITH_AS(crossEntropy(cb({1, 0}, 2, 1), cb({1, 0, 0}, 3, 1)),
                       doctest::Contains("must have the same size and format"), Error);
  CHECK_THROWS_WITH_AS(oneHot({0, 3}, 3), doctest::Contains("class index 3 at position 1"), Error);
  const Array t = oneHot({2, 0}, 3);
  CHECK(t.format().str() == "CB");
  CHECK(t.toVector() == std::vector<float>{0, 0, 1, 1, 0, 0});
}

TEST_CASE("Sgdm and Adam take the hand-computed steps") {
  // A network whose only learnables are one fully connected layer: w = [1, -2], b = [0.5].
  auto build = [] {
    Network net;
    net.add(std::make_shared<FeatureInputLayer>("input", FeatureInputOptions{.channels = 2}));
    net.add(std::make_shared<FullyConnectedLayer>(
        "fc", FullyConnectedOptions{.weights = Array::fromValues(Shape{1, 2}, std::span<const float>(std::vector<float>{1, -2})),
                                    .bias = Array::fromValues(Shape{1}, std::span<const float>(std::vector<float>{0.5f}))}));
    net.initialize();
    return net;
  };
  const std::vector<Array> g1 = {Array(Tensor::fromValues(Shape{1, 2}, std::span<const float>(std::vector<float>{0.5f, 1}))),
                                 Array(Tensor::fromValues(Shape{1}, std::span<const float>(std::vector<float>{-1})))};
  const std::vector<Array> g2 = {Array(Tensor::fromValues(Shape{1, 2}, std::span<const float>(std::vector<float>{1, 0}))),
                                 Array(Tensor::fromValues(Shape{1}, std::span<const float>(std::vector<float>{2})))};

  SUBCASE("sgdm: v = m·v − lr·(g + λw), w = w + v; no L2 on the bias") {
    Network net = build();
    Sgdm sgdm({.learnRate = 0.1, .momentum = 0.5, .l2Regularization = 0.2});
    sgdm.update(net, g1);
    // v = −0.1·(0.5 + 0.2·1, 1 + 0.2·−2) = (−0.07, −0.06); bias v = 0.1
    test::expectValues(net.layer("fc").learnable("Weights"), {0.93, -2.06}, 1e-6);
    test::expectValues(net.layer("fc").learnable("Bias"), {0.6}, 1e-6);
    sgdm.update(net, g2);
    // v = 0.5·(−0.07, −0.06) − 0.1·(1 + 0.2·0.93, 0 + 0.2·−2.06) = (−0.1536, 0.0112)
    test::expectValues(net.layer("fc").learnable("Weights"), {0.93 - 0.1536, -2.06 + 0.0112}, 1e-6);
    test::expectValues(net.layer("fc").learnable("Bias"), {0.6 + 0.05 - 0.2}, 1e-6);
    CHECK(sgdm.iteration() == 2);
  }
  SUBCASE("adam with bias correction") {
    Network net = build();
    Adam adam({.learnRate = 0.01, .gradientDecay = 0.9, .squaredGradientDecay = 0.99, .epsilon = 1e-8});
    adam.update(net, g1);
    // Step 1: m̂ = g, v̂ = g², so every value moves by lr·sign(g) (up to ε).
    test::expectValues(net.layer("fc").learnable("Weights"), {0.99, -2.01}, 1e-6);
    test::expectValues(net.layer("fc").learnable("Bias"), {0.51}, 1e-6);
    adam.update(net, g2);
    // Step 2 for w0: m = 0.9·0.05 + 0.1·1 = 0.145, v = 0.99·0.0025 + 0.01·1 = 0.012475,
    // m̂ = 0.145/0.19, v̂ = 0.012475/0.0199.
    const double w0 = 0.99 - 0.01 * (0.145 / 0.19) / (std::sqrt(0.012475 / 0.0199) + 1e-8);
    // w1: g = 0: m = 0.09 (m̂ = 0.09/0.19), v = 0.0099 (v̂ = 0.0099/0.0199).
    const double w1 = -2.01 - 0.01 * (0.09 / 0.19) / (std::sqrt(0.0099 / 0.0199) + 1e-8);
    test::expectValues(net.layer("fc").learnable("Weights"), {w0, w1}, 1e-6);
  }
  SUBCASE("a gradient of the wrong shape is an error naming the learnable") {
    Network net = build();
    Sgdm sgdm;
    const std::vector<Array> wrong = {g1[1], g1[0]};
    CHECK_THROWS_WITH_AS(sgdm.update(net, wrong), doctest::Contains("fc/Weights"), Error);
  }
}

TEST_CASE("ArrayDataset and SequenceDataset gather observations in order") {
  const Array x = Array(Tensor::fromValues(Shape{2, 3}, std::span<const float>(std::vector<float>{1, 2, 3, 4, 5, 6})), "CB");
  ArrayDataset data(x, oneHot({0, 1, 2}, 3));
  const Batch b = data.batch(std::vector<int64_t>{2, 0});
  CHECK(b.inputs.toVector() == std::vector<float>{5, 6, 1, 2});
  CHECK(b.targets.toVector() == std::vector<float>{0, 0, 1, 1, 0, 0});
  CHECK_THROWS_WITH_AS(data.batch(std::vector<int64_t>{3}), doctest::Contains("index 3 is outside [0, 3)"), Error);

  // Sequences of 2 channels with lengths 1 and 3, padded on the right.
  std::vector<Tensor> seqs = {Tensor::fromValues(Shape{2, 1}, std::span<const float>(std::vector<float>{1, 2})),
                              Tensor::fromValues(Shape{2, 3}, std::span<const float>(std::vector<float>{3, 4, 5, 6, 7, 8}))};
  SequenceDataset sequences(seqs, oneHot({1, 0}, 2));
  const Batch s = sequences.batch(std::vector<int64_t>{0, 1});
  CHECK(s.inputs.format().str() == "CBT");
  CHECK(s.inputs.shape() == Shape{2, 2, 3});
  // (c, b, t): t = 0: [1 2 | 3 4], t = 1: [0 0 | 5 6], t = 2: [0 0 | 7 8]
  CHECK(s.inputs.toVector() == std::vector<float>{1, 2, 3, 4, 0, 0, 5, 6, 0, 0, 7, 8});
}

TEST_CASE("lossAndGradients gives every learnable the finite-difference gradient of the loss") {
  Network net = mlp(3);
  const ArrayDataset data = clusters(6, 1);
  const Batch batch = data.all();
  TrainingOptions options;
  const LossAndGradients lg = lossAndGradients(net, batch, options, false);
  const std::vector<LearnableRef> refs = learnables(net);
  REQUIRE(lg.gradients.size() == refs.size());
  // Central differences on a few entries of every learnable (float32 network: h = 1e-2 and a
  // tolerance of a few float32 rounding steps of the loss).
  for (size_t i = 0; i < refs.size(); ++i) {
    Array& w = net.layer(refs[i].layer).learnables()[refs[i].index].value;
    const Tensor original = w.value();
    for (int64_t k = 0; k < std::min<int64_t>(original.numel(), 4); ++k) {
      auto lossWith = [&](double delta) {
        Tensor changed = original.clone();
        changed.data<float>()[k] += static_cast<float>(delta);
        w = Array(changed, w.format());
        return lossAndGradients(net, batch, options, false).loss.item();
      };
      const double numeric = (lossWith(1e-2) - lossWith(-1e-2)) / 2e-2;
      w = Array(original, w.format());
      CHECK_MESSAGE(lg.gradients[i].value().at(k) == doctest::Approx(numeric).epsilon(2e-3).scale(1e-4),
                    learnableName(net, refs[i]), "[", k, "]");
    }
  }
  CHECK(lg.outputs.shape() == Shape{3, 6});  // probabilities, after the softmax
  CHECK_FALSE(net.layer("fc_1").learnable("Weights").isTraced());
}

TEST_CASE("training a small network lowers its loss, reproducibly from the seed") {
  const ArrayDataset train = clusters(300, 4), validation = clusters(90, 5);
  TrainingOptions options{.solver = Solver::Sgdm, .learnRate = 0.05, .epochs = 8, .miniBatchSize = 16, .seed = 9,
                          .validation = &validation};
  std::ostringstream progress;
  options.progress = &progress;
  Network net = mlp(1, true);
  const Metrics before = evaluateNetwork(net, validation, options);
  const TrainingReport report = trainNetwork(net, train, options);
  REQUIRE(report.epochs.size() == 8);
  CHECK(report.epochs.back().validation.loss < 0.25 * before.loss);
  CHECK(report.epochs.back().validation.accuracy > 0.95);
  CHECK(report.epochs.back().iterations == 8 * 19);
  CHECK(std::isnan(report.epochs.back().training.rmse));
  // One header line and one line per epoch.
  const std::string text = progress.str();
  CHECK(text.find("training: 300 observations, mini-batches of 16 (19 iterations per epoch)") == 0);
  CHECK(text.find("epoch 8/8  loss ") != std::string::npos);
  CHECK(text.find("| validation loss ") != std::string::npos);
  // Batch normalisation's running statistics moved from their initial 0 and 1.
  CHECK(net.layer("bn").state("TrainedMean").toVector() != std::vector<float>(16, 0.0f));

  // The same seed gives the same network; another seed (another batch order) does not.
  Network again = mlp(1, true);
  options.progress = nullptr;
  trainNetwork(again, train, options);
  CHECK(allLearnables(again) == allLearnables(net));
  Network other = mlp(1, true);
  options.seed = 10;
  trainNetwork(other, train, options);
  CHECK(allLearnables(other) != allLearnables(net));
}

TEST_CASE("a regression network trains with meanSquaredError and reports RMSE") {
  // y = 2·x0 − x1 + 0.5, fit by one fully connected layer.
  Random rng(2);
  const int64_t n = 200;
  Tensor x(Shape{2, n}), y(Shape{1, n});
  for (int64_t i = 0; i < n; ++i) {
    const double a = rng.uniform(-1, 1), b = rng.uniform(-1, 1);
    x.data<float>()[2 * i] = static_cast<float>(a);
    x.data<float>()[2 * i + 1] = static_cast<float>(b);
    y.data<float>()[i] = static_cast<float>(2 * a - b + 0.5);
  }
  const ArrayDataset data(Array(x, "CB"), Array(y, "CB"));
  Network net;
  net.add(std::make_shared<FeatureInputLayer>("input", FeatureInputOptions{.channels = 2}));
  net.add(fullyConnectedLayer("fc", {.inputs = 2, .outputs = 1}, rng));
  net.initialize();
  const TrainingOptions options{.solver = Solver::Adam, .learnRate = 0.05, .epochs = 40, .miniBatchSize = 20,
                                .loss = Loss::MeanSquaredError};
  const TrainingReport report = trainNetwork(net, data, options);
  CHECK(report.epochs.back().training.rmse < 0.01);
  CHECK(std::isnan(report.epochs.back().training.accuracy));
  test::expectValues(net.layer("fc").learnable("Weights"), {2, -1}, 1e-2);
  test::expectValues(net.layer("fc").learnable("Bias"), {0.5}, 1e-2);
}

TEST_CASE("a trained network exports to ONNX and imports with the same predictions") {
  const ArrayDataset train = clusters(60, 6);
  Network net = mlp(2, true);
  trainNetwork(net, train, {.learnRate = 0.05, .epochs = 2, .miniBatchSize = 16});
  test::TempDir dir("training_export");
  const std::string path = dir.file("net.onnx");
  onnx::exportNetwork(net, path);
  const Network again = onnx::importNetwork(path);
  const Batch all = train.all();
  const std::vector<float> expected = net.predict(all.inputs).toVector();
  test::expectValues(again.predict(all.inputs), std::vector<double>(expected.begin(), expected.end()), 1e-5);
}

TEST_CASE("trainNetwork reports bad options and data clearly") {
  Network net = mlp(1);
  const ArrayDataset data = clusters(30, 1);
  CHECK_THROWS_WITH_AS(trainNetwork(net, data, {.epochs = 0}), doctest::Contains("epochs must be positive"), Error);
  CHECK_THROWS_WITH_AS(trainNetwork(net, data, {.lossLayer = "nope"}), doctest::Contains("nope"), Error);
  const ArrayDataset wrongTargets(data.all().inputs, oneHot(std::vector<int64_t>(30, 0), 4));
  CHECK_THROWS_WITH_AS(trainNetwork(net, wrongTargets, {}), doctest::Contains("the targets have size 4x30"), Error);
  // The failed step left no tape history on the learnables.
  CHECK(net.layer("fc_1").learnable("Weights").node() == nullptr);
  CHECK_THROWS_WITH_AS(trainNetwork(net, data, {.learnRate = 1e30, .epochs = 3}), doctest::Contains("lower the learning rate"),
                       Error);
}
