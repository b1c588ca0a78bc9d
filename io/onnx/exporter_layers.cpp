// ONNX export of dlcam's own layers (layers/*.h): the inverse of ops_neural.cpp and of the
// native-layer cases of ops_tensor.cpp.
//
// Weights go from MATLAB's layouts to ONNX's: a column-major k_1×k_2×C×F convolution weight
// holds the same values as a row-major F×C×k_2×k_1 one, so swapping the first two spatial
// dims gives ONNX's F×C×k_1×k_2 (k_1 = H); see layout.h. Per-spatial-dimension attributes go
// through spatialToOnnx. 'same' and causal padding become explicit pads, worked out from the
// static input size the network inferred.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "autodiff/per_dimension.h"
#include "io/onnx/exporter_writer.h"
#include "io/onnx/layout.h"
#include "layers/activation_layers.h"
#include "layers/conv_layer.h"
#include "layers/fully_connected_layer.h"
#include "layers/norm_layers.h"
#include "layers/pool_layers.h"
#include "layers/simple_layers.h"

namespace dlcam::onnx::writer {

namespace {

std::vector<float> floatsOf(const Array& a) { return permutedValues(a.value()); }

// The sizes of the dims a spatial layer works over (S dims, or T for a sequence), in dlcam
// order, from the layer's static input.
std::vector<int64_t> spatialSizes(const LayerWriter& w) {
  const ActivationInfo& in = w.inputInfo(0);
  std::vector<int64_t> sizes;
  for (int d : in.format.spatialDims()) sizes.push_back(in.size[d]);
  if (sizes.empty() && in.format.find('T') >= 0) sizes.push_back(in.size[in.format.find('T')]);
  return sizes;
}

std::vector<int64_t> resolved(const LayerWriter& w, const std::vector<int64_t>& values, size_t count) {
  return dlcam::detail::perDimension(values, count, std::vector<int64_t>(count, 0), "padding",
                                     "layer '" + w.layer().name() + "'");
}

// pads in ONNX's order: the befores of every spatial axis, then the afters.
Attribute padsAttr(const std::vector<int64_t>& before, const std::vector<int64_t>& after) {
  std::vector<int64_t> pads = spatialToOnnx(before);
  const std::vector<int64_t> a = spatialToOnnx(after);
  pads.insert(pads.end(), a.begin(), a.end());
  return intsAttr("pads", pads);
}

// 'same' padding depends on the input size when a stride exceeds 1; for a sequence of any
// length that size is unknown here, and ONNX's SAME_UPPER (MATLAB's rule: the odd one at the
// end) is written instead of pads.
bool sizeDependent(const LayerWriter& w, const std::vector<int64_t>& stride) {
  return w.dynamicLength(0) && std::any_of(stride.begin(), stride.end(), [](int64_t s) { return s > 1; });
}

Attribute sameUpper() { return stringAttr("auto_pad", "SAME_UPPER"); }

// A column permutation that makes ONNX's flattening (row-major N×C×spatial…, C slowest, the
// last ONNX axis fastest) match dlcam's (S… C column-major, the first S fastest): element j of
// ONNX's flat feature vector is element order[j] of dlcam's.
std::vector<int64_t> onnxFlattenOrder(const ActivationInfo& info) {
  const int64_t n = info.size.numel();
  std::vector<double> index(static_cast<size_t>(n));
  std::iota(index.begin(), index.end(), 0.0);
  Tensor t = Tensor::fromValues(info.size, std::span<const double>(index), DType::Float64);
  Array onnxOrder = toOnnxOrder(Array(t, info.format));
  std::vector<int64_t> order(static_cast<size_t>(n));
  const double* p = onnxOrder.value().data<double>();
  for (int64_t j = 0; j < n; ++j) order[static_cast<size_t>(j)] = static_cast<int64_t>(p[j]);
  return order;
}

// ---- convolution and normalisation -----------------------------------------------------------

void writeConv(LayerWriter& w, const ConvolutionLayer& c) {
  const int k = c.spatialDims();
  const auto ku = static_cast<size_t>(k);
  const Tensor& weights = c.weights().value();
  std::vector<int> order(ku + 2);
  std::iota(order.begin(), order.end(), 0);
  if (k >= 2) std::swap(order[0], order[1]);
  // Column-major permuted dims, reversed: ONNX's F × C/g × spatial… (row-major).
  std::vector<int64_t> dims;
  for (int d : order) dims.insert(dims.begin(), weights.shape()[d]);
  std::vector<std::string> inputs = {w.input(0), w.constant("Weights", dims, permutedValues(weights, order))};
  if (c.hasBias()) inputs.push_back(w.constant("Bias", {c.numFilters()}, floatsOf(c.bias())));

  const ConvOptions& o = c.convOptions();
  std::vector<int64_t> before, after;
  const std::vector<int64_t> in = spatialSizes(w);
  for (size_t a = 0; a < ku; ++a) {
    const int64_t span = (c.filterSize()[a] - 1) * c.dilation()[a] + 1, s = c.stride()[a];
    if (o.padding.mode == ConvPadding::Mode::Same) {
      const int64_t out = (in[a] + s - 1) / s;
      const int64_t total = std::max<int64_t>((out - 1) * s + span - in[a], 0);
      before.push_back(total / 2);
      after.push_back(total - total / 2);
    } else if (o.padding.mode == ConvPadding::Mode::Causal) {
      before.push_back(span - 1);
      after.push_back(0);
    }
  }
  if (o.padding.mode == ConvPadding::Mode::Explicit) {
    before = resolved(w, o.padding.before, ku);
    after = resolved(w, o.padding.after, ku);
  }
  std::vector<Attribute> attributes = {
      intsAttr("kernel_shape", spatialToOnnx(c.filterSize())), intsAttr("strides", spatialToOnnx(c.stride())),
      intsAttr("dilations", spatialToOnnx(c.dilation())), intAttr("group", c.groups()), padsAttr(before, after)};
  if (o.padding.mode == ConvPadding::Mode::Same && sizeDependent(w, c.stride())) attributes.back() = sameUpper();
  w.output("Conv", inputs, attributes);
}

void writeBatchNorm(LayerWriter& w, const BatchNormalizationLayer& b) {
  const std::vector<int64_t> dims = {b.numChannels()};
  w.output("BatchNormalization",
           {w.input(0), w.constant("Scale", dims, floatsOf(b.learnable("Scale"))),
            w.constant("Offset", dims, floatsOf(b.learnable("Offset"))),
            w.constant("TrainedMean", dims, floatsOf(b.state("TrainedMean"))),
            w.constant("TrainedVariance", dims, floatsOf(b.state("TrainedVariance")))},
           {floatAttr("epsilon", b.epsilon()), floatAttr("momentum", 1.0 - b.meanDecay())});
}

// LayerNormalization normalises over the trailing ONNX axes [axis, rank). Over C and the S
// dims together (N×C×spatial…) that is axis 1, with the per-channel parameters tiled over the
// spatial positions; over C alone it is written out in elementwise nodes (below).
void writeLayerNorm(LayerWriter& w, const LayerNormalizationLayer& l) {
  const ActivationInfo& in = w.inputInfo(0);
  LayerNormDims dims = l.dims();
  if (dims == LayerNormDims::Auto) dims = in.format.find('T') >= 0 ? LayerNormDims::Channel : LayerNormDims::SpatialChannel;
  if (in.format.spatialDims().empty()) dims = LayerNormDims::Channel;
  const std::vector<int64_t> shape = w.inputShape(0);
  const int rank = static_cast<int>(shape.size());
  const std::vector<float> scale = floatsOf(l.learnable("Scale")), offset = floatsOf(l.learnable("Offset"));
  const Attribute epsilon = floatAttr("epsilon", l.epsilon());

  if (dims == LayerNormDims::SpatialChannel) {
    const std::vector<int64_t> normalized(shape.begin() + 1, shape.end());
    const int64_t positions = std::accumulate(normalized.begin() + 1, normalized.end(), int64_t{1}, std::multiplies<>());
    std::vector<float> s, b;
    for (size_t c = 0; c < scale.size(); ++c)
      for (int64_t p = 0; p < positions; ++p) {
        s.push_back(scale[c]);
        b.push_back(offset[c]);
      }
    w.output("LayerNormalization", {w.input(0), w.constant("Scale", normalized, s), w.constant("Offset", normalized, b)},
             {intAttr("axis", 1), epsilon});
    return;
  }
  const std::vector<int64_t> c = {l.numChannels()};
  if (rank == 2) {
    w.output("LayerNormalization", {w.input(0), w.constant("Scale", c, scale), w.constant("Offset", c, offset)},
             {intAttr("axis", -1), epsilon});
    return;
  }
  // Over C alone with C in the middle (N×C×L, N×C×H×W...), written out so that every value
  // stays in ONNX's N×C×… layout: an importer then labels each one rightly, and Grad-CAM can
  // take the layer's output as its feature layer (a Transpose to N×L×C would not say which
  // axis is which).
  //   y = (x − mean_C(x)) · (mean_C((x − mean_C(x))²) + ε)^(−1/2) · scale + offset
  std::vector<int64_t> perChannel = {l.numChannels()};
  perChannel.resize(static_cast<size_t>(rank - 1), 1);  // C×1×…: broadcasts over N and the rest
  const Attribute overC = intsAttr("axes", {1});
  const std::string mean = w.node("ReduceMean", {w.input(0)}, {overC, intAttr("keepdims", 1)});
  const std::string centred = w.node("Sub", {w.input(0), mean});
  const std::string variance =
      w.node("ReduceMean", {w.node("Mul", {centred, centred})}, {overC, intAttr("keepdims", 1)});
  const std::string inverseDeviation =
      w.node("Pow", {w.node("Add", {variance, w.scalar("Epsilon", l.epsilon())}), w.scalar("MinusHalf", -0.5)});
  const std::string normalised = w.node("Mul", {centred, inverseDeviation});
  w.output("Add", {w.node("Mul", {normalised, w.constant("Scale", perChannel, scale)}),
                   w.constant("Offset", perChannel, offset)});
}

// ---- activations ---------------------------------------------------------------------------

void writeClip(LayerWriter& w, double lo, double hi) {
  std::vector<std::string> inputs = {w.input(0), std::isinf(lo) ? std::string() : w.scalar("Min", lo)};
  if (!std::isinf(hi)) inputs.push_back(w.scalar("Max", hi));
  if (inputs.back().empty()) inputs.pop_back();
  w.output("Clip", inputs);
}

bool writeActivation(LayerWriter& w) {
  const Layer& layer = w.layer();
  if (dynamic_cast<const ReluLayer*>(&layer)) {
    w.output("Relu", {w.input(0)});
  } else if (const auto* l = dynamic_cast<const LeakyReluLayer*>(&layer)) {
    w.output("LeakyRelu", {w.input(0)}, {floatAttr("alpha", l->scale())});
  } else if (const auto* c = dynamic_cast<const ClippedReluLayer*>(&layer)) {
    writeClip(w, 0.0, c->ceiling());
  } else if (dynamic_cast<const SigmoidLayer*>(&layer)) {
    w.output("Sigmoid", {w.input(0)});
  } else if (dynamic_cast<const TanhLayer*>(&layer)) {
    w.output("Tanh", {w.input(0)});
  } else if (const auto* h = dynamic_cast<const HardSigmoidLayer*>(&layer)) {
    w.output("HardSigmoid", {w.input(0)}, {floatAttr("alpha", h->alpha()), floatAttr("beta", h->beta())});
  } else if (dynamic_cast<const HardSwishLayer*>(&layer)) {
    w.output("HardSwish", {w.input(0)});
  } else if (const auto* clip = dynamic_cast<const ClipLayer*>(&layer)) {
    writeClip(w, clip->min(), clip->max());
  } else {
    return false;
  }
  return true;
}

// ---- pooling -------------------------------------------------------------------------------

void writePool(LayerWriter& w, const PoolingLayer& p, bool isMax) {
  const PoolOptions& o = p.poolOptions();
  const size_t k = static_cast<size_t>(p.spatialDims());
  std::vector<int64_t> before, after;
  if (o.padding.mode == PoolPadding::Mode::Same) {
    const std::vector<int64_t> in = spatialSizes(w);
    for (size_t a = 0; a < k; ++a) {
      const int64_t s = p.stride()[a], out = (in[a] + s - 1) / s;
      const int64_t total = std::max<int64_t>((out - 1) * s + p.poolSize()[a] - in[a], 0);
      before.push_back(total / 2);
      after.push_back(total - total / 2);
    }
  } else {
    before = resolved(w, o.padding.before, k);
    after = resolved(w, o.padding.after, k);
  }
  std::vector<Attribute> attributes = {intsAttr("kernel_shape", spatialToOnnx(p.poolSize())),
                                       intsAttr("strides", spatialToOnnx(p.stride())), padsAttr(before, after),
                                       intAttr("ceil_mode", o.ceilMode ? 1 : 0)};
  if (o.padding.mode == PoolPadding::Mode::Same && sizeDependent(w, p.stride())) attributes[2] = sameUpper();
  if (!isMax) attributes.push_back(intAttr("count_include_pad", o.countIncludePad ? 1 : 0));
  w.output(isMax ? "MaxPool" : "AveragePool", {w.input(0)}, attributes);
}

// ---- fully connected -------------------------------------------------------------------------

// Y = X·B + bias with B = Wᵀ (I × O, row-major), its rows in ONNX's flattening order. "SSCB"
// input is flattened first; a sequence "CBT" (N×C×L) is multiplied per time step, W·x.
void writeFullyConnected(LayerWriter& w, const FullyConnectedLayer& f) {
  const ActivationInfo& in = w.inputInfo(0);
  const int64_t outputs = f.outputSize(), features = f.inputSize();
  Tensor weights = f.weights().value().to(Device::CPU).to(DType::Float64);
  const double* wv = weights.data<double>();  // column-major O×I
  if (in.format.find('T') >= 0) {
    // W (O×C) · x (N×C×L) = N×O×L: MatMul broadcasts W over N, and the values keep ONNX's
    // N×C×L layout (no Transpose whose output an importer could not label).
    std::vector<float> byRow;
    for (int64_t o = 0; o < outputs; ++o)
      for (int64_t j = 0; j < features; ++j) byRow.push_back(static_cast<float>(wv[o + outputs * j]));
    const std::string product = w.constant("Weights", {outputs, features}, byRow);
    if (!f.hasBias()) {
      w.output("MatMul", {product, w.input(0)});
      return;
    }
    w.output("Add", {w.node("MatMul", {product, w.input(0)}),
                     w.constant("Bias", {outputs, 1}, floatsOf(f.bias()))});
    return;
  }
  std::vector<int64_t> rows(static_cast<size_t>(features));
  std::iota(rows.begin(), rows.end(), 0);
  if (!in.format.spatialDims().empty()) {
    ActivationInfo one = in;
    one.size[in.format.find('B')] = 1;
    rows = onnxFlattenOrder(one);
  }
  std::vector<float> b;
  for (int64_t j = 0; j < features; ++j)
    for (int64_t o = 0; o < outputs; ++o) b.push_back(static_cast<float>(wv[o + outputs * rows[static_cast<size_t>(j)]]));
  const std::string weightsName = w.constant("Weights", {features, outputs}, b);
  const std::string bias = f.hasBias() ? w.constant("Bias", {outputs}, floatsOf(f.bias())) : std::string();

  std::string x = w.input(0);
  if (w.inputShape(0).size() > 2) x = w.node("Flatten", {x}, {intAttr("axis", 1)});
  std::vector<std::string> inputs = {x, weightsName};
  if (f.hasBias()) inputs.push_back(bias);
  w.output("Gemm", inputs);
}

// ---- layers without learnables --------------------------------------------------------------

// dlcam flattens the S dims first (first S fastest) and C last; ONNX's Flatten is row-major.
// Swapping the last two ONNX axes (H and W) before it gives dlcam's order: N×C×(D×)W×H.
void writeFlatten(LayerWriter& w) {
  const std::vector<int64_t> shape = w.inputShape(0);
  const int rank = static_cast<int>(shape.size());
  if (w.inputInfo(0).format.find('T') >= 0) {
    // A sequence passes unchanged: a Reshape keeps the layer (and its name) on re-import.
    w.output("Reshape", {w.input(0), w.ints("Shape", {0, 0, -1})});
    return;
  }
  std::string x = w.input(0);
  if (rank >= 4) {
    std::vector<int64_t> perm(static_cast<size_t>(rank));
    std::iota(perm.begin(), perm.end(), 0);
    std::swap(perm[static_cast<size_t>(rank - 1)], perm[static_cast<size_t>(rank - 2)]);
    x = w.node("Transpose", {x}, {intsAttr("perm", perm)});
  }
  w.output("Flatten", {x}, {intAttr("axis", 1)});
}

}  // namespace

bool writeNeuralLayer(LayerWriter& w) {
  const Layer& layer = w.layer();
  if (writeActivation(w)) return true;
  if (const auto* c = dynamic_cast<const ConvolutionLayer*>(&layer)) {
    writeConv(w, *c);
  } else if (const auto* b = dynamic_cast<const BatchNormalizationLayer*>(&layer)) {
    writeBatchNorm(w, *b);
  } else if (const auto* l = dynamic_cast<const LayerNormalizationLayer*>(&layer)) {
    writeLayerNorm(w, *l);
  } else if (const auto* p = dynamic_cast<const MaxPoolingLayer*>(&layer)) {
    writePool(w, *p, true);
  } else if (const auto* a = dynamic_cast<const AveragePoolingLayer*>(&layer)) {
    writePool(w, *a, false);
  } else if (dynamic_cast<const GlobalAveragePoolingLayer*>(&layer)) {
    w.output("GlobalAveragePool", {w.input(0)});
  } else if (dynamic_cast<const GlobalMaxPoolingLayer*>(&layer)) {
    w.output("GlobalMaxPool", {w.input(0)});
  } else if (const auto* f = dynamic_cast<const FullyConnectedLayer*>(&layer)) {
    writeFullyConnected(w, *f);
  } else if (dynamic_cast<const SoftmaxLayer*>(&layer)) {
    w.output("Softmax", {w.input(0)}, {intAttr("axis", 1)});
  } else if (const auto* d = dynamic_cast<const DropoutLayer*>(&layer)) {
    w.output("Dropout", {w.input(0), w.scalar("Ratio", d->probability())});
  } else if (dynamic_cast<const AdditionLayer*>(&layer)) {
    w.output(w.numInputs() == 2 ? "Add" : "Sum", w.inputs());
  } else if (dynamic_cast<const DepthConcatenationLayer*>(&layer)) {
    w.output("Concat", w.inputs(), {intAttr("axis", 1)});
  } else if (dynamic_cast<const FlattenLayer*>(&layer)) {
    writeFlatten(w);
  } else {
    return false;
  }
  return true;
}

}  // namespace dlcam::onnx::writer
