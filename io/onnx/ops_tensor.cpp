// ONNX builders for the tensor ops: arithmetic with broadcasting, MatMul, Concat, shape ops,
// Gather, Slice, Pad, reductions, Softmax, LayerNormalization, Cast, Shape, ConstantOfShape,
// Expand. Most build a layer of io/onnx/tensor_layers.h; where a native dlcam layer computes
// exactly the same thing (Concat along C, Softmax over C, a
// feature-vector MatMul with constant weights) the native layer is used, so the network reads
// as MATLAB's would.
//
// Inputs that are constants are embedded in the layer; the others feed it at run time. A
// node whose inputs are all constants gets a layer fed by all of them, which the importer
// folds at load.
#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>

#include "io/onnx/layout.h"
#include "io/onnx/op_table.h"
#include "io/onnx/tensor_layers.h"
#include "layers/fully_connected_layer.h"
#include "layers/simple_layers.h"

namespace dlcam::onnx {

namespace {

struct Operands {
  std::vector<Array> operands;  // per listed node input: the constant, or Array() for run time
  std::vector<int> inputs;      // the run-time node inputs, in order
  bool allConstant = false;
};

// When every input is a constant, all are listed as inputs instead of embedded: the importer
// then folds the layer and gives the result the first input's ONNX type (int64 shape
// arithmetic stays int64).
Operands operandsOf(const NodeContext& c, const std::vector<int>& nodeInputs) {
  Operands r;
  r.allConstant = true;
  for (int i : nodeInputs) {
    if (!c.has(i)) c.fail("needs input " + std::to_string(i) + ", which is missing");
    r.allConstant = r.allConstant && c.isConstant(i);
  }
  for (int i : nodeInputs) {
    if (c.isConstant(i) && !r.allConstant) {
      r.operands.push_back(c.constant(i));
    } else {
      r.operands.emplace_back();
      r.inputs.push_back(i);
    }
  }
  return r;
}

std::vector<int> allInputs(const NodeContext& c) {
  std::vector<int> all;
  for (int i = 0; i < c.numInputs(); ++i)
    if (c.has(i)) all.push_back(i);
  if (all.empty()) c.fail("has no inputs");
  return all;
}

// A TensorLayer with input 0 as its one operand (args first, then the operand). A constant
// input 0 is listed as the layer's input, so the importer folds the layer at load.
template <typename L, typename... Args>
BuildResult unaryTensorLayer(const NodeContext& c, Args&&... args) {
  Operands x = operandsOf(c, {0});
  return BuildResult::of(std::make_shared<L>(c.layerName(), std::forward<Args>(args)..., x.operands[0]), x.inputs);
}

// An int64 constant with this ONNX shape, values row-major.
Value intConstant(const std::vector<int64_t>& values, const std::vector<int64_t>& shape) {
  return constantValue(makeTensor("", shape, std::span<const int64_t>(values)));
}

// Axes from the "axes" attribute (older opsets) or from input `input` (newer ones).
std::vector<int64_t> axesOf(const NodeContext& c, int input) {
  if (c.node().find("axes")) return c.node().attrInts("axes");
  return c.has(input) ? c.ints(input) : std::vector<int64_t>{};
}

// ---- arithmetic ----

template <ElementwiseOp op>
BuildResult buildElementwise(const NodeContext& c) {
  Operands x = operandsOf(c, allInputs(c));
  // Always the ONNX layer, never MATLAB's AdditionLayer: shapes equal at the import-time batch
  // may still broadcast at another (x + mean of x over the batch).
  const ElementwiseOptions options{.op = op, .integer = isIntegerType(c.input(0).type)};
  return BuildResult::of(std::make_shared<ElementwiseLayer>(c.layerName(), options, x.operands), x.inputs);
}

BuildResult buildMatMul(const NodeContext& c) {
  if (c.rank(0) == 2 && c.rank(1) == 2 && !c.isConstant(0) && c.isConstant(1)) {
    // W is K×N row-major; its ONNX-order array is N×K column-major: O×I as fullyConnect reads it.
    FullyConnectedOptions options{.weights = c.weights(1), .bias = Array()};
    return BuildResult::of(std::make_shared<FullyConnectedLayer>(c.layerName(), options), {0});
  }
  Operands x = operandsOf(c, {0, 1});
  return BuildResult::of(std::make_shared<MatMulLayer>(c.layerName(), x.operands), x.inputs);
}

// ---- moving values ----

BuildResult buildConcat(const NodeContext& c) {
  const Attribute* axisAttr = c.node().find("axis");
  if (!axisAttr) c.fail("needs the 'axis' attribute");
  Operands x = operandsOf(c, allInputs(c));
  const int rank = c.rank(0);
  const int axis = c.axis(c.node().attrInt("axis", 0), rank);
  if (!x.allConstant && x.inputs.size() == x.operands.size() && rank >= 2 && axis == 1)
    return BuildResult::of(std::make_shared<DepthConcatenationLayer>(c.layerName(), static_cast<int>(x.inputs.size())),
                           x.inputs);
  return BuildResult::of(std::make_shared<ConcatLayer>(c.layerName(), axis, x.operands), x.inputs);
}

BuildResult buildReshape(const NodeContext& c) {
  ReshapeOptions options;
  options.shape = c.ints(1);
  options.allowZero = c.node().attrInt("allowzero", 0) != 0;
  options.importShape = c.shape(0);
  return unaryTensorLayer<ReshapeLayer>(c, options);
}

BuildResult buildFlatten(const NodeContext& c) {
  return unaryTensorLayer<FlattenToMatrixLayer>(c, c.node().attrInt("axis", 1));
}

BuildResult buildTranspose(const NodeContext& c) {
  return unaryTensorLayer<TransposeLayer>(c, c.node().attrInts("perm"));
}

BuildResult buildSqueeze(const NodeContext& c) {
  return unaryTensorLayer<SqueezeLayer>(c, SqueezeOptions{false, axesOf(c, 1)});
}

BuildResult buildUnsqueeze(const NodeContext& c) {
  if (!c.node().find("axes") && !c.has(1)) c.fail("needs axes (an attribute before opset 13, input 1 from 13)");
  return unaryTensorLayer<SqueezeLayer>(c, SqueezeOptions{true, axesOf(c, 1)});
}

BuildResult buildGather(const NodeContext& c) {
  GatherOptions options{.axis = c.axis(c.node().attrInt("axis", 0), c.rank(0)), .indices = c.ints(1),
                        .indicesShape = c.shape(1)};
  return unaryTensorLayer<GatherLayer>(c, options);
}

BuildResult buildSlice(const NodeContext& c) {
  SliceOptions options;
  if (c.opset() < 10) {
    options.starts = c.node().attrInts("starts");
    options.ends = c.node().attrInts("ends");
    options.axes = c.node().attrInts("axes");
  } else {
    options.starts = c.ints(1);
    options.ends = c.ints(2);
    if (c.has(3)) options.axes = c.ints(3);
    if (c.has(4)) options.steps = c.ints(4);
  }
  return unaryTensorLayer<SliceLayer>(c, options);
}

BuildResult buildPad(const NodeContext& c) {
  PadOptions options;
  const std::string mode = c.node().attrString("mode", "constant");
  if (mode == "constant") options.mode = PadMode::Constant;
  else if (mode == "edge") options.mode = PadMode::Edge;
  else if (mode == "reflect") options.mode = PadMode::Reflect;
  else c.fail("mode '" + mode + "' is not supported (constant, edge and reflect are)");
  const int rank = c.rank(0);
  if (c.opset() < 11) {
    options.pads = c.node().attrInts("pads");
    options.value = c.node().attrFloat("value", 0.0f);
  } else {
    std::vector<int64_t> pads = c.ints(1);
    if (c.has(2)) options.value = c.scalar(2);
    if (c.has(3)) {  // opset 18: pads for the listed axes only
      const std::vector<int64_t> axes = c.ints(3);
      if (pads.size() != 2 * axes.size())
        c.fail("pads must have 2 values per listed axis, got " + std::to_string(pads.size()) + " for " +
               std::to_string(axes.size()) + " axes");
      options.pads.assign(2 * static_cast<size_t>(rank), 0);
      for (size_t i = 0; i < axes.size(); ++i) {
        const size_t a = static_cast<size_t>(c.axis(axes[i], rank));
        options.pads[a] = pads[i];
        options.pads[a + static_cast<size_t>(rank)] = pads[i + axes.size()];
      }
    } else {
      options.pads = std::move(pads);
    }
  }
  return unaryTensorLayer<PadLayer>(c, options);
}

BuildResult buildExpand(const NodeContext& c) { return unaryTensorLayer<ExpandLayer>(c, c.ints(1)); }

// ---- reductions and normalisation ----

template <ReduceOp op>
BuildResult buildReduce(const NodeContext& c) {
  const std::vector<int64_t> axes = axesOf(c, 1);
  std::vector<int> normalised;
  for (int64_t a : axes) normalised.push_back(c.axis(a, c.rank(0)));
  std::sort(normalised.begin(), normalised.end());
  if (std::adjacent_find(normalised.begin(), normalised.end()) != normalised.end())
    c.fail("axes " + shapeText(axes) + " name an axis twice (rank-" + std::to_string(c.rank(0)) + " input)");
  ReduceOptions options{.op = op, .axes = axes, .keepDims = c.node().attrInt("keepdims", 1) != 0,
                        .noopWithEmptyAxes = c.node().attrInt("noop_with_empty_axes", 0) != 0};
  return unaryTensorLayer<ReduceLayer>(c, options);
}

template <bool log>
BuildResult buildSoftmax(const NodeContext& c) {
  const bool coerce = c.opset() < 13;
  const int rank = c.rank(0);
  const int axis = c.axis(c.node().attrInt("axis", coerce ? 1 : -1), std::max(rank, 1));
  // Axis 1 is C for every rank >= 2; coerced, it is all of the normalised axes only at rank 2.
  if (!log && !c.isConstant(0) && rank >= 2 && axis == 1 && (rank == 2 || !coerce))
    return BuildResult::of(std::make_shared<SoftmaxLayer>(c.layerName()), {0});
  return unaryTensorLayer<AxisSoftmaxLayer>(c, AxisSoftmaxOptions{.log = log, .axis = axis, .coerce2d = coerce});
}

BuildResult buildLayerNormalization(const NodeContext& c) {
  std::vector<int> which = {0, 1};
  if (c.has(2)) which.push_back(2);
  Operands x = operandsOf(c, which);
  const int axis = c.axis(c.node().attrInt("axis", -1), c.rank(0));
  const double epsilon = c.node().attrFloat("epsilon", 1e-5f);
  return BuildResult::of(std::make_shared<AxisLayerNormLayer>(c.layerName(), axis, epsilon, x.operands), x.inputs);
}

// ---- types and shapes ----

BuildResult buildCast(const NodeContext& c) {
  if (!c.node().find("to")) c.fail("needs the 'to' attribute");
  const auto to = static_cast<DataType>(c.node().attrInt("to", 0));
  if (!isFloatType(to) && !isIntegerType(to)) c.fail("cannot cast to " + dataTypeName(to));
  if (c.isConstant(0)) {
    // Folded here rather than by the importer, so that the constant carries its new type.
    const Array& x = c.constant(0);
    Tensor values = x.dtype() == DType::Float64 ? x.value().clone() : x.value().to(DType::Float64);
    double* p = values.data<double>();
    for (int64_t i = 0; i < values.numel(); ++i)
      p[i] = isFloatType(to) ? p[i] : to == DataType::Bool ? (p[i] != 0 ? 1.0 : 0.0) : std::trunc(p[i]);
    return BuildResult::constantOf(constantValue(Array(values, x.format()), to));
  }
  if (isFloatType(to)) return BuildResult::pass(0);
  return unaryTensorLayer<CastLayer>(c, to);
}

BuildResult buildShape(const NodeContext& c) {
  const std::vector<int64_t>& shape = c.shape(0);
  const int64_t rank = static_cast<int64_t>(shape.size());
  auto clampAxis = [rank](int64_t a) { return std::clamp<int64_t>(a < 0 ? a + rank : a, 0, rank); };
  const int64_t start = clampAxis(c.node().attrInt("start", 0)), end = clampAxis(c.node().attrInt("end", rank));
  std::vector<int64_t> values;
  for (int64_t a = start; a < end; ++a) values.push_back(shape[static_cast<size_t>(a)]);
  return BuildResult::constantOf(intConstant(values, {static_cast<int64_t>(values.size())}));
}

BuildResult buildConstantOfShape(const NodeContext& c) {
  const std::vector<int64_t> shape = c.ints(0);
  for (int64_t d : shape)
    if (d < 0) c.fail("the shape " + detail::bracketed(shape) + " has a negative size");
  double value = 0;
  DataType type = DataType::Float;
  if (const Attribute* a = c.node().find("value")) {
    const std::vector<double> values = a->t.toDoubles();
    if (values.size() != 1) c.fail("the 'value' attribute must hold one value, got " + std::to_string(values.size()));
    value = values[0];
    type = a->t.dataType;
  }
  c.checkFoldable(shape);
  std::vector<int64_t> dims(shape.rbegin(), shape.rend());
  Array filled(Tensor::full(Shape(dims), value, DType::Float64), DimFormat::unformatted(static_cast<int>(dims.size())));
  return BuildResult::constantOf(constantValue(filled, type));
}

}  // namespace

void addTensorOps(OpTable& table) {
  table.add("Add", buildElementwise<ElementwiseOp::Add>);
  table.add("Sub", buildElementwise<ElementwiseOp::Sub>);
  table.add("Mul", buildElementwise<ElementwiseOp::Mul>);
  table.add("Div", buildElementwise<ElementwiseOp::Div>);
  table.add("Pow", buildElementwise<ElementwiseOp::Pow>);
  table.add("Max", buildElementwise<ElementwiseOp::Max>);
  table.add("Min", buildElementwise<ElementwiseOp::Min>);
  table.add("Sum", buildElementwise<ElementwiseOp::Sum>);
  table.add("Mean", buildElementwise<ElementwiseOp::Mean>);
  table.add("MatMul", buildMatMul);
  table.add("Concat", buildConcat);
  table.add("Flatten", buildFlatten);
  table.add("Reshape", buildReshape);
  table.add("Transpose", buildTranspose);
  table.add("Squeeze", buildSqueeze);
  table.add("Unsqueeze", buildUnsqueeze);
  table.add("Gather", buildGather);
  table.add("Slice", buildSlice);
  table.add("Pad", buildPad);
  table.add("Expand", buildExpand);
  table.add("ReduceMean", buildReduce<ReduceOp::Mean>);
  table.add("ReduceSum", buildReduce<ReduceOp::Sum>);
  table.add("ReduceMax", buildReduce<ReduceOp::Max>);
  table.add("Softmax", buildSoftmax<false>);
  table.add("LogSoftmax", buildSoftmax<true>);
  table.add("LayerNormalization", buildLayerNormalization);
  table.add("Cast", buildCast);
  table.add("Shape", buildShape);
  table.add("ConstantOfShape", buildConstantOfShape);
}

}  // namespace dlcam::onnx
