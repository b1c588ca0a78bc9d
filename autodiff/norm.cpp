#include "autodiff/norm.h"

#include "autodiff/tape.h"
#include "kernels/norm.h"

namespace dlcam {

namespace kc = kernels;

namespace {

int channelDim(const Array& x, const char* fn) {
  if (!x.defined()) fail(fn, ": x has no value");
  const int c = x.format().find('C');
  if (c < 0)
    fail(fn, ": x must have a C (channel) dimension, got format \"", x.format().str(), "\" (shape ", x.shape().str(),
         ")");
  return c;
}

void checkEpsilon(double epsilon, const char* fn) {
  if (!(epsilon > 0)) fail(fn, ": epsilon must be positive, got ", epsilon);
}

// A per-channel parameter as the {C} tensor in x's dtype that the kernels take.
Tensor perChannel(const Array& p, const char* name, const Array& x, int64_t channels, const char* fn) {
  if (!p.defined()) fail(fn, ": ", name, " has no value; it needs one element per channel of x (", channels, ")");
  if (p.numel() != channels)
    fail(fn, ": ", name, " has ", p.numel(), " elements (shape ", p.shape().str(), ") but x has ", channels,
         " channels (x is ", x.shape().str(), " \"", x.format().str(), "\"); give one element per channel");
  return p.value().to(x.dtype()).reshaped(Shape{channels});
}

// Where a parameter's gradient goes back to: its own shape and dtype.
struct ParamShape {
  Shape shape;
  DType dtype;
  explicit ParamShape(const Array& p) : shape(p.shape()), dtype(p.dtype()) {}
  Tensor restore(const Tensor& g) const { return g.defined() ? g.reshaped(shape).to(dtype) : Tensor(); }
};

kc::NormGradientsNeeded neededOf(const std::vector<bool>& needed) { return {needed[0], needed[1], needed[2]}; }

// Records a normalisation on the tape. backward(gy, needed) returns the kernel's gradients;
// those of offset and scale go back in the parameters' own shapes and dtypes.
template <typename Backward>
void recordNorm(Array& out, const char* fn, const Array& x, const Array& offset, const Array& scale, Backward backward) {
  ParamShape po(offset), ps(scale);
  detail::record(out, fn, {&x, &offset, &scale},
                 [po, ps, backward](const Tensor& gy, const std::vector<bool>& needed) {
                   kc::NormGradients d = backward(gy, neededOf(needed));
                   return std::vector<Tensor>{d.x, po.restore(d.offset), ps.restore(d.scale)};
                 });
}

}  // namespace

Array batchNorm(const Array& x, const Array& offset, const Array& scale, const Array& mean, const Array& variance,
                const BatchNormOptions& options) {
  const char* fn = "batchNorm";
  const kc::ChannelGeometry g = kc::channelGeometry(x.shape(), channelDim(x, fn));
  checkEpsilon(options.epsilon, fn);
  Tensor off = perChannel(offset, "offset", x, g.channels, fn);
  Tensor sc = perChannel(scale, "scale", x, g.channels, fn);
  Tensor mu = perChannel(mean, "mean", x, g.channels, fn);
  Tensor var = perChannel(variance, "variance", x, g.channels, fn);
  // A variance on the GPU is not checked: reading it back would stall the GPU once per call
  // (every batch-norm layer of a network on the GPU), and the layer checks its stored
  // variance when it is built. A negative one gives NaN there.
  if (var.device() == Device::CPU)
    for (int64_t c = 0; c < g.channels; ++c)
      if (var.at(c) < 0) fail(fn, ": variance must be non-negative, got ", var.at(c), " for channel ", c);

  const bool traced = detail::anyTraced({&x, &offset, &scale});
  // x̂ is kept only for the scale gradient; the x gradient needs just scale/σ per channel.
  kc::BatchNormResult r = kc::batchNormInference(x.value(), off, sc, mu, var, {g, options.epsilon, scale.isTraced()});
  Array out(r.y, x.format());
  if (traced)
    recordNorm(out, fn, x, offset, scale,
               [g, sc, xh = r.normalized, inv = r.invStd](const Tensor& gy, kc::NormGradientsNeeded needed) {
                 return kc::batchNormBackward(gy, xh, inv, sc, {g, false, needed});
               });
  return out;
}

BatchNormTrainResult batchNormTrain(const Array& x, const Array& offset, const Array& scale,
                                    const BatchNormOptions& options) {
  const char* fn = "batchNormTrain";
  const kc::ChannelGeometry g = kc::channelGeometry(x.shape(), channelDim(x, fn));
  checkEpsilon(options.epsilon, fn);
  Tensor off = perChannel(offset, "offset", x, g.channels, fn);
  Tensor sc = perChannel(scale, "scale", x, g.channels, fn);
  const int64_t perChannelCount = g.inner * g.outer;
  if (g.channels > 0 && perChannelCount < 2)
    fail(fn, ": the batch statistics need at least 2 values per channel, but x (", x.shape().str(), " \"",
         x.format().str(), "\") has ", perChannelCount, "; use batchNorm with stored statistics instead");

  const bool traced = detail::anyTraced({&x, &offset, &scale});
  const bool keep = x.isTraced() || scale.isTraced();
  kc::BatchNormResult r = kc::batchNormTraining(x.value(), off, sc, {g, options.epsilon, keep});
  Array out(r.y, x.format());
  if (traced)
    recordNorm(out, fn, x, offset, scale,
               [g, sc, xh = r.normalized, inv = r.invStd](const Tensor& gy, kc::NormGradientsNeeded needed) {
                 return kc::batchNormBackward(gy, xh, inv, sc, {g, true, needed});
               });
  return {out, r.mean, r.variance};
}

Array layerNorm(const Array& x, const Array& offset, const Array& scale, const LayerNormOptions& options) {
  const char* fn = "layerNorm";
  const kc::ChannelGeometry g = kc::channelGeometry(x.shape(), channelDim(x, fn));
  checkEpsilon(options.epsilon, fn);
  Tensor off = perChannel(offset, "offset", x, g.channels, fn);
  Tensor sc = perChannel(scale, "scale", x, g.channels, fn);
  LayerNormDims dims = options.dims;
  if (dims == LayerNormDims::Auto)
    dims = x.format().find('T') >= 0 ? LayerNormDims::Channel : LayerNormDims::SpatialChannel;
  // In canonical order the S dimensions are exactly those before C, i.e. the kernels' inner.
  const bool overInner = dims == LayerNormDims::SpatialChannel;

  const bool traced = detail::anyTraced({&x, &offset, &scale});
  const bool keep = x.isTraced() || scale.isTraced();
  kc::LayerNormResult r = kc::layerNorm(x.value(), off, sc, {g, overInner, options.epsilon, keep});
  Array out(r.y, x.format());
  if (traced)
    recordNorm(out, fn, x, offset, scale,
               [g, overInner, sc, xh = r.normalized, inv = r.invStd](const Tensor& gy, kc::NormGradientsNeeded needed) {
                 return kc::layerNormBackward(gy, xh, inv, sc, {g, overInner, needed});
               });
  return out;
}

}  // namespace dlcam
