// Training: the loop MATLAB's trainNetwork (or a custom dlfeval/dlgradient loop) runs, over
// dlcam's tape.
//
//   TrainingOptions options{.solver = Solver::Adam, .learnRate = 1e-3, .epochs = 8, .miniBatchSize = 128,
//                           .seed = 1, .validation = &testSet};
//   TrainingReport report = trainNetwork(net, trainSet, options);   // net is updated in place
//   onnx::exportNetwork(net, "model.onnx");
//
// One iteration: take the next mini-batch (shuffled every epoch from the seed), run the
// network forward in training mode (dropout drops, batch normalisation uses the batch's
// statistics) while a Tape watches every learnable, take the loss, get d loss / d learnable
// for all learnables with one gradient() call, store the batch-norm running statistics the
// forward pass computed, and let the optimiser step. After each epoch a progress line is
// written (loss, accuracy or RMSE, validation numbers, learning rate, time).
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "layers/network.h"
#include "training/dataset.h"

namespace dlcam {

enum class Loss {
  // Classification: targets are one-hot. (A "CBT" output with T = 1, as global pooling over
  // time leaves a sequence network, is taken as "CB".) When the loss layer is a softmax layer, the loss is
  // softmaxCrossEntropy of the softmax's input (the same value, computed stably); otherwise
  // crossEntropy of the loss layer's output.
  CrossEntropy,
  // Regression: meanSquaredError of the loss layer's output.
  MeanSquaredError,
};

enum class Solver { Sgdm, Adam };

struct TrainingOptions {
  Solver solver = Solver::Sgdm;
  double learnRate = 0.01;
  double momentum = 0.9;               // Sgdm
  double gradientDecay = 0.9;          // Adam β1
  double squaredGradientDecay = 0.999;  // Adam β2
  double epsilon = 1e-8;               // Adam
  double l2Regularization = 0;         // on "Weights" learnables
  // Piecewise schedule: the learning rate is multiplied by learnRateDropFactor after every
  // learnRateDropPeriod epochs (0: constant).
  int learnRateDropPeriod = 0;
  double learnRateDropFactor = 0.1;

  int epochs = 10;
  int64_t miniBatchSize = 128;  // the last batch of an epoch may be smaller; a batch of one
                                 // observation is skipped when the network has batch norm
  bool shuffle = true;          // a new order every epoch
  uint64_t seed = 0;            // shuffling and dropout masks

  Loss loss = Loss::CrossEntropy;
  // The layer whose output the loss is taken on; empty: the network's output layer.
  std::string lossLayer{};

  // Evaluated in inference mode after every epoch when set.
  const Dataset* validation = nullptr;
  // Where progress lines go; nullptr for none.
  std::ostream* progress = nullptr;
  // Called after every epoch with its report (after the progress line).
  std::function<void(const struct EpochReport&)> onEpoch{};
};

// What a pass over a dataset measured. accuracy: classification (fraction of observations,
// or of time steps for a "CBT" output with T > 1, whose largest output is the target's
// largest entry); rmse: regression (root mean square of
// output − target over all elements). The other is NaN.
struct Metrics {
  double loss = 0;
  double accuracy = 0;
  double rmse = 0;
};

struct EpochReport {
  int epoch = 0;             // 1-based
  int64_t iterations = 0;    // in total so far
  double learnRate = 0;      // used during this epoch
  Metrics training;          // averaged over the epoch's mini-batches, in training mode
  Metrics validation;        // NaN when no validation set is given
  double seconds = 0;        // this epoch's wall time, validation included
};

struct TrainingReport {
  std::vector<EpochReport> epochs;
};

// Trains the initialized network in place. (Network copies share their layers: training a
// copy trains the original too.) The same seed, data, options and thread count give the same
// network bit for bit; another thread count or CPU rounds sums differently. Throws dlcam::Error for options out of range, an
// empty dataset, a loss layer that does not exist, or targets whose size does not fit the
// loss layer's output.
TrainingReport trainNetwork(Network& net, const Dataset& data, const TrainingOptions& options);

// The loss, accuracy and RMSE of the network on a dataset in inference mode, in batches of
// options.miniBatchSize (uses loss, lossLayer and miniBatchSize only).
Metrics evaluateNetwork(const Network& net, const Dataset& data, const TrainingOptions& options);

// One step's worth of work, for custom training loops (MATLAB's modelLoss function under
// dlfeval): the loss of the batch, d loss / d learnable for every learnable in
// learnables(net) order, and the state updates (running statistics) of a training forward.
struct LossAndGradients {
  Array loss;                    // one element
  Array outputs;                 // the loss layer's output (after softmax for CrossEntropy)
  std::vector<Array> gradients;  // learnables(net) order
  std::vector<ForwardContext::StateUpdate> stateUpdates;
};
// `step` (with options.seed) chooses dropout's masks: pass the iteration number.
LossAndGradients lossAndGradients(Network& net, const Batch& batch, const TrainingOptions& options,
                                  bool training = true, uint64_t step = 0);

// Stores state updates (from a training forward) in the network's layers.
void applyStateUpdates(Network& net, const std::vector<ForwardContext::StateUpdate>& updates);

}  // namespace dlcam
