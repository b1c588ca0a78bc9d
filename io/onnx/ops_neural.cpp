// ONNX ops that map onto dlcam's own layers: convolution, normalisation, pooling, fully
// connected, activations, dropout, and the ops that do no work (Identity, Constant).
//
// Weights arrive in ONNX order (see layout.h) and are rearranged once here into MATLAB's
// layouts; per-spatial-dimension attributes go through spatialToDlcam.
#include <algorithm>
#include <cmath>
#include <limits>

#include "autodiff/elementwise.h"
#include "autodiff/shape_ops.h"
#include "io/onnx/layout.h"
#include "io/onnx/op_table.h"
#include "layers/activation_layers.h"
#include "layers/conv_layer.h"
#include "layers/fully_connected_layer.h"
#include "layers/norm_layers.h"
#include "layers/pool_layers.h"
#include "layers/simple_layers.h"

namespace dlcam::onnx {

namespace {

// The number of spatial dimensions of input 0 (N, C, spatial…), at least one.
int spatialDimsOf(const NodeContext& c) {
  int k = c.rank(0) - 2;
  if (k < 1 || k > 3)
    c.fail("expects an N×C×spatial input with 1, 2 or 3 spatial dimensions, got shape " + Shape(c.shape(0)).str());
  return k;
}

// A per-spatial-dimension attribute (kernel_shape, strides, dilations), in dlcam's order.
std::vector<int64_t> spatialAttr(const NodeContext& c, const char* name, int k, int64_t fallback) {
  std::vector<int64_t> v = c.node().attrInts(name, std::vector<int64_t>(static_cast<size_t>(k), fallback));
  if (static_cast<int>(v.size()) != k)
    c.fail(std::string(name) + " has " + std::to_string(v.size()) + " values for " + std::to_string(k) +
           " spatial dimensions");
  for (int64_t x : v)
    if (x < 1) c.fail(std::string(name) + " values must be positive, got " + std::to_string(x));
  return spatialToDlcam(v);
}

// Explicit padding (before, after) in dlcam's order, from auto_pad and pads. SAME_UPPER is
// returned as empty vectors with `same` set (MATLAB's 'same' puts the odd one at the end, as
// SAME_UPPER does, and works it out per call); SAME_LOWER is worked out from the static input
// size, so it is refused where that size is not the run-time one (a sequence of any length)
// unless every stride is 1, when the padding does not depend on the size.
struct Padding {
  bool same = false;
  std::vector<int64_t> before, after;
};

Padding padding(const NodeContext& c, int k, const std::vector<int64_t>& window, const std::vector<int64_t>& stride,
                const std::vector<int64_t>& dilation) {
  const std::string autoPad = c.node().attrString("auto_pad", "NOTSET");
  Padding p;
  if (autoPad == "SAME_UPPER") {
    p.same = true;
    return p;
  }
  p.before.assign(static_cast<size_t>(k), 0);
  p.after.assign(static_cast<size_t>(k), 0);
  if (autoPad == "VALID") return p;
  if (autoPad == "SAME_LOWER") {
    if (c.variableLength() && std::any_of(stride.begin(), stride.end(), [](int64_t s) { return s != 1; }))
      c.fail("auto_pad SAME_LOWER with a stride > 1 pads by the input length, and this network's sequence input "
             "takes any length; import with a fixed length: ImportOptions::inputShape (dlcam --input-shape)");
    std::vector<int64_t> in = spatialToDlcam(std::vector<int64_t>(c.shape(0).begin() + 2, c.shape(0).end()));
    for (size_t d = 0; d < static_cast<size_t>(k); ++d) {
      // ceil(in / stride) and (out − 1)·stride + span − in, ordered so that no step overflows
      // ((out − 1)·stride < in), with the window's span checked.
      const int64_t out = in[d] / stride[d] + (in[d] % stride[d] != 0);
      int64_t span = 0;
      if (__builtin_mul_overflow(window[d] - 1, dilation[d], &span) || __builtin_add_overflow(span, 1, &span))
        c.fail(detail::cat("the window (", window[d], " with dilation ", dilation[d], ") spans more than fits in int64"));
      const int64_t total = std::max<int64_t>(span - (in[d] - (out - 1) * stride[d]), 0);
      p.after[d] = total / 2;
      p.before[d] = total - total / 2;
    }
    return p;
  }
  if (autoPad != "NOTSET") c.fail("auto_pad '" + autoPad + "' is not an ONNX value");
  std::vector<int64_t> pads = c.node().attrInts("pads", std::vector<int64_t>(static_cast<size_t>(2 * k), 0));
  if (static_cast<int>(pads.size()) != 2 * k)
    c.fail("pads has " + std::to_string(pads.size()) + " values, expected " + std::to_string(2 * k));
  for (int64_t x : pads)
    if (x < 0) c.fail("negative pads are not supported");
  p.before = spatialToDlcam(std::vector<int64_t>(pads.begin(), pads.begin() + k));
  p.after = spatialToDlcam(std::vector<int64_t>(pads.begin() + k, pads.end()));
  return p;
}

BuildResult buildConv(const NodeContext& c) {
  const int k = spatialDimsOf(c);
  Array w = c.weights(1);  // ONNX order: k_k … k_1 × C/g × F
  if (w.rank() != k + 2) c.fail("weights of shape " + Shape(c.shape(1)).str() + " do not fit the input");
  std::vector<int64_t> kernel(c.shape(1).begin() + 2, c.shape(1).end());
  if (auto declared = c.node().attrInts("kernel_shape"); !declared.empty() && declared != kernel)
    c.fail("kernel_shape " + Shape(declared).str() + " differs from the weights' " + Shape(kernel).str());
  // Reversed spatial dims with the first two swapped: MATLAB's k_1 × k_2 (× k_3) × C/g × F.
  if (k >= 2) {
    std::vector<int> order(static_cast<size_t>(k + 2));
    for (int i = 0; i < k + 2; ++i) order[static_cast<size_t>(i)] = i;
    std::swap(order[0], order[1]);
    w = permute(w, order);
  }
  std::vector<int64_t> window = spatialToDlcam(kernel);
  std::vector<int64_t> stride = spatialAttr(c, "strides", k, 1);
  std::vector<int64_t> dilation = spatialAttr(c, "dilations", k, 1);
  Padding pad = padding(c, k, window, stride, dilation);

  ConvolutionOptions options;
  options.spatialDims = k;
  options.weights = w;
  options.bias = c.has(2) ? c.weights(2) : Array();
  options.conv.stride = stride;
  options.conv.dilation = dilation;
  options.conv.groups = c.node().attrInt("group", 1);
  options.conv.padding = pad.same ? ConvPadding::same() : ConvPadding::explicitPad(pad.before, pad.after);
  return BuildResult::of(std::make_shared<ConvolutionLayer>(c.layerName(), std::move(options)), {0});
}

BuildResult buildBatchNorm(const NodeContext& c) {
  if (c.node().attrInt("training_mode", 0) != 0) c.fail("training_mode = 1 is not supported (export in eval mode)");
  if (c.node().attrInt("spatial", 1) != 1) c.fail("spatial = 0 (per-activation statistics) is not supported");
  BatchNormalizationOptions options;
  options.scale = c.weights(1);
  options.offset = c.weights(2);
  options.trainedMean = c.weights(3);
  options.trainedVariance = c.weights(4);
  options.epsilon = c.node().attrFloat("epsilon", 1e-5f);
  // PyTorch's momentum m updates running = (1 − m)·running + m·batch, ONNX's momentum is 1 − m.
  double decay = 1.0 - c.node().attrFloat("momentum", 0.9f);
  options.meanDecay = options.varianceDecay = decay;
  return BuildResult::of(std::make_shared<BatchNormalizationLayer>(c.layerName(), std::move(options)), {0});
}

template <class L, class... Args>
BuildResult unary(const NodeContext& c, Args&&... args) {
  return BuildResult::of(std::make_shared<L>(c.layerName(), std::forward<Args>(args)...), {0});
}

BuildResult buildClip(const NodeContext& c) {
  double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
  if (c.opset() < 11) {
    // The attributes default to ∓FLT_MAX, which mean "no bound" (Clip(min=0) is a ReLU).
    constexpr float big = std::numeric_limits<float>::max();
    const float min = c.node().attrFloat("min", -big), max = c.node().attrFloat("max", big);
    if (min > -big) lo = min;
    if (max < big) hi = max;
  } else {
    if (c.has(1)) lo = c.scalar(1);
    if (c.has(2)) hi = c.scalar(2);
  }
  if (lo == 0 && std::isinf(hi) && hi > 0) return unary<ReluLayer>(c);
  if (lo == 0 && std::isfinite(hi)) return unary<ClippedReluLayer>(c, hi);
  return unary<ClipLayer>(c, lo, hi);
}

BuildResult buildPool(const NodeContext& c, bool isMax) {
  const int k = spatialDimsOf(c);
  std::vector<int64_t> kernel = c.node().attrInts("kernel_shape");
  if (static_cast<int>(kernel.size()) != k) c.fail("kernel_shape must have one value per spatial dimension");
  std::vector<int64_t> window = spatialToDlcam(kernel);
  std::vector<int64_t> stride = spatialAttr(c, "strides", k, 1);
  std::vector<int64_t> dilation = spatialAttr(c, "dilations", k, 1);
  for (int64_t d : dilation)
    if (d != 1) c.fail("dilated pooling is not supported");
  Padding pad = padding(c, k, window, stride, dilation);

  PoolingOptions options;
  options.spatialDims = k;
  options.pool.size = window;
  options.pool.stride = stride;
  options.pool.padding = pad.same ? PoolPadding::same() : PoolPadding::explicitPad(pad.before, pad.after);
  // ONNX ignores ceil_mode under SAME_* (the output size is ceil(in/stride) either way).
  const bool samePad = c.node().attrString("auto_pad", "NOTSET").starts_with("SAME_");
  options.pool.ceilMode = !samePad && c.node().attrInt("ceil_mode", 0) != 0;
  options.pool.countIncludePad = c.node().attrInt("count_include_pad", 0) != 0;
  if (isMax) return BuildResult::of(std::make_shared<MaxPoolingLayer>(c.layerName(), std::move(options)), {0});
  return BuildResult::of(std::make_shared<AveragePoolingLayer>(c.layerName(), std::move(options)), {0});
}

template <class L>
BuildResult buildGlobalPool(const NodeContext& c) {
  return BuildResult::of(std::make_shared<L>(c.layerName(), spatialDimsOf(c)), {0});
}

// Gemm: Y = alpha·A·B' + beta·C, with A the run-time N×I input and B, C constants: a fully
// connected layer with weights alpha·B (as O×I) and bias beta·C.
BuildResult buildGemm(const NodeContext& c) {
  if (c.rank(0) != 2) c.fail("input A must be N×I, got shape " + Shape(c.shape(0)).str());
  if (c.node().attrInt("transA", 0) != 0)
    c.fail("transA = 1 is not supported (dlcam's fully connected layer takes A as N×I)");
  const bool transB = c.node().attrInt("transB", 0) != 0;
  const double alpha = c.node().attrFloat("alpha", 1.0f), beta = c.node().attrFloat("beta", 1.0f);
  // ONNX order reverses B's dims: B (I×O) reads as O×I column-major, B' (O×I) as I×O.
  Array w = c.weights(1);
  if (w.rank() != 2) c.fail("B must be a matrix, got shape " + Shape(c.shape(1)).str());
  if (transB) w = permute(w, {1, 0});
  if (alpha != 1.0) w = multiply(w, alpha);
  const int64_t outputs = w.size(0);
  Array bias;
  if (c.has(2)) {
    bias = c.weights(2);
    if (bias.numel() == 1 && outputs > 1)  // a scalar bias broadcasts to every output
      bias = Array(Tensor::full({outputs}, bias.item()), DimFormat("U"));
    if (bias.numel() != outputs)
      c.fail("only a bias of " + std::to_string(outputs) + " values (one per output) is supported, got shape " +
             Shape(c.shape(2)).str());
    if (beta != 1.0) bias = multiply(bias, beta);
  }
  FullyConnectedOptions options{.weights = w, .bias = bias};
  return BuildResult::of(std::make_shared<FullyConnectedLayer>(c.layerName(), std::move(options)), {0});
}

BuildResult buildDropout(const NodeContext& c) {
  double ratio = 0.5;
  if (c.opset() < 12) ratio = c.node().attrFloat("ratio", 0.5f);
  else if (c.has(1)) ratio = c.scalar(1);
  if (c.opset() >= 12 && c.has(2) && c.scalar(2) != 0)
    c.fail("training_mode = true is not supported (export in eval mode)");
  return unary<DropoutLayer>(c, ratio);
}

BuildResult buildConstant(const NodeContext& c) {
  const Node& n = c.node();
  if (const Attribute* a = n.find("value")) return BuildResult::constantOf(constantValue(a->t));
  if (const Attribute* a = n.find("value_float"))
    return BuildResult::constantOf(constantValue(makeTensor("", {}, std::span<const float>(&a->f, 1))));
  if (const Attribute* a = n.find("value_int"))
    return BuildResult::constantOf(constantValue(makeTensor("", {}, std::span<const int64_t>(&a->i, 1))));
  if (const Attribute* a = n.find("value_floats"))
    return BuildResult::constantOf(constantValue(makeTensor("", {static_cast<int64_t>(a->floats.size())}, a->floats)));
  if (const Attribute* a = n.find("value_ints"))
    return BuildResult::constantOf(constantValue(makeTensor("", {static_cast<int64_t>(a->ints.size())}, a->ints)));
  c.fail("only tensor, float(s) and int(s) values are supported");
}

}  // namespace

void addNeuralOps(OpTable& t) {
  t.add("Conv", buildConv);
  t.add("BatchNormalization", buildBatchNorm);
  t.add("Relu", [](const NodeContext& c) { return unary<ReluLayer>(c); });
  t.add("LeakyRelu", [](const NodeContext& c) { return unary<LeakyReluLayer>(c, c.node().attrFloat("alpha", 0.01f)); });
  t.add("Sigmoid", [](const NodeContext& c) { return unary<SigmoidLayer>(c); });
  t.add("Tanh", [](const NodeContext& c) { return unary<TanhLayer>(c); });
  t.add("HardSigmoid", [](const NodeContext& c) {
    return unary<HardSigmoidLayer>(c, c.node().attrFloat("alpha", 0.2f), c.node().attrFloat("beta", 0.5f));
  });
  t.add("HardSwish", [](const NodeContext& c) { return unary<HardSwishLayer>(c); });
  t.add("Clip", buildClip);
  t.add("MaxPool", [](const NodeContext& c) { return buildPool(c, true); });
  t.add("AveragePool", [](const NodeContext& c) { return buildPool(c, false); });
  t.add("GlobalAveragePool", buildGlobalPool<GlobalAveragePoolingLayer>);
  t.add("GlobalMaxPool", buildGlobalPool<GlobalMaxPoolingLayer>);
  t.add("Gemm", buildGemm);
  t.add("Dropout", buildDropout);
  t.add("Identity", [](const NodeContext&) { return BuildResult::pass(0); });
  t.add("Constant", buildConstant);
}

}  // namespace dlcam::onnx
