#include "io/onnx/layout.h"

#include <algorithm>
#include <cstdint>
#include <numeric>

#include "autodiff/shape_ops.h"
#include "core/error.h"

namespace dlcam::onnx {

DimFormat formatForRank(int rank) {
  switch (rank) {
    case 0: return DimFormat("");
    case 1: return DimFormat("U");
    case 2: return DimFormat("CB");
    case 3: return DimFormat("CBT");
    default: return DimFormat(std::string(static_cast<size_t>(rank - 2), 'S') + "CB");
  }
}

namespace {
// order[i] = the ONNX-order dimension that becomes labelled dimension i.
std::vector<int> labelledFromOnnxOrder(int rank) {
  std::vector<int> order(static_cast<size_t>(rank));
  std::iota(order.begin(), order.end(), 0);
  if (rank == 3) order = {1, 2, 0};              // L C N → C N L
  else if (rank >= 4) std::swap(order[0], order[1]);  // reversed spatial, first two swapped
  return order;
}

std::vector<int> inverse(const std::vector<int>& order) {
  std::vector<int> inv(order.size());
  for (size_t i = 0; i < order.size(); ++i) inv[static_cast<size_t>(order[i])] = static_cast<int>(i);
  return inv;
}

bool isIdentity(const std::vector<int>& order) {
  for (size_t i = 0; i < order.size(); ++i)
    if (order[i] != static_cast<int>(i)) return false;
  return true;
}
}  // namespace

Array fromOnnxOrder(const Array& onnxOrder) {
  const int rank = onnxOrder.rank();
  std::vector<int> order = labelledFromOnnxOrder(rank);
  Array permuted = isIdentity(order) ? onnxOrder : permute(relabel(onnxOrder, DimFormat::unformatted(rank).str()), order);
  return relabel(permuted, formatForRank(rank).str());
}

Array toOnnxOrder(const Array& labelled) {
  const int rank = labelled.rank();
  if (labelled.format() != formatForRank(rank))
    fail("ONNX layout: expected a ", formatForRank(rank).str(), " array for an ONNX rank-", rank, " value, got ",
         labelled.format().str());
  std::vector<int> order = inverse(labelledFromOnnxOrder(rank));
  Array unformatted = relabel(labelled, DimFormat::unformatted(rank).str());
  return isIdentity(order) ? unformatted : permute(unformatted, order);
}

std::vector<int64_t> onnxShape(const Shape& size, const DimFormat& format) {
  const int rank = size.rank();
  if (format != formatForRank(rank))
    fail("ONNX layout: a ", format.str(), " activation has no ONNX layout (expected ", formatForRank(rank).str(), ")");
  std::vector<int> order = labelledFromOnnxOrder(rank);
  std::vector<int64_t> reversed(static_cast<size_t>(rank));
  for (int i = 0; i < rank; ++i) reversed[static_cast<size_t>(order[static_cast<size_t>(i)])] = size[i];
  std::reverse(reversed.begin(), reversed.end());
  return reversed;
}

Shape labelledSize(const std::vector<int64_t>& shape) {
  const int rank = static_cast<int>(shape.size());
  std::vector<int64_t> reversed(shape.rbegin(), shape.rend());
  std::vector<int> order = labelledFromOnnxOrder(rank);
  std::vector<int64_t> dims(static_cast<size_t>(rank));
  for (int i = 0; i < rank; ++i) dims[static_cast<size_t>(i)] = reversed[static_cast<size_t>(order[static_cast<size_t>(i)])];
  return Shape(dims);
}

std::vector<int64_t> spatialToDlcam(std::vector<int64_t> values) {
  std::reverse(values.begin(), values.end());
  if (values.size() >= 2) std::swap(values[0], values[1]);
  return values;
}

std::vector<int64_t> spatialToOnnx(std::vector<int64_t> values) {
  if (values.size() >= 2) std::swap(values[0], values[1]);
  std::reverse(values.begin(), values.end());
  return values;
}

int64_t product(const std::vector<int64_t>& shape, size_t from, size_t to) {
  to = std::min(to, shape.size());
  from = std::min(from, to);
  int64_t n = 1;
  for (size_t d = from; d < to; ++d)
    if (__builtin_mul_overflow(n, shape[d], &n))
      fail("shape ", detail::bracketed(shape), " has more elements than fit in int64");
  return n;
}

std::string shapeText(const std::vector<int64_t>& shape) { return detail::bracketed(shape); }

Array onnxOrderArray(Tensor rowMajorValues, const std::vector<int64_t>& shape) {
  std::vector<int64_t> reversed(shape.rbegin(), shape.rend());
  Shape dims(reversed);
  if (dims.numel() != rowMajorValues.numel())
    fail("ONNX layout: shape ", Shape(shape).str(), " needs ", dims.numel(), " values, got ", rowMajorValues.numel());
  return Array(rowMajorValues.reshaped(dims), DimFormat::unformatted(static_cast<int>(shape.size())));
}

}  // namespace dlcam::onnx
