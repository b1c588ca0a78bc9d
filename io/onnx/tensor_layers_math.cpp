// The arithmetic tensor layers: elementwise ops, MatMul, reductions, Softmax over an axis,
// LayerNormalization, Cast. All work in ONNX order (see tensor_layers.cpp).
#include <algorithm>
#include <functional>
#include <numeric>

#include "autodiff/elementwise.h"
#include "autodiff/linear.h"
#include "autodiff/norm.h"
#include "autodiff/reduce.h"
#include "autodiff/shape_ops.h"
#include "autodiff/softmax.h"
#include "io/onnx/layout.h"
#include "io/onnx/tensor_layers.h"
#include "kernels/elementwise.h"

namespace dlcam::onnx {

namespace {

// Values that are constants for the tape: integer results have no useful gradient. f is a
// functor from kernels/functors.h, so that this runs on the arrays' device.
template <typename F>
Array detachedMap(const Array& x, F f) {
  return Array(kernels::map(x.value(), f), x.format());
}

}  // namespace

bool isIntegerType(DataType type) {
  switch (type) {
    case DataType::Uint8: case DataType::Int8: case DataType::Uint16: case DataType::Int16: case DataType::Int32:
    case DataType::Int64: case DataType::Bool: case DataType::Uint32: case DataType::Uint64:
      return true;
    default:
      return false;
  }
}

bool isFloatType(DataType type) {
  return type == DataType::Float || type == DataType::Double || type == DataType::Float16 ||
         type == DataType::BFloat16;
}

// ---- Elementwise ---------------------------------------------------------------------------

ElementwiseLayer::ElementwiseLayer(std::string name, ElementwiseOptions options, std::vector<Array> operands)
    : TensorLayer(std::move(name), std::move(operands)), options_(options) {
  const bool binary = options_.op == ElementwiseOp::Add || options_.op == ElementwiseOp::Sub ||
                      options_.op == ElementwiseOp::Mul || options_.op == ElementwiseOp::Div ||
                      options_.op == ElementwiseOp::Pow;
  if (binary && operands_.size() != 2) failHere(detail::cat("takes 2 operands, got ", operands_.size()));
}

std::string ElementwiseLayer::type() const {
  static const char* names[] = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean"};
  return names[static_cast<int>(options_.op)];
}

std::vector<int64_t> ElementwiseLayer::outputShape(const std::vector<std::vector<int64_t>>& shapes) const {
  std::vector<int64_t> out = shapes[0];
  for (size_t i = 1; i < shapes.size(); ++i) out = broadcastShapes(out, shapes[i]);
  return out;
}

Array ElementwiseLayer::forward(std::span<const Array> inputs, ForwardContext& context) const {
  const bool labelled = inputs.size() == 2 && operands_.size() == 2 && !options_.integer &&
                        inputs[0].rank() == inputs[1].rank() && inputs[0].format() == inputs[1].format() &&
                        inputs[0].format() == formatForRank(inputs[0].rank()) && inputs[0].dtype() == inputs[1].dtype();
  if (!labelled) return TensorLayer::forward(inputs, context);
  const std::vector<int64_t> a = onnxShape(inputs[0].shape(), inputs[0].format());
  outputShape({a, onnxShape(inputs[1].shape(), inputs[1].format())});  // the same size checks and errors
  switch (options_.op) {
    case ElementwiseOp::Add: case ElementwiseOp::Sum: return add(inputs[0], inputs[1]);
    case ElementwiseOp::Sub: return subtract(inputs[0], inputs[1]);
    case ElementwiseOp::Mul: return multiply(inputs[0], inputs[1]);
    case ElementwiseOp::Div: return divide(inputs[0], inputs[1]);
    case ElementwiseOp::Pow: return pow(inputs[0], inputs[1]);
    default: return TensorLayer::forward(inputs, context);
  }
}

Array ElementwiseLayer::compute(const std::vector<Array>& xs) const {
  // max(a, b): both broadcast to the output, stacked along a new last ONNX-order dim, reduced.
  auto maximum = [this](const Array& a, const Array& b) {
    const std::vector<int64_t> shape = broadcastShapes(onnxDims(a), onnxDims(b));
    std::vector<int64_t> stackedDims(shape.rbegin(), shape.rend());
    stackedDims.push_back(1);
    const std::string labels(stackedDims.size(), 'U');
    const int last = static_cast<int>(stackedDims.size()) - 1;
    Array both = concat({reshape(broadcastOnnx(a, shape), Shape(stackedDims), labels),
                         reshape(broadcastOnnx(b, shape), Shape(stackedDims), labels)},
                        last);
    return reshapeOnnx(dlcam::max(both, {last}), shape);
  };
  std::vector<std::vector<int64_t>> shapes;
  for (const Array& x : xs) shapes.push_back(onnxDims(x));
  outputShape(shapes);

  Array y = xs[0];
  for (size_t i = 1; i < xs.size(); ++i) {
    const Array& b = xs[i];
    switch (options_.op) {
      case ElementwiseOp::Add: case ElementwiseOp::Sum: case ElementwiseOp::Mean: y = add(y, b); break;
      case ElementwiseOp::Sub: y = subtract(y, b); break;
      case ElementwiseOp::Mul: y = multiply(y, b); break;
      case ElementwiseOp::Div: y = divide(y, b); break;
      case ElementwiseOp::Pow: y = pow(y, b); break;
      case ElementwiseOp::Max: y = maximum(y, b); break;
      case ElementwiseOp::Min: y = negate(maximum(negate(y), negate(b))); break;
    }
  }
  if (options_.op == ElementwiseOp::Mean && xs.size() > 1) y = multiply(y, 1.0 / static_cast<double>(xs.size()));
  return options_.integer ? detachedMap(y, kernels::fn::Trunc{}) : y;
}

// ---- MatMul --------------------------------------------------------------------------------

MatMulLayer::MatMulLayer(std::string name, std::vector<Array> operands) : TensorLayer(std::move(name), std::move(operands)) {
  if (operands_.size() != 2) failHere(detail::cat("takes 2 operands, got ", operands_.size()));
}

std::vector<int64_t> MatMulLayer::outputShape(const std::vector<std::vector<int64_t>>& shapes) const {
  std::vector<int64_t> a = shapes[0], b = shapes[1];
  if (a.empty() || b.empty()) failHere("operands must have rank 1 or more, got a scalar");
  const bool rowA = a.size() == 1, columnB = b.size() == 1;
  if (rowA) a.insert(a.begin(), 1);
  if (columnB) b.push_back(1);
  const int64_t m = a[a.size() - 2], k = a.back(), kb = b[b.size() - 2], n = b.back();
  if (k != kb)
    failHere(detail::cat("cannot multiply ONNX shapes ", shapeText(shapes[0]), " and ", shapeText(shapes[1]),
                         ": inner sizes ", k, " and ", kb, " differ"));
  std::vector<int64_t> out = broadcastShapes(std::vector<int64_t>(a.begin(), a.end() - 2),
                                             std::vector<int64_t>(b.begin(), b.end() - 2));
  if (!rowA) out.push_back(m);
  if (!columnB) out.push_back(n);
  return out;
}

Array MatMulLayer::compute(const std::vector<Array>& xs) const {
  const std::vector<int64_t> out = outputShape({onnxDims(xs[0]), onnxDims(xs[1])});
  std::vector<int64_t> a = onnxDims(xs[0]), b = onnxDims(xs[1]);
  if (a.size() == 1) a.insert(a.begin(), 1);
  if (b.size() == 1) b.push_back(1);
  const std::vector<int64_t> batch = broadcastShapes(std::vector<int64_t>(a.begin(), a.end() - 2),
                                                     std::vector<int64_t>(b.begin(), b.end() - 2));
  std::vector<int64_t> fullA = batch, fullB = batch;
  fullA.insert(fullA.end(), a.end() - 2, a.end());
  fullB.insert(fullB.end(), b.end() - 2, b.end());
  // Row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ, and ONNX order holds exactly Aᵀ, Bᵀ, Cᵀ
  // (N×K times K×M, pages the reversed batch dims).
  const Array ao = broadcastOnnx(reshapeOnnx(xs[0], a), fullA);
  const Array bo = broadcastOnnx(reshapeOnnx(xs[1], b), fullB);
  return reshapeOnnx(matmul(bo, ao), out);
}

// ---- Reduce --------------------------------------------------------------------------------

ReduceLayer::ReduceLayer(std::string name, ReduceOptions options, Array operand)
    : TensorLayer(std::move(name), {std::move(operand)}), options_(std::move(options)) {}

std::string ReduceLayer::type() const {
  static const char* names[] = {"ReduceMean", "ReduceSum", "ReduceMax"};
  return names[static_cast<int>(options_.op)];
}

std::string ReduceLayer::description() const {
  if (options_.axes.empty()) return type() + (options_.noopWithEmptyAxes ? " (no axes: identity)" : " over all axes");
  return type() + " over axes " + shapeText(options_.axes);
}

std::vector<bool> ReduceLayer::reduced(int rank) const {
  std::vector<bool> r(static_cast<size_t>(rank), options_.axes.empty() && !options_.noopWithEmptyAxes);
  for (int64_t a : options_.axes) r[static_cast<size_t>(axisIndex(a, rank))] = true;
  return r;
}

std::vector<int64_t> ReduceLayer::outputShape(const std::vector<std::vector<int64_t>>& shapes) const {
  const std::vector<int64_t>& in = shapes[0];
  const std::vector<bool> r = reduced(static_cast<int>(in.size()));
  std::vector<int64_t> out;
  for (size_t a = 0; a < in.size(); ++a) {
    if (!r[a]) out.push_back(in[a]);
    else if (options_.keepDims) out.push_back(1);
  }
  return out;
}

Array ReduceLayer::compute(const std::vector<Array>& xs) const {
  const Array& x = xs[0];
  const int rank = x.rank();
  const std::vector<bool> r = reduced(rank);
  std::vector<int> dims;
  for (int a = 0; a < rank; ++a)
    if (r[static_cast<size_t>(a)]) dims.push_back(rank - 1 - a);
  if (dims.empty()) return x;
  Array y = options_.op == ReduceOp::Mean ? mean(x, dims) : options_.op == ReduceOp::Sum ? sum(x, dims) : dlcam::max(x, dims);
  return reshapeOnnx(y, outputShape({onnxDims(x)}));
}

// ---- Softmax / LogSoftmax ------------------------------------------------------------------

AxisSoftmaxLayer::AxisSoftmaxLayer(std::string name, AxisSoftmaxOptions options, Array operand)
    : TensorLayer(std::move(name), {std::move(operand)}), options_(options) {}

std::string AxisSoftmaxLayer::description() const {
  return detail::cat(type(), options_.coerce2d ? " over axes " : " over axis ", options_.axis, options_.coerce2d ? " and on" : "");
}

std::vector<int64_t> AxisSoftmaxLayer::outputShape(const std::vector<std::vector<int64_t>>& shapes) const {
  axisIndex(options_.axis, std::max<int>(1, static_cast<int>(shapes[0].size())));
  return shapes[0];
}

Array AxisSoftmaxLayer::compute(const std::vector<Array>& xs) const {
  const Array& x = xs[0];
  std::vector<int64_t> shape = onnxDims(x);
  if (shape.empty()) shape = {1};  // a scalar is one value along one axis
  const int rank = static_cast<int>(shape.size());
  const size_t axis = static_cast<size_t>(axisIndex(options_.axis, rank));
  // The normalised values are contiguous in ONNX order (C), the rest splits around them.
  Shape grouped = options_.coerce2d
                      ? Shape{product(shape, axis), product(shape, 0, axis)}
                      : Shape{product(shape, axis + 1), shape[axis], product(shape, 0, axis)};
  Array g = reshape(x, grouped, options_.coerce2d ? "CB" : "SCB");
  Array y = options_.log ? logSoftmax(g) : softmax(g);
  return reshape(y, x.shape(), x.format().str());
}

// ---- LayerNormalization --------------------------------------------------------------------

AxisLayerNormLayer::AxisLayerNormLayer(std::string name, int64_t axis, double epsilon, std::vector<Array> operands)
    : TensorLayer(std::move(name), std::move(operands)), axis_(axis), epsilon_(epsilon) {
  if (operands_.size() != 2 && operands_.size() != 3)
    failHere(detail::cat("takes X, Scale and optionally B, got ", operands_.size(), " operands"));
  if (!(epsilon_ > 0)) failHere(detail::cat("epsilon must be > 0, got ", epsilon_));
}

std::vector<int64_t> AxisLayerNormLayer::outputShape(const std::vector<std::vector<int64_t>>& shapes) const {
  const std::vector<int64_t>& x = shapes[0];
  const int axis = axisIndex(axis_, static_cast<int>(x.size()));
  const std::vector<int64_t> normalized(x.begin() + axis, x.end());
  for (size_t i = 1; i < shapes.size(); ++i)
    if (product(broadcastShapes(shapes[i], normalized)) != product(normalized))
      failHere(detail::cat(i == 1 ? "Scale" : "B", " of shape ", shapeText(shapes[i]), " does not broadcast to ",
                           shapeText(normalized), ", the shape normalised over"));
  return x;
}

Array AxisLayerNormLayer::compute(const std::vector<Array>& xs) const {
  std::vector<std::vector<int64_t>> shapes;
  for (const Array& x : xs) shapes.push_back(onnxDims(x));
  outputShape(shapes);
  const Array& x = xs[0];
  const std::vector<int64_t> shape = onnxDims(x);
  const size_t axis = static_cast<size_t>(axisIndex(axis_, x.rank()));
  const std::vector<int64_t> normalized(shape.begin() + static_cast<std::ptrdiff_t>(axis), shape.end());
  const int64_t inner = product(normalized);
  // The normalised axes are the fastest in ONNX order: one "C" of inner values per position.
  auto perValue = [&](const Array& p) {
    const Array full = p.numel() == inner ? p : broadcastOnnx(p, broadcastShapes(onnxDims(p), normalized));
    return reshape(full, Shape{inner}, "U");
  };
  const Array scale = perValue(xs[1]);
  const Array offset = xs.size() > 2 ? perValue(xs[2]) : Array(Tensor::zeros(Shape{inner}, x.dtype(), x.device()));
  const Array grouped = reshape(x, Shape{inner, product(shape, 0, axis)}, "CB");
  const Array y = layerNorm(grouped, offset, scale, {.epsilon = epsilon_, .dims = LayerNormDims::Channel});
  return reshape(y, x.shape(), x.format().str());
}

// ---- Cast ----------------------------------------------------------------------------------

CastLayer::CastLayer(std::string name, DataType to, Array operand)
    : TensorLayer(std::move(name), {std::move(operand)}), to_(to) {
  if (!isFloatType(to_) && !isIntegerType(to_))
    failHere("cannot cast to " + dataTypeName(to_) + ": only numeric and bool types are supported");
}

std::vector<int64_t> CastLayer::outputShape(const std::vector<std::vector<int64_t>>& shapes) const { return shapes[0]; }

Array CastLayer::compute(const std::vector<Array>& xs) const {
  if (isFloatType(to_)) return xs[0];
  if (to_ == DataType::Bool) return detachedMap(xs[0], kernels::fn::NonZero{});
  return detachedMap(xs[0], kernels::fn::Trunc{});
}

}  // namespace dlcam::onnx
