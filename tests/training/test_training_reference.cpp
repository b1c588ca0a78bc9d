// dlcam's training against PyTorch, an independent implementation: from the same weights and
// mini-batches, the loss, the gradient of every learnable, and every learnable and batch-norm
// statistic after two SGDM steps (with L2 regularisation) and two Adam steps must be PyTorch's.
// The reference was computed by tools/make_training_reference.py (which describes the net and
// the files) and committed in tests/fixtures/training/, so these tests need neither Python
// nor torch. Then a small net trained from scratch on a separable problem must learn it.
//
// Both sides compute in float64: the learnables, inputs and targets are float64 here, and every
// layer, loss and optimiser keeps its inputs' dtype. What is left is the order of summation
// (GEMMs, batch statistics), worth a few units of 1e-16 relative per operation: through two
// convolutions, two batch normalisations and two optimiser steps the largest difference is
// below 1e-11 relative, and the tolerance is 1e-9. A wrong convention moves some value by far
// more: no L2 term (5e-5 relative), momentum off (7e-2), Adam's ε added before the bias
// correction as MATLAB does (6e-4), a variance decay of 0.11 instead of 0.1 (1e-2).
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/random.h"
#include "dlcam.h"
#include "tests/support/gradcheck.h"
#include "tests/support/paths.h"
#include "training/initializers.h"
#include "training/loss.h"
#include "training/optimizer.h"
#include "training/trainer.h"

using namespace dlcam;
using dlcam::test::expectClose;

namespace {

namespace fs = std::filesystem;

constexpr double kRtol = 1e-9;
constexpr double kAtol = 1e-12;
constexpr int64_t kClasses = 5;
// The script's optimisers.
constexpr double kSgdmLearnRate = 0.05, kMomentum = 0.9, kL2 = 1e-3;
constexpr double kAdamLearnRate = 0.01;

// This file is tests/training/<name>.cpp; the fixtures are in tests/fixtures/training/.
fs::path fixtureDir() { return test::fixturesDir() / "training"; }

bool haveFixtures() {
  if (fs::exists(fixtureDir() / "classification" / "initial" / "conv_1.Weights.npy")) return true;
  MESSAGE("DLCAM_SKIPPED: no training fixtures in " << fixtureDir().string()
                                                    << " (tools/make_training_reference.py writes them)");
  return false;
}

// The files are in dlcam's index order (see the script): no permute.
Tensor load(const fs::path& file) { return readNpy(file.string(), NpyIndexing::Same); }

// "conv_1/Weights" → "conv_1.Weights.npy", the script's file names.
fs::path fileOf(const fs::path& folder, const Layer& layer, const Parameter& p) {
  return folder / (layer.name() + "." + p.name + ".npy");
}

// dlcam's copy of the script's SmallNet, with the learnables and states stored in `folder`:
// conv_1 → batchnorm_1 → relu_1 → maxpool → conv_2 → batchnorm_2 → relu_2 → gap → fc, then a
// softmax for classification (PyTorch's CrossEntropyLoss takes the scores; dlcam's trainer
// takes the loss at the softmax's input, the same value).
Network smallNet(const fs::path& folder, bool classification) {
  auto value = [&](const std::string& name) { return Array(load(folder / (name + ".npy"))); };
  // epsilon 1e-5 and decays 0.1 are the defaults of both sides (PyTorch's momentum 0.1).
  auto batchNorm = [&](const std::string& name) {
    return std::make_shared<BatchNormalizationLayer>(
        name, BatchNormalizationOptions{.offset = value(name + ".Offset"),
                                        .scale = value(name + ".Scale"),
                                        .trainedMean = value(name + ".TrainedMean"),
                                        .trainedVariance = value(name + ".TrainedVariance")});
  };
  auto convolution = [&](const std::string& name) {
    return std::make_shared<ConvolutionLayer>(
        name, ConvolutionOptions{.weights = value(name + ".Weights"),
                                 .conv = {.padding = ConvPadding::explicitPad({1}, {1})}});
  };
  Network net;
  net.add(std::make_shared<ImageInputLayer>("input", ImageInputOptions{.size = {12, 12, 3}}));
  net.add(convolution("conv_1"));
  net.add(batchNorm("batchnorm_1"));
  net.add(std::make_shared<ReluLayer>("relu_1"));
  net.add(std::make_shared<MaxPoolingLayer>("maxpool", PoolingOptions{.pool = {.size = {2}, .stride = {2}}}));
  net.add(convolution("conv_2"));
  net.add(batchNorm("batchnorm_2"));
  net.add(std::make_shared<ReluLayer>("relu_2"));
  net.add(std::make_shared<GlobalAveragePoolingLayer>("gap", 2));
  net.add(std::make_shared<FullyConnectedLayer>(
      "fc", FullyConnectedOptions{.weights = value("fc.Weights"), .bias = value("fc.Bias")}));
  if (classification) net.add(std::make_shared<SoftmaxLayer>("softmax"));
  net.initialize();
  return net;
}

// Mini-batch k (1 or 2): inputs 12×12×3×8 "SSCB"; targets one-hot 5×8 or responses 1×8 "CB",
// all float64.
Batch loadBatch(int k, bool classification) {
  const fs::path folder = fixtureDir() / ("batch_" + std::to_string(k));
  Batch batch{Array(load(folder / "inputs.npy"), "SSCB"), Array()};
  if (classification) {
    const Tensor labels = load(folder / "labels.npy");
    std::vector<int64_t> classes;
    for (int64_t i = 0; i < labels.numel(); ++i) classes.push_back(static_cast<int64_t>(labels.at(i)));
    batch.targets = Array(oneHot(classes, kClasses).value().to(DType::Float64), "CB");
  } else {
    batch.targets = Array(load(folder / "responses.npy"), "CB");
  }
  return batch;
}

// Both mini-batches as one dataset of 16 observations, batch 1 first.
ArrayDataset bothBatches(bool classification) {
  const Batch a = loadBatch(1, classification), b = loadBatch(2, classification);
  return ArrayDataset(concat({a.inputs, b.inputs}, 3), concat({a.targets, b.targets}, 1));
}

// Every learnable and state of `net` against the script's files in `folder`; all twelve must
// be there and still be float64.
void expectNetworkIs(const Network& net, const fs::path& folder, const std::string& what) {
  int compared = 0;
  for (size_t i = 0; i < net.numLayers(); ++i) {
    const Layer& layer = net.layer(i);
    for (const auto* parameters : {&layer.learnables(), &layer.states()})
      for (const Parameter& p : *parameters) {
        CHECK(p.value.dtype() == DType::Float64);
        expectClose(p.value.value(), load(fileOf(folder, layer, p)), kRtol, kAtol,
                    what + ": " + layer.name() + "/" + p.name);
        ++compared;
      }
  }
  CHECK(compared == 12);
}

TrainingOptions sgdmOptions(Loss loss) {
  return {.solver = Solver::Sgdm,
          .learnRate = kSgdmLearnRate,
          .momentum = kMomentum,
          .l2Regularization = kL2,
          .loss = loss};
}
TrainingOptions adamOptions() { return {.solver = Solver::Adam, .learnRate = kAdamLearnRate}; }

// The two steps as a custom training loop would take them: lossAndGradients, store the running
// statistics, let the optimiser step. Each loss is checked before its step, the whole network
// after it.
void checkTwoSteps(const fs::path& caseDir, const std::string& run, bool classification, Optimizer& optimizer,
                   const TrainingOptions& options) {
  Network net = smallNet(caseDir / "initial", classification);
  const Tensor losses = load(caseDir / run / "losses.npy");
  for (int k = 1; k <= 2; ++k) {
    CAPTURE(k);
    LossAndGradients step = lossAndGradients(net, loadBatch(k, classification), options);
    CHECK(step.loss.item() == doctest::Approx(losses.at(k - 1)).epsilon(kRtol));
    applyStateUpdates(net, step.stateUpdates);
    optimizer.update(net, step.gradients);
    CHECK(optimizer.iteration() == k);
    expectNetworkIs(net, caseDir / run / ("step_" + std::to_string(k)), run + " step " + std::to_string(k));
  }
}

// The same two steps through trainNetwork: one epoch, no shuffling, batches of 8 over the 16
// observations. The epoch's training loss is the mean of the two batch losses.
void checkTrainNetwork(const fs::path& caseDir, const std::string& run, bool classification, TrainingOptions options) {
  Network net = smallNet(caseDir / "initial", classification);
  options.epochs = 1;
  options.miniBatchSize = 8;
  options.shuffle = false;
  const TrainingReport report = trainNetwork(net, bothBatches(classification), options);
  REQUIRE(report.epochs.size() == 1);
  CHECK(report.epochs[0].iterations == 2);
  const Tensor losses = load(caseDir / run / "losses.npy");
  CHECK(report.epochs[0].training.loss == doctest::Approx((losses.at(0) + losses.at(1)) / 2).epsilon(kRtol));
  expectNetworkIs(net, caseDir / run / "step_2", "trainNetwork " + run);
}

}  // namespace

TEST_CASE("Training against PyTorch: cross-entropy loss and the gradient of every learnable") {
  if (!haveFixtures()) return;
  const fs::path caseDir = fixtureDir() / "classification";
  Network net = smallNet(caseDir / "initial", true);
  const LossAndGradients r = lossAndGradients(net, loadBatch(1, true), sgdmOptions(Loss::CrossEntropy));

  CHECK(r.loss.dtype() == DType::Float64);
  CHECK(r.loss.item() == doctest::Approx(load(caseDir / "loss.npy").at(0)).epsilon(kRtol));
  const std::vector<LearnableRef> refs = learnables(net);
  REQUIRE(refs.size() == 8);
  REQUIRE(r.gradients.size() == refs.size());
  for (size_t i = 0; i < refs.size(); ++i) {
    const Layer& layer = net.layer(refs[i].layer);
    const Parameter& p = layer.learnables()[refs[i].index];
    expectClose(r.gradients[i].value(), load(fileOf(caseDir / "gradients", layer, p)), kRtol, kAtol,
                "gradient of " + learnableName(net, refs[i]));
  }
  // The outputs are the softmax of the scores: probabilities summing to 1 per observation.
  REQUIRE(r.outputs.shape() == Shape{kClasses, 8});
  for (int64_t n = 0; n < 8; ++n) {
    double total = 0;
    for (int64_t c = 0; c < kClasses; ++c) total += r.outputs.value().at(c + kClasses * n);
    CHECK(total == doctest::Approx(1.0).epsilon(1e-12));
  }
  // The running statistics after one training forward on batch 1 (the weights did not move, so
  // any step_1 folder has them): PyTorch's momentum 0.1 with the unbiased batch variance.
  REQUIRE(r.stateUpdates.size() == 4);
  applyStateUpdates(net, r.stateUpdates);
  for (const char* layerName : {"batchnorm_1", "batchnorm_2"}) {
    const Layer& layer = net.layer(layerName);
    for (const Parameter& p : layer.states())
      expectClose(p.value.value(), load(fileOf(caseDir / "sgdm" / "step_1", layer, p)), kRtol, kAtol,
                  "running statistic " + layer.name() + "/" + p.name);
  }
}

TEST_CASE("Training against PyTorch: two SGDM steps with L2 regularisation of the weights") {
  if (!haveFixtures()) return;
  // PyTorch: b ← 0.9·b + (g + λw) (b = g + λw at step 1), w ← w − 0.05·b, with λ = 1e-3 on the
  // conv and fully connected weights only.
  Sgdm sgdm({.learnRate = kSgdmLearnRate, .momentum = kMomentum, .l2Regularization = kL2});
  checkTwoSteps(fixtureDir() / "classification", "sgdm", true, sgdm, sgdmOptions(Loss::CrossEntropy));
}

TEST_CASE("Training against PyTorch: two Adam steps") {
  if (!haveFixtures()) return;
  Adam adam({.learnRate = kAdamLearnRate});
  checkTwoSteps(fixtureDir() / "classification", "adam", true, adam, adamOptions());
}

TEST_CASE("Training against PyTorch: trainNetwork takes the same two steps, SGDM, Adam and regression") {
  if (!haveFixtures()) return;
  checkTrainNetwork(fixtureDir() / "classification", "sgdm", true, sgdmOptions(Loss::CrossEntropy));
  checkTrainNetwork(fixtureDir() / "classification", "adam", true, adamOptions());
  checkTrainNetwork(fixtureDir() / "regression", "sgdm", false, sgdmOptions(Loss::MeanSquaredError));
}

TEST_CASE("Training against PyTorch: half mean squared error of a regression head") {
  if (!haveFixtures()) return;
  const fs::path caseDir = fixtureDir() / "regression";
  Network net = smallNet(caseDir / "initial", false);
  const LossAndGradients r = lossAndGradients(net, loadBatch(1, false), sgdmOptions(Loss::MeanSquaredError));
  // dlcam's meanSquaredError is MATLAB's mse, (1/(2N)) Σ (y − t)²; PyTorch's MSELoss over the
  // N×1 predictions is (1/N) Σ (y − t)², twice as much. The fixture holds PyTorch's values, so
  // the loss and every gradient here must be half of them.
  CHECK(2 * r.loss.item() == doctest::Approx(load(caseDir / "loss.npy").at(0)).epsilon(kRtol));
  const std::vector<LearnableRef> refs = learnables(net);
  REQUIRE(r.gradients.size() == 8);
  for (size_t i = 0; i < refs.size(); ++i) {
    const Layer& layer = net.layer(refs[i].layer);
    const Parameter& p = layer.learnables()[refs[i].index];
    const Tensor twice = (r.gradients[i] * 2.0).value();
    expectClose(twice, load(fileOf(caseDir / "gradients", layer, p)), kRtol, kAtol,
                "twice the gradient of " + learnableName(net, refs[i]));
  }
  // The script's steps minimise 0.5·MSELoss, dlcam's loss itself: the steps must agree as they stand.
  Sgdm sgdm({.learnRate = kSgdmLearnRate, .momentum = kMomentum, .l2Regularization = kL2});
  checkTwoSteps(caseDir, "sgdm", false, sgdm, sgdmOptions(Loss::MeanSquaredError));
}

namespace {

// A tiny separable problem: 12×12×3 noise images (σ 0.3); classes 0, 1 and 2 have a bright 3×3
// square (+2) at a random place in channel 0, 1 or 2, class 3 has none. Float32, as a real
// training run.
ArrayDataset markedImages(int64_t count, Random& rng) {
  constexpr int64_t h = 12, w = 12, c = 3;
  Tensor images(Shape{h, w, c, count});
  float* v = images.data<float>();
  std::vector<int64_t> classes;
  for (int64_t n = 0; n < count; ++n) {
    float* image = v + h * w * c * n;
    for (int64_t i = 0; i < h * w * c; ++i) image[i] = static_cast<float>(rng.normal(0.0, 0.3));
    const int64_t k = n % 4;
    const int64_t top = rng.between(0, h - 3), left = rng.between(0, w - 3);
    if (k < 3)
      for (int64_t y = top; y < top + 3; ++y)
        for (int64_t x = left; x < left + 3; ++x) image[y + h * (x + w * k)] += 2.0f;
    classes.push_back(k);
  }
  return ArrayDataset(Array(images, "SSCB"), oneHot(classes, 4));
}

}  // namespace

TEST_CASE("Training: a small net's loss falls on a separable problem") {
  Random rng(2024);
  Network net;
  net.add(std::make_shared<ImageInputLayer>("input", ImageInputOptions{.size = {12, 12, 3}}));
  net.add(convolutionLayer(
      "conv_1", {.filterSize = {3, 3}, .channels = 3, .filters = 8, .conv = {.padding = ConvPadding::same()}}, rng));
  net.add(batchNormalizationLayer("batchnorm_1", 8));
  net.add(std::make_shared<ReluLayer>("relu_1"));
  net.add(std::make_shared<MaxPoolingLayer>("maxpool", PoolingOptions{.pool = {.size = {2}, .stride = {2}}}));
  net.add(convolutionLayer(
      "conv_2", {.filterSize = {3, 3}, .channels = 8, .filters = 8, .conv = {.padding = ConvPadding::same()}}, rng));
  net.add(batchNormalizationLayer("batchnorm_2", 8));
  net.add(std::make_shared<ReluLayer>("relu_2"));
  net.add(std::make_shared<GlobalAveragePoolingLayer>("gap", 2));
  net.add(fullyConnectedLayer("fc", {.inputs = 8, .outputs = 4}, rng));
  net.add(std::make_shared<SoftmaxLayer>("softmax"));
  net.initialize();

  const ArrayDataset data = markedImages(48, rng);
  // 10 epochs of 3 mini-batches: 30 iterations.
  TrainingOptions options{.learnRate = 0.1, .epochs = 10, .miniBatchSize = 16, .seed = 5};
  const Metrics before = evaluateNetwork(net, data, options);
  const TrainingReport report = trainNetwork(net, data, options);
  const Metrics after = evaluateNetwork(net, data, options);
  REQUIRE(report.epochs.size() == 10);
  CHECK(report.epochs.back().iterations == 30);
  INFO("loss " << before.loss << " -> " << after.loss << ", accuracy " << before.accuracy << " -> " << after.accuracy
               << "; training loss by epoch " << report.epochs.front().training.loss << " -> "
               << report.epochs.back().training.loss);
  // Four balanced classes: an untrained net is near chance, log 4 ≈ 1.39.
  CHECK(before.loss > 1.0);
  // Here it falls 30-fold; with other seeds for the data and the weights (1, 2, 3, 7, 11) 4.5-fold
  // to 30-fold, always to an accuracy of 0.98 or 1. The bounds hold for all of them.
  CHECK(after.loss < before.loss / 4);
  CHECK(after.accuracy >= 0.95);
  CHECK(report.epochs.back().training.loss < report.epochs.front().training.loss / 3);
}
