#include "io/onnx/op_table.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "io/onnx/layout.h"

namespace dlcam::onnx {

Value constantValue(Array onnxOrder, DataType type) {
  Value v;
  v.shape.assign(onnxOrder.shape().dims().rbegin(), onnxOrder.shape().dims().rend());
  v.type = type;
  // float32 data stays float32 (weights); everything else is float64.
  const DType dtype = type == DataType::Float && onnxOrder.dtype() == DType::Float32 ? DType::Float32 : DType::Float64;
  v.constant = Array(onnxOrder.value().to(dtype), DimFormat::unformatted(onnxOrder.rank()));
  return v;
}

Value constantValue(const TensorProto& t) {
  if (t.dataType == DataType::String || t.dataType == DataType::Complex64 || t.dataType == DataType::Complex128)
    dlcam::fail("ONNX tensor '", t.name, "': ", dataTypeName(t.dataType), " tensors are not supported");
  const Shape flatShape{t.numel()};
  if (t.dataType == DataType::Float) {
    if (t.raw.size() != static_cast<size_t>(t.numel()) * sizeof(float))  // parsed files are checked; built models may not be
      dlcam::fail("ONNX tensor '", t.name, "': ", t.numel(), " float values declared by dims ", shapeText(t.dims),
                  " but ", t.raw.size(), " bytes stored");
    Tensor flat = Tensor::empty(flatShape, DType::Float32);
    if (!t.raw.empty()) std::memcpy(flat.data<float>(), t.raw.data(), t.raw.size());  // ONNX is little-endian, as x86
    return constantValue(onnxOrderArray(flat, t.dims), t.dataType);
  }
  std::vector<double> values = t.toDoubles();
  Tensor flat = Tensor::fromValues(flatShape, std::span<const double>(values), DType::Float64);
  return constantValue(onnxOrderArray(flat, t.dims), t.dataType);
}

bool NodeContext::has(int i) const {
  return i >= 0 && i < numInputs() && inputs_[static_cast<size_t>(i)] != nullptr;
}

const Value& NodeContext::input(int i) const {
  if (!has(i)) fail("needs input " + std::to_string(i) + ", which is missing");
  return *inputs_[static_cast<size_t>(i)];
}

const Array& NodeContext::constant(int i) const {
  const Value& v = input(i);
  if (!v.isConstant())
    fail("input " + std::to_string(i) + " ('" + node_.inputs[static_cast<size_t>(i)] +
         "') must be an initializer or computable at load time; dlcam does not take it at run time");
  return v.constant;
}

std::vector<double> NodeContext::doubles(int i) const {
  const Tensor c = constant(i).value().to(DType::Float64);
  const double* p = c.data<double>();
  return std::vector<double>(p, p + c.numel());
}

double NodeContext::scalar(int i) const {
  const std::vector<double> values = doubles(i);
  if (values.size() != 1)
    fail("input " + std::to_string(i) + " ('" + node_.inputs[static_cast<size_t>(i)] + "') must hold one value, got " +
         std::to_string(values.size()) + " (shape " + shapeText(input(i).shape) + ")");
  return values[0];
}

std::vector<int64_t> NodeContext::ints(int i) const {
  std::vector<int64_t> out;
  for (double d : doubles(i)) {
    if (std::isnan(d)) fail("input " + std::to_string(i) + " holds NaN where integers are expected");
    // Exporters write INT64_MAX / INT64_MIN as "to the end" in Slice; doubles round them
    // past the int64 range, so clamp instead of overflowing.
    constexpr double limit = 9.2e18;
    out.push_back(d >= limit    ? std::numeric_limits<int64_t>::max()
                  : d <= -limit ? std::numeric_limits<int64_t>::min()
                                : static_cast<int64_t>(d));
  }
  return out;
}

Array NodeContext::weights(int i) const {
  const Array& c = constant(i);
  return Array(c.value().to(DType::Float32), c.format());
}

void NodeContext::fail(const std::string& what) const {
  dlcam::fail("ONNX node '", node_.name, "' (", node_.opType, "): ", what);
}

void NodeContext::checkFoldable(const std::vector<int64_t>& onnxShape) const {
  if (std::any_of(onnxShape.begin(), onnxShape.end(), [](int64_t d) { return d <= 0; })) return;
  // The sizes come from the file: compare before multiplying, so that nothing overflows.
  int64_t count = 1;
  for (int64_t d : onnxShape) {
    if (d > kMaxFoldedElements / count)
      fail("its output, a constant of shape " + shapeText(onnxShape) +
           ", would be computed at load time and has more than " + std::to_string(kMaxFoldedElements) +
           " (2^24) elements; dlcam refuses constants that large");
    count *= d;
  }
}

int NodeContext::axis(int64_t axis, int rank) const {
  if (axis < -rank || axis >= std::max(rank, 1))
    fail("axis " + std::to_string(axis) + " is out of range for a rank-" + std::to_string(rank) + " input");
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

const OpTable& opTable() {
  static const OpTable table = [] {
    OpTable t;
    addNeuralOps(t);
    addTensorOps(t);
    return t;
  }();
  return table;
}

}  // namespace dlcam::onnx
