// Optimisers: the update rules that move a network's learnables against their gradients
// (MATLAB sgdmupdate and adamupdate; PyTorch torch.optim.SGD and Adam).
//
//   Sgdm sgdm({.learnRate = 0.01, .momentum = 0.9});
//   sgdm.update(net, gradients);   // gradients: one per learnable, in learnables(net) order
//
// An optimiser keeps its per-learnable state (velocity, moment estimates) between calls, in
// learnables(net) order; use one optimiser per network. Updates replace each learnable with a
// new array of the same shape, format and dtype, so arrays held elsewhere keep their values.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/array.h"
#include "layers/network.h"

namespace dlcam {

// Where a learnable lives: net.layer(layer).learnables()[index].
struct LearnableRef {
  size_t layer = 0;
  size_t index = 0;
};
// Every learnable of an initialized network, in execution order of the layers, then in each
// layer's own order ("Weights" before "Bias"...): the order gradients and optimisers use.
std::vector<LearnableRef> learnables(const Network& net);
// "conv_1/Weights"
std::string learnableName(const Network& net, const LearnableRef& ref);

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Applies one step: learnable i moves by its rule with gradients[i], which must have the
  // learnable's shape. Throws dlcam::Error naming the learnable when a gradient does not fit,
  // or when the network's learnables differ in number or shape from earlier calls.
  void update(Network& net, std::span<const Array> gradients);

  double learnRate() const { return learnRate_; }
  void setLearnRate(double learnRate);
  // Steps taken so far.
  int64_t iteration() const { return iteration_; }

 protected:
  explicit Optimizer(double learnRate);
  // Returns the new value of learnable `slot` (called `name`: "Weights", "Bias"...) from its
  // value w and gradient g. iteration() already counts this step.
  virtual Tensor step(size_t slot, const std::string& name, const Tensor& w, const Tensor& g) = 0;
  // Called once, on the first update, with the learnables' shapes: allocate state.
  virtual void start(const std::vector<Shape>& shapes) = 0;

  double learnRate_;
  int64_t iteration_ = 0;

 private:
  std::vector<Shape> shapes_;
};

struct SgdmOptions {
  double learnRate = 0.01;
  double momentum = 0.9;  // in [0, 1)
  // L2 regularisation of the "Weights" learnables (MATLAB's L2Regularization with bias and
  // normalisation factors 0; PyTorch's weight_decay on the weight tensors).
  double l2Regularization = 0;
};

// Stochastic gradient descent with momentum, MATLAB's sgdmupdate:
//   v ← momentum·v − learnRate·(g + λ·w);   w ← w + v
// which for a fixed learning rate is PyTorch's SGD (b ← momentum·b + g; w ← w − lr·b).
class Sgdm : public Optimizer {
 public:
  explicit Sgdm(const SgdmOptions& options = {});

 protected:
  Tensor step(size_t slot, const std::string& name, const Tensor& w, const Tensor& g) override;
  void start(const std::vector<Shape>& shapes) override;

 private:
  SgdmOptions options_;
  std::vector<Tensor> velocity_;
};

struct AdamOptions {
  double learnRate = 0.001;
  double gradientDecay = 0.9;          // β1
  double squaredGradientDecay = 0.999;  // β2
  double epsilon = 1e-8;
  double l2Regularization = 0;  // added to the "Weights" gradients, as Sgdm
};

// Adam (Kingma and Ba 2015), as PyTorch's Adam computes it, at iteration t ≥ 1:
//   m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²
//   w ← w − learnRate·(m / (1 − β1^t)) / (sqrt(v / (1 − β2^t)) + ε)
// (MATLAB's adamupdate adds ε to sqrt(v) before the bias correction: the same but for ε.)
class Adam : public Optimizer {
 public:
  explicit Adam(const AdamOptions& options = {});

 protected:
  Tensor step(size_t slot, const std::string& name, const Tensor& w, const Tensor& g) override;
  void start(const std::vector<Shape>& shapes) override;

 private:
  AdamOptions options_;
  std::vector<Tensor> m_, v_;
};

}  // namespace dlcam
