#include "training/optimizer.h"

#include <cmath>

#include "core/error.h"

namespace dlcam {

std::vector<LearnableRef> learnables(const Network& net) {
  if (!net.initialized()) fail("learnables: the network is not initialized; call initialize() first");
  std::vector<LearnableRef> refs;
  for (size_t i = 0; i < net.numLayers(); ++i)
    for (size_t j = 0; j < net.layer(i).learnables().size(); ++j) refs.push_back({i, j});
  return refs;
}

std::string learnableName(const Network& net, const LearnableRef& ref) {
  const Layer& layer = net.layer(ref.layer);
  return layer.name() + "/" + layer.learnables().at(ref.index).name;
}

Optimizer::Optimizer(double learnRate) : learnRate_(learnRate) { setLearnRate(learnRate); }

void Optimizer::setLearnRate(double learnRate) {
  if (!(learnRate > 0) || !std::isfinite(learnRate)) fail("Optimizer: the learning rate must be positive, got ", learnRate);
  learnRate_ = learnRate;
}

void Optimizer::update(Network& net, std::span<const Array> gradients) {
  const std::vector<LearnableRef> refs = learnables(net);
  if (gradients.size() != refs.size())
    fail("Optimizer::update: the network has ", refs.size(), " learnables but ", gradients.size(), " gradients were given");
  std::vector<Shape> shapes;
  for (size_t i = 0; i < refs.size(); ++i) {
    const Array& w = net.layer(refs[i].layer).learnables()[refs[i].index].value;
    if (!gradients[i].defined() || gradients[i].shape() != w.shape())
      fail("Optimizer::update: the gradient of ", learnableName(net, refs[i]), " has shape ",
           gradients[i].shape().str(), ", the learnable ", w.shape().str());
    shapes.push_back(w.shape());
  }
  if (iteration_ == 0) {
    shapes_ = shapes;
    start(shapes_);
  } else if (shapes != shapes_) {
    fail("Optimizer::update: the network's learnables changed since the first update (", shapes_.size(), " then, ",
         shapes.size(), " now, or other shapes); use a new optimizer for another network");
  }
  ++iteration_;
  for (size_t i = 0; i < refs.size(); ++i) {
    Parameter& p = net.layer(refs[i].layer).learnables()[refs[i].index];
    const Tensor& w = p.value.value();
    Tensor next = step(i, p.name, w, gradients[i].value().to(w.dtype()));
    p.value = Array(std::move(next), p.value.format());
  }
}

namespace {

// The coefficient of the L2 term for a learnable: only weights are regularised.
double l2For(const std::string& name, double l2) { return name == "Weights" ? l2 : 0.0; }

}  // namespace

Sgdm::Sgdm(const SgdmOptions& options) : Optimizer(options.learnRate), options_(options) {
  if (!(options.momentum >= 0 && options.momentum < 1)) fail("Sgdm: momentum must be in [0, 1), got ", options.momentum);
  if (!(options.l2Regularization >= 0)) fail("Sgdm: l2Regularization must be >= 0, got ", options.l2Regularization);
}

void Sgdm::start(const std::vector<Shape>& shapes) {
  velocity_.clear();
  for (const Shape& s : shapes) velocity_.emplace_back(s);
}

Tensor Sgdm::step(size_t slot, const std::string& name, const Tensor& w, const Tensor& g) {
  Tensor& velocity = velocity_[slot];
  if (velocity.dtype() != w.dtype()) velocity = velocity.to(w.dtype());
  Tensor next = Tensor::empty(w.shape(), w.dtype());
  const double lambda = l2For(name, options_.l2Regularization);
  visitFloat(w.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T momentum = static_cast<T>(options_.momentum), rate = static_cast<T>(learnRate_),
            l2 = static_cast<T>(lambda);
    const T* wv = w.data<T>();
    const T* gv = g.data<T>();
    T* vv = velocity.data<T>();
    T* out = next.data<T>();
    for (int64_t i = 0; i < w.numel(); ++i) {
      vv[i] = momentum * vv[i] - rate * (gv[i] + l2 * wv[i]);
      out[i] = wv[i] + vv[i];
    }
  });
  return next;
}

Adam::Adam(const AdamOptions& options) : Optimizer(options.learnRate), options_(options) {
  if (!(options.gradientDecay >= 0 && options.gradientDecay < 1))
    fail("Adam: gradientDecay must be in [0, 1), got ", options.gradientDecay);
  if (!(options.squaredGradientDecay >= 0 && options.squaredGradientDecay < 1))
    fail("Adam: squaredGradientDecay must be in [0, 1), got ", options.squaredGradientDecay);
  if (!(options.epsilon > 0)) fail("Adam: epsilon must be positive, got ", options.epsilon);
  if (!(options.l2Regularization >= 0)) fail("Adam: l2Regularization must be >= 0, got ", options.l2Regularization);
}

void Adam::start(const std::vector<Shape>& shapes) {
  m_.clear();
  v_.clear();
  for (const Shape& s : shapes) {
    m_.emplace_back(s);
    v_.emplace_back(s);
  }
}

Tensor Adam::step(size_t slot, const std::string& name, const Tensor& w, const Tensor& g) {
  if (m_[slot].dtype() != w.dtype()) {
    m_[slot] = m_[slot].to(w.dtype());
    v_[slot] = v_[slot].to(w.dtype());
  }
  const double t = static_cast<double>(iteration_);
  const double b1 = options_.gradientDecay, b2 = options_.squaredGradientDecay;
  // Bias corrections for moments that started at zero.
  const double stepSize = learnRate_ / (1.0 - std::pow(b1, t));
  const double rootCorrection = std::sqrt(1.0 - std::pow(b2, t));
  const double lambda = l2For(name, options_.l2Regularization);
  Tensor next = Tensor::empty(w.shape(), w.dtype());
  visitFloat(w.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* wv = w.data<T>();
    const T* gv = g.data<T>();
    T* m = m_[slot].data<T>();
    T* v = v_[slot].data<T>();
    T* out = next.data<T>();
    for (int64_t i = 0; i < w.numel(); ++i) {
      const T grad = gv[i] + static_cast<T>(lambda) * wv[i];
      m[i] = static_cast<T>(b1) * m[i] + static_cast<T>(1 - b1) * grad;
      v[i] = static_cast<T>(b2) * v[i] + static_cast<T>(1 - b2) * grad * grad;
      const T denominator = std::sqrt(v[i]) / static_cast<T>(rootCorrection) + static_cast<T>(options_.epsilon);
      out[i] = wv[i] - static_cast<T>(stepSize) * m[i] / denominator;
    }
  });
  return next;
}

}  // namespace dlcam
