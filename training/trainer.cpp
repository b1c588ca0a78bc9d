#include "training/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numeric>
#include <ostream>

#include "autodiff/shape_ops.h"
#include "autodiff/softmax.h"
#include "autodiff/tape.h"
#include "core/device.h"
#include "core/error.h"
#include "core/random.h"
#include "layers/norm_layers.h"
#include "layers/simple_layers.h"
#include "training/loss.h"
#include "training/optimizer.h"

namespace dlcam {

namespace {

// A sequence network whose time dimension was pooled away ("CBT" with T = 1, as global
// pooling over time leaves it) meets "CB" targets as "CB": MATLAB's pooling layer drops T.
Array withTargetLayout(const Array& outputs, const Array& targets) {
  if (outputs.format().str() == "CBT" && targets.format().str() == "CB" && outputs.size(2) == 1)
    return reshape(outputs, Shape{outputs.size(0), outputs.size(1)}, "CB");
  return outputs;
}

void checkTargets(const Array& outputs, const Array& targets, const std::string& layer) {
  if (outputs.shape() != targets.shape() || outputs.format() != targets.format())
    fail("training: the targets have size ", targets.shape().str(), " \"", targets.format().str(), "\", but layer '",
         layer, "' gives ", outputs.shape().str(), " \"", outputs.format().str(),
         "\": they must match (one-hot columns for classes, one column of responses per observation)");
  if (outputs.format().str().front() != 'C')
    fail("training: the loss needs an output with C as its first dimension (\"CB\", \"CBT\"), layer '", layer,
         "' gives \"", outputs.format().str(), "\"; end the network with a fully connected or global pooling layer");
}

// Where the loss is taken and how: for cross-entropy after a softmax layer, at the softmax's
// input, so the loss can be computed from scores (softmaxCrossEntropy). Training and
// evaluation both go through it.
struct LossPoint {
  std::string layer;        // the layer whose output forward returns
  bool fromScores = false;  // softmaxCrossEntropy of that output
  Loss loss = Loss::CrossEntropy;

  // The layer's output in the targets' layout; throws when they do not fit.
  Array fitted(const Array& output, const Array& targets) const {
    Array out = withTargetLayout(output, targets);
    checkTargets(out, targets, layer);
    return out;
  }
  // The loss of a fitted output (recorded on the tape when the output is traced).
  Array lossOf(const Array& out, const Array& targets) const {
    if (fromScores) return softmaxCrossEntropy(out, targets);
    return loss == Loss::CrossEntropy ? crossEntropy(out, targets) : meanSquaredError(out, targets);
  }
  // What the metrics see: probabilities when the loss was taken at the scores. Untraced.
  Array outputsOf(const Array& out) const { return fromScores ? softmax(out.detached()) : out.detached(); }
};

LossPoint lossPoint(const Network& net, const TrainingOptions& options) {
  const std::string name = options.lossLayer.empty() ? net.outputLayer().name() : net.layer(options.lossLayer).name();
  if (options.loss == Loss::CrossEntropy && dynamic_cast<const SoftmaxLayer*>(&net.layer(name)) != nullptr)
    return {net.inputsOf(name).at(0), true, options.loss};
  return {name, false, options.loss};
}

// Accumulates loss, correct classifications and squared errors over batches.
struct MetricsSum {
  double loss = 0, squaredError = 0;
  int64_t observations = 0, correct = 0, elements = 0, positions = 0;

  void add(double batchLoss, const Array& outputs, const Array& targets) {
    const int64_t n = targets.size(targets.format().find('B'));
    loss += batchLoss * static_cast<double>(n);
    observations += n;
    const Tensor y = outputs.value().to(DType::Float64), t = targets.value().to(DType::Float64);
    const double* yv = y.data<double>();
    const double* tv = t.data<double>();
    for (int64_t i = 0; i < y.numel(); ++i) squaredError += (yv[i] - tv[i]) * (yv[i] - tv[i]);
    elements += y.numel();
    // Classification: per position (every combination of the non-C dimensions), is the
    // largest output where the target is largest? C is the first dimension of "CB"/"CBT".
    const int64_t c = y.shape()[0];
    for (int64_t p = 0; p < y.numel() / c; ++p) {
      int64_t best = 0, want = 0;
      for (int64_t k = 1; k < c; ++k) {
        if (yv[p * c + k] > yv[p * c + best]) best = k;
        if (tv[p * c + k] > tv[p * c + want]) want = k;
      }
      correct += best == want;
      ++positions;
    }
  }

  Metrics result(Loss kind) const {
    const double nan = std::nan("");
    Metrics m{loss / static_cast<double>(observations), nan, nan};
    if (kind == Loss::CrossEntropy)
      m.accuracy = static_cast<double>(correct) / static_cast<double>(positions);
    else
      m.rmse = std::sqrt(squaredError / static_cast<double>(elements));
    return m;
  }
};

std::unique_ptr<Optimizer> makeOptimizer(const TrainingOptions& o) {
  if (o.solver == Solver::Adam)
    return std::make_unique<Adam>(AdamOptions{.learnRate = o.learnRate,
                                              .gradientDecay = o.gradientDecay,
                                              .squaredGradientDecay = o.squaredGradientDecay,
                                              .epsilon = o.epsilon,
                                              .l2Regularization = o.l2Regularization});
  return std::make_unique<Sgdm>(
      SgdmOptions{.learnRate = o.learnRate, .momentum = o.momentum, .l2Regularization = o.l2Regularization});
}

std::string formatMetrics(const Metrics& m, Loss kind) {
  char text[96];
  if (kind == Loss::CrossEntropy)
    std::snprintf(text, sizeof text, "loss %.4f  accuracy %6.2f %%", m.loss, 100.0 * m.accuracy);
  else
    std::snprintf(text, sizeof text, "loss %.4f  RMSE %.4f", m.loss, m.rmse);
  return text;
}

}  // namespace

LossAndGradients lossAndGradients(Network& net, const Batch& batch, const TrainingOptions& options, bool training,
                                  uint64_t step) {
  const LossPoint point = lossPoint(net, options);
  const std::vector<LearnableRef> refs = learnables(net);
  // However this function ends, the learnables go back to plain values: nothing of this tape
  // stays attached to the network.
  struct Detach {
    Network& net;
    const std::vector<LearnableRef>& refs;
    ~Detach() {
      for (const LearnableRef& ref : refs) {
        Array& value = net.layer(ref.layer).learnables()[ref.index].value;
        value = value.detached();
      }
    }
  } detachAtEnd{net, refs};
  Tape tape;
  std::vector<Array> watched;
  for (const LearnableRef& ref : refs) {
    Array& value = net.layer(ref.layer).learnables()[ref.index].value;
    tape.watch(value);
    watched.push_back(value);
  }
  // Dropout's masks: a function of the run's seed and the step, so each step draws new ones.
  const uint64_t seed = options.seed * 0x9E3779B97F4A7C15ull + step;
  ForwardResult r = net.forward(batch.inputs, {.outputs = {point.layer}, .training = training, .seed = seed});
  const Array out = point.fitted(r.outputs[0], batch.targets);

  LossAndGradients result;
  result.loss = point.lossOf(out, batch.targets);
  result.outputs = point.outputsOf(out);
  result.gradients = tape.gradient(result.loss, watched);
  result.loss = result.loss.detached();
  result.stateUpdates = std::move(r.stateUpdates);
  return result;
}

void applyStateUpdates(Network& net, const std::vector<ForwardContext::StateUpdate>& updates) {
  for (const ForwardContext::StateUpdate& u : updates) {
    Layer& layer = net.layer(u.layer);
    bool found = false;
    for (Parameter& p : layer.states())
      if (p.name == u.state) {
        if (p.value.numel() != u.value.numel())
          fail("applyStateUpdates: state ", u.layer, "/", u.state, " has ", p.value.numel(), " values, the update ",
               u.value.numel());
        p.value = Array(u.value.to(p.value.dtype()).reshaped(p.value.shape()), p.value.format());
        found = true;
      }
    if (!found) fail("applyStateUpdates: layer '", u.layer, "' has no state '", u.state, "'");
  }
}

Metrics evaluateNetwork(const Network& net, const Dataset& data, const TrainingOptions& options) {
  if (net.device() != Device::CPU)
    fail("evaluateNetwork: evaluation runs on the CPU, but the network is on the GPU; move it with Network::to(Device::CPU)");
  if (options.miniBatchSize <= 0) fail("evaluateNetwork: miniBatchSize must be positive, got ", options.miniBatchSize);
  const LossPoint point = lossPoint(net, options);
  MetricsSum sum;
  std::vector<int64_t> indices;
  for (int64_t first = 0; first < data.size(); first += options.miniBatchSize) {
    indices.resize(static_cast<size_t>(std::min(options.miniBatchSize, data.size() - first)));
    std::iota(indices.begin(), indices.end(), first);
    const Batch batch = data.batch(indices);
    const Array out = point.fitted(net.predict(batch.inputs, {point.layer})[0], batch.targets);
    PauseRecording noTape;
    sum.add(point.lossOf(out, batch.targets).item(), point.outputsOf(out), batch.targets);
  }
  return sum.result(options.loss);
}

TrainingReport trainNetwork(Network& net, const Dataset& data, const TrainingOptions& options) {
  if (net.device() != Device::CPU)
    fail("trainNetwork: training runs on the CPU, but the network is on the GPU; move it with Network::to(Device::CPU)");
  if (!net.initialized()) fail("trainNetwork: the network is not initialized; call initialize() first");
  if (options.epochs <= 0) fail("trainNetwork: epochs must be positive, got ", options.epochs);
  if (options.miniBatchSize <= 0) fail("trainNetwork: miniBatchSize must be positive, got ", options.miniBatchSize);
  if (options.learnRateDropPeriod < 0 || !(options.learnRateDropFactor > 0))
    fail("trainNetwork: learnRateDropPeriod must be >= 0 and learnRateDropFactor positive, got ",
         options.learnRateDropPeriod, " and ", options.learnRateDropFactor);
  const int64_t n = data.size();
  if (n <= 0) fail("trainNetwork: the dataset is empty");
  lossPoint(net, options);  // a missing loss layer is reported before any work

  bool hasBatchNorm = false;
  for (size_t i = 0; i < net.numLayers(); ++i)
    hasBatchNorm |= dynamic_cast<const BatchNormalizationLayer*>(&net.layer(i)) != nullptr;

  std::unique_ptr<Optimizer> optimizer = makeOptimizer(options);
  Random rng(options.seed);
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  const int64_t perEpoch = (n + options.miniBatchSize - 1) / options.miniBatchSize;
  if (options.progress)
    *options.progress << "training: " << n << " observations, mini-batches of " << options.miniBatchSize << " ("
                      << perEpoch << " iterations per epoch), " << options.epochs << " epochs, "
                      << (options.solver == Solver::Adam ? "adam" : "sgdm") << ", learn rate " << options.learnRate
                      << "\n"
                      << std::flush;

  TrainingReport report;
  int64_t iterations = 0;
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    const int drops = options.learnRateDropPeriod > 0 ? (epoch - 1) / options.learnRateDropPeriod : 0;
    optimizer->setLearnRate(options.learnRate * std::pow(options.learnRateDropFactor, drops));
    if (options.shuffle) rng.shuffle(std::span<int64_t>(order));

    MetricsSum sum;
    for (int64_t first = 0; first < n; first += options.miniBatchSize) {
      const int64_t count = std::min(options.miniBatchSize, n - first);
      if (count == 1 && hasBatchNorm) continue;  // batch statistics of one observation are undefined
      const std::span<const int64_t> indices(order.data() + first, static_cast<size_t>(count));
      const Batch batch = data.batch(indices);
      LossAndGradients step = lossAndGradients(net, batch, options, true, static_cast<uint64_t>(iterations));
      const double loss = step.loss.item();
      if (!std::isfinite(loss))
        fail("trainNetwork: the loss became ", loss, " at epoch ", epoch, ", iteration ", iterations + 1,
             "; lower the learning rate (", optimizer->learnRate(), ") or check the data for NaN or Inf");
      applyStateUpdates(net, step.stateUpdates);
      optimizer->update(net, step.gradients);
      sum.add(loss, step.outputs, batch.targets);
      ++iterations;
    }

    EpochReport e;
    e.epoch = epoch;
    e.iterations = iterations;
    e.learnRate = optimizer->learnRate();
    e.training = sum.result(options.loss);
    const double nan = std::nan("");
    e.validation = options.validation ? evaluateNetwork(net, *options.validation, options) : Metrics{nan, nan, nan};
    e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    report.epochs.push_back(e);
    if (options.progress) {
      char head[64];
      std::snprintf(head, sizeof head, "epoch %*d/%d  ", static_cast<int>(std::to_string(options.epochs).size()), epoch,
                    options.epochs);
      *options.progress << head << formatMetrics(e.training, options.loss);
      if (options.validation) *options.progress << "  | validation " << formatMetrics(e.validation, options.loss);
      char tail[64];
      std::snprintf(tail, sizeof tail, "  | learn rate %.3g  %.1f s", e.learnRate, e.seconds);
      *options.progress << tail << "\n" << std::flush;
    }
    if (options.onEpoch) options.onEpoch(e);
  }
  return report;
}

}  // namespace dlcam
