// TensorLayer and the layers that move values: Concat, Reshape, Flatten, Transpose,
// Squeeze/Unsqueeze, Gather, Slice, Pad, Expand. The arithmetic ones are in
// tensor_layers_math.cpp.
//
// Everything here works in ONNX order: an ONNX shape (d0, …, d(r−1)) is stored as the
// column-major dims (d(r−1), …, d0), so ONNX axis a is ONNX-order dimension r − 1 − a.
#include "io/onnx/tensor_layers.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <numeric>

#include "autodiff/elementwise.h"
#include "autodiff/shape_ops.h"
#include "io/onnx/layout.h"

namespace dlcam::onnx {

namespace {

// The ONNX-order dimension of ONNX axis `axis` in a rank-`rank` value.
int orderDim(int axis, int rank) { return rank - 1 - axis; }

}  // namespace

// ---- TensorLayer --------------------------------------------------------------------------

TensorLayer::TensorLayer(std::string name, std::vector<Array> operands)
    : Layer(std::move(name)), operands_(std::move(operands)) {
  // type() is not callable yet (pure virtual during construction): name the layer only.
  if (operands_.empty()) fail("layer '", name_, "': needs at least one operand");
  for (const Array& c : operands_)
    if (c.defined() && c.format().isFormatted())
      fail("layer '", name_, "': a constant operand must be an unformatted ONNX-order array, got format \"",
           c.format().str(), "\"");
}

int TensorLayer::numInputs() const {
  return static_cast<int>(std::count_if(operands_.begin(), operands_.end(), [](const Array& c) { return !c.defined(); }));
}

ActivationInfo TensorLayer::inferOutput(std::span<const ActivationInfo> inputs) const {
  expectInputs(inputs.size());
  std::vector<std::vector<int64_t>> shapes;
  size_t next = 0;
  for (const Array& c : operands_) {
    if (c.defined()) {
      shapes.push_back(onnxDims(c));
      continue;
    }
    const ActivationInfo& in = inputs[next++];
    const DimFormat expected = formatForRank(in.size.rank());
    if (in.format != expected)
      failHere(detail::cat("input ", next, " must be labelled as an ONNX rank-", in.size.rank(), " value (\"",
                           expected.str(), "\"), got ", in.str(), " (\"", in.format.str(), "\")"));
    shapes.push_back(onnxShape(in.size, in.format));
  }
  const std::vector<int64_t> out = outputShape(shapes);
  return {labelledSize(out), formatForRank(static_cast<int>(out.size()))};
}

void TensorLayer::moveTo(Device device) {
  Layer::moveTo(device);
  for (Array& a : operands_)
    if (a.defined()) a = Array(a.value().to(device), a.format());
}

Array TensorLayer::forward(std::span<const Array> inputs, ForwardContext&) const {
  expectInputs(inputs.size());
  const DType dtype = inputs.empty() ? DType::Float64 : inputs[0].dtype();
  std::vector<Array> xs;
  size_t next = 0;
  for (const Array& c : operands_) {
    if (c.defined()) {
      xs.emplace_back(c.value().to(dtype), c.format());
      continue;
    }
    const Array& in = inputs[next++];
    const DimFormat expected = formatForRank(in.rank());
    if (in.format() != expected)
      failHere(detail::cat("input ", next, " must be labelled as an ONNX rank-", in.rank(), " value (\"", expected.str(),
                           "\"), got ", in.shape().str(), " \"", in.format().str(), "\""));
    if (in.dtype() != dtype)
      failHere(detail::cat("inputs must share one dtype, got ", dtypeName(dtype), " and ", dtypeName(in.dtype())));
    xs.push_back(toOnnxOrder(in));
  }
  return fromOnnxOrder(compute(xs));
}

int TensorLayer::axisIndex(int64_t axis, int rank) const {
  if (axis < -rank || axis >= rank)
    failHere(detail::cat("axis ", axis, " is out of range for a rank-", rank, " value (expected ", -rank, " to ",
                         rank - 1, ")"));
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

std::vector<int64_t> TensorLayer::broadcastShapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b) const {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Trailing axes align: pad the shorter shape with leading 1s.
    const int64_t da = i + a.size() >= rank ? a[i + a.size() - rank] : 1;
    const int64_t db = i + b.size() >= rank ? b[i + b.size() - rank] : 1;
    if (da != db && da != 1 && db != 1)
      failHere("ONNX shapes " + shapeText(a) + " and " + shapeText(b) + " do not broadcast (numpy rule)");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<int64_t> TensorLayer::onnxDims(const Array& onnxOrder) {
  const std::vector<int64_t>& dims = onnxOrder.shape().dims();
  return std::vector<int64_t>(dims.rbegin(), dims.rend());
}

Array TensorLayer::reshapeOnnx(const Array& x, const std::vector<int64_t>& onnxShape) {
  if (onnxDims(x) == onnxShape) return x;
  std::vector<int64_t> dims(onnxShape.rbegin(), onnxShape.rend());
  return reshape(x, Shape(dims), std::string(dims.size(), 'U'));
}

Array TensorLayer::broadcastOnnx(const Array& x, const std::vector<int64_t>& onnxShape) {
  if (onnxDims(x) == onnxShape) return x;
  // Unformatted arrays broadcast by position from the first (fastest) dim: in ONNX order that
  // aligns trailing ONNX axes, numpy's rule. Adding zeros sums the gradient over the copies.
  std::vector<int64_t> dims(onnxShape.rbegin(), onnxShape.rend());
  Array zeros(Tensor::zeros(Shape(dims), x.dtype(), x.device()), DimFormat::unformatted(static_cast<int>(dims.size())));
  return add(x, zeros);
}

// ---- Concat --------------------------------------------------------------------------------

ConcatLayer::ConcatLayer(std::string name, int64_t axis, std::vector<Array> operands)
    : TensorLayer(std::move(name), std::move(operands)), axis_(axis) {}

std::vector<int64_t> ConcatLayer::outputShape(const std::vector<std::vector<int64_t>>& shapes) const {
  const int rank = static_cast<int>(shapes[0].size());
  if (rank == 0) failHere("cannot concatenate scalars (rank 0)");
  const int axis = axisIndex(axis_, rank);
  std::vector<int64_t> out = shapes[0];
  out[static_cast<size_t>(axis)] = 0;
  for (const auto& s : shapes) {
    bool fits = s.size() == shapes[0].size();
    for (size_t d = 0; fits && d < s.size(); ++d) fits = static_cast<int>(d) == axis || s[d] == shapes[0][d];
    if (!fits)
      failHere(detail::cat("operands must have the same shape except along axis ", axis, ", got ",
                           shapeText(shapes[0]), " and ", shapeText(s)));
    if (__builtin_add_overflow(out[static_cast<size_t>(axis)], s[static_cast<size_t>(axis)], &out[static_cast<size_t>(axis)]))
      failHere(detail::cat("the operands' sizes along axis ", axis, " add up to more than fit in int64"));
  }
  return out;
}

Array ConcatLayer::compute(const std::vector<Array>& xs) const {
  std::vector<std::vector<int64_t>> shapes;
  for (const Array& x : xs) shapes.push_back(onnxDims(x));
  outputShape(shapes);
  const int rank = xs[0].rank();
  return xs.size() == 1 ? xs[0] : concat(xs, orderDim(axisIndex(axis_, rank), rank));
}

std::string ConcatLayer::description() const { return detail::cat("Concat along axis ", axis_); }

// ---- Reshape -------------------------------------------------------------------------------

ReshapeLayer::ReshapeLayer(std::string name, ReshapeOptions options, Array operand)
    : TensorLayer(std::move(name), {std::move(operand)}), options_(std::move(options)) {
  if (std::count(options_.shape.begin(), options_.shape.end(), -1) > 1)
    failHere("the target shape " + shapeText(options_.shape) + " has more than one -1");
  for (int64_t d : options_.shape)
    if (d < -1) failHere("the target shape " + shapeText(options_.shape) + " has a negative size other than -1");
}

std::vector<int64_t> ReshapeLayer::outputShape(const std::vector<std::vector<int64_t>>& shapes) const {
  const std::vector<int64_t>& in = shapes[0];
  std::vector<int64_t> out = options_.shape;
  const std::vector<int64_t>& imported = options_.importShape;
  if (!imported.empty() && !in.empty() && !out.empty() && in[0] != imported[0] && out[0] == imported[0]) out[0] = in[0];
  int inferred = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 0 && !options_.allowZero) {
      if (i >= in.size())
        failHere(detail::cat("target ", shapeText(options_.shape), " copies dim ", i, " (0) of a rank-", in.size(),
                             " input"));
      out[i] = in[i];
    } else if (out[i] == -1) {
      inferred = static_cast<int>(i);
    }
  }
  const int64_t numel = product(in);
  if (inferred >= 0) {
    out[static_cast<size_t>(inferred)] = 1;
    const int64_t known = product(out);
    if (known == 0 || numel % known != 0)
      failHere("cannot infer the -1 of target " + shapeText(options_.shape) + " for an input of shape " +
               shapeText(in));
    out[static_cast<size_t>(inferred)] = numel / known;
  }
  if (product(out) != numel)
    failHere(detail::cat("cannot reshape ", shapeText(in), " (", numel, " values) to ", shapeText(out), " (target ",
                         shapeText(options_.shape), ")"));
  return out;
}

Array ReshapeLayer::compute(const std::vector<Array>& xs) const { return reshapeOnnx(xs[0], outputShape({onnxDims(xs[0])})); }

std::string ReshapeLayer::description() const { return "Reshape to " + shapeText(options_.shape); }

// ---- Flatten -------------------------------------------------------------------------------

FlattenToMatrixLayer::FlattenToMatrixLayer(std::string name, int64_t axis, Array operand)
    : TensorLayer(std::move(name), {std::move(operand)}), axis_(axis) {}

std::vector<int64_t> FlattenToMatrixLayer::outputShape(const std::vector<std::vector<int64_t>>& shapes) const {
  const std::vector<int64_t>& in = shapes[0];
  const int64_t rank = static_cast<int64_t>(in.size());
  if (axis_ < -rank || axis_ > rank)
    failHere(detail::cat("axis ", axis_, " is out of range for a rank-", rank, " input (expected ", -rank, " to ",
                         rank, ")"));
  const size_t axis = static_cast<size_t>(axis_ < 0 ? axis_ + rank : axis_);
  return {product(in, 0, axis), product(in, axis)};
}

Array FlattenToMatrixLayer::compute(const std::vector<Array>& xs) const {
  return reshapeOnnx(xs[0], outputShape({onnxDims(xs[0])}));
}

std::string FlattenToMatrixLayer::description() const { return detail::cat("Flatten at axis ", axis_); }

// ---- Transpose -----------------------------------------------------------------------------

TransposeLayer::TransposeLayer(std::string name, std::vector<int64_t> perm, Array operand)
    : TensorLayer(std::move(name), {std::move(operand)}), perm_(std::move(perm)) {}

std::vector<int> TransposeLayer::order(int rank) const {
  std::vector<int64_t> perm = perm_;
  if (perm.empty())
    for (int i = rank - 1; i >= 0; --i) perm.push_back(i);
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> identity(static_cast<size_t>(rank));
  std::iota(identity.begin(), identity.end(), 0);
  if (sorted != identity)
    failHere(detail::cat("perm ", shapeText(perm_), " is not a permutation of the ", rank, " axes of the input"));
  // Output ONNX axis i is input axis perm[i]; in ONNX order, output dim j = r−1−i.
  std::vector<int> order(static_cast<size_t>(rank));
  for (int j = 0; j < rank; ++j) order[static_cast<size_t>(j)] = rank - 1 - static_cast<int>(perm[static_cast<size_t>(rank - 1 - j)]);
  return order;
}

std::vector<int64_t> TransposeLayer::outputShape(const std::vector<std::vector<int64_t>>& shapes) const {
  const std::vector<int64_t>& in = shapes[0];
  const int rank = static_cast<int>(in.size());
  const std::vector<int> o = order(rank);
  std::vector<int64_t> out(in.size());
  for (int j = 0; j < rank; ++j) out[static_cast<size_t>(rank - 1 - j)] = in[static_cast<size_t>(rank - 1 - o[static_cast<size_t>(j)])];
  return out;
}

Array TransposeLayer::compute(const std::vector<Array>& xs) const {
  const std::vector<int> o = order(xs[0].rank());
  bool identity = true;
  for (size_t j = 0; j < o.size(); ++j) identity = identity && o[j] == static_cast<int>(j);
  return identity ? xs[0] : permute(xs[0], o);
}

std::string TransposeLayer::description() const {
  return perm_.empty() ? "Transpose reversing the axes" : "Transpose with perm " + shapeText(perm_);
}

// ---- Squeeze / Unsqueeze -------------------------------------------------------------------

SqueezeLayer::SqueezeLayer(std::string name, SqueezeOptions options, Array operand)
    : TensorLayer(std::move(name), {std::move(operand)}), options_(std::move(options)) {}

std::vector<int64_t> SqueezeLayer::outputShape(const std::vector<std::vector<int64_t>>& shapes) const {
  const std::vector<int64_t>& in = shapes[0];
  const int rank = static_cast<int>(in.size());
  const int outRank = options_.unsqueeze ? rank + static_cast<int>(options_.axes.size()) : rank;
  std::vector<bool> listed(static_cast<size_t>(outRank));
  for (int64_t a : options_.axes) {
    const int axis = axisIndex(a, outRank);
    if (listed[static_cast<size_t>(axis)]) failHere("axis " + std::to_string(a) + " is listed twice");
    listed[static_cast<size_t>(axis)] = true;
  }
  std::vector<int64_t> out;
  if (options_.unsqueeze) {
    size_t next = 0;
    for (int i = 0; i < outRank; ++i) out.push_back(listed[static_cast<size_t>(i)] ? 1 : in[next++]);
    return out;
  }
  for (int i = 0; i < rank; ++i) {
    const int64_t d = in[static_cast<size_t>(i)];
    const bool squeeze = options_.axes.empty() ? d == 1 : listed[static_cast<size_t>(i)];
    if (squeeze && d != 1)
      failHere(detail::cat("cannot squeeze axis ", i, " of an input of shape ", shapeText(in), ": its size is not 1"));
    if (!squeeze) out.push_back(d);
  }
  return out;
}

Array SqueezeLayer::compute(const std::vector<Array>& xs) const { return reshapeOnnx(xs[0], outputShape({onnxDims(xs[0])})); }

// ---- Gather --------------------------------------------------------------------------------

GatherLayer::GatherLayer(std::string name, GatherOptions options, Array operand)
    : TensorLayer(std::move(name), {std::move(operand)}), options_(std::move(options)) {
  if (product(options_.indicesShape) != static_cast<int64_t>(options_.indices.size()))
    failHere(detail::cat("indices of shape ", shapeText(options_.indicesShape), " need ",
                         product(options_.indicesShape), " values, got ", options_.indices.size()));
}

std::vector<int64_t> GatherLayer::outputShape(const std::vector<std::vector<int64_t>>& shapes) const {
  const std::vector<int64_t>& in = shapes[0];
  const int axis = axisIndex(options_.axis, static_cast<int>(in.size()));
  const int64_t n = in[static_cast<size_t>(axis)];
  for (int64_t i : options_.indices)
    if (i < -n || i >= n)
      failHere(detail::cat("index ", i, " is out of range for axis ", axis, " of size ", n, " (input ", shapeText(in), ")"));
  std::vector<int64_t> out(in.begin(), in.begin() + axis);
  out.insert(out.end(), options_.indicesShape.begin(), options_.indicesShape.end());
  out.insert(out.end(), in.begin() + axis + 1, in.end());
  return out;
}

Array GatherLayer::compute(const std::vector<Array>& xs) const {
  const Array& x = xs[0];
  const std::vector<int64_t> out = outputShape({onnxDims(x)});
  const int axis = axisIndex(options_.axis, x.rank());
  const int dim = orderDim(axis, x.rank());
  const int64_t n = x.size(dim);
  std::vector<int64_t> indices = options_.indices;
  for (int64_t& i : indices) i = i < 0 ? i + n : i;
  // Row-major indices read column-major are the reversed index shape: flat order matches.
  return reshapeOnnx(index(x, dim, indices), out);
}

std::string GatherLayer::description() const {
  return detail::cat("Gather ", options_.indices.size(), " indices along axis ", options_.axis);
}

// ---- Slice ---------------------------------------------------------------------------------

SliceLayer::SliceLayer(std::string name, SliceOptions options, Array operand)
    : TensorLayer(std::move(name), {std::move(operand)}), options_(std::move(options)) {
  const size_t n = options_.starts.size();
  if (options_.ends.size() != n || (!options_.axes.empty() && options_.axes.size() != n) ||
      (!options_.steps.empty() && options_.steps.size() != n))
    failHere(detail::cat("starts, ends, axes and steps must have one value per sliced axis, got ", n, ", ",
                         options_.ends.size(), ", ", options_.axes.size(), " and ", options_.steps.size()));
  for (int64_t s : options_.steps)
    if (s == 0) failHere("a step is 0");
}

std::vector<std::vector<int64_t>> SliceLayer::kept(const std::vector<int64_t>& shape, std::vector<bool>& sliced) const {
  const int rank = static_cast<int>(shape.size());
  std::vector<std::vector<int64_t>> positions(shape.size());
  sliced.assign(shape.size(), false);
  for (size_t i = 0; i < options_.starts.size(); ++i) {
    const int axis = axisIndex(options_.axes.empty() ? static_cast<int64_t>(i) : options_.axes[i], rank);
    if (sliced[static_cast<size_t>(axis)]) failHere("axis " + std::to_string(axis) + " is sliced twice");
    sliced[static_cast<size_t>(axis)] = true;
    const int64_t dim = shape[static_cast<size_t>(axis)];
    // INT64_MIN would overflow when negated; no axis is that long anyway.
    const int64_t step = options_.steps.empty() ? 1 : std::max(options_.steps[i], -std::numeric_limits<int64_t>::max());
    int64_t start = options_.starts[i], end = options_.ends[i];
    // INT64_MIN + dim cannot overflow; INT64_MAX is never negative.
    if (start < 0) start += dim;
    if (end < 0) end += dim;
    int64_t count = 0;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      count = end > start ? (end - start - 1) / step + 1 : 0;
    } else if (dim > 0) {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      count = start > end ? (start - end - 1) / -step + 1 : 0;
    }
    std::vector<int64_t>& p = positions[static_cast<size_t>(axis)];
    for (int64_t j = 0; j < count; ++j) p.push_back(start + j * step);
  }
  return positions;
}

std::vector<int64_t> SliceLayer::outputShape(const std::vector<std::vector<int64_t>>& shapes) const {
  std::vector<bool> sliced;
  const auto positions = kept(shapes[0], sliced);
  std::vector<int64_t> out = shapes[0];
  for (size_t a = 0; a < out.size(); ++a)
    if (sliced[a]) out[a] = static_cast<int64_t>(positions[a].size());
  return out;
}

Array SliceLayer::compute(const std::vector<Array>& xs) const {
  Array x = xs[0];
  const std::vector<int64_t> shape = onnxDims(x);
  std::vector<bool> sliced;
  const auto positions = kept(shape, sliced);
  for (size_t a = 0; a < shape.size(); ++a) {
    const std::vector<int64_t>& p = positions[a];
    bool whole = static_cast<int64_t>(p.size()) == shape[a];
    for (size_t j = 0; whole && j < p.size(); ++j) whole = p[j] == static_cast<int64_t>(j);
    if (sliced[a] && !whole) x = index(x, orderDim(static_cast<int>(a), x.rank()), p);
  }
  return x;
}

std::string SliceLayer::description() const {
  return "Slice from " + shapeText(options_.starts) + " to " + shapeText(options_.ends) +
         (options_.steps.empty() ? std::string() : " step " + shapeText(options_.steps)) +
         (options_.axes.empty() ? std::string() : " on axes " + shapeText(options_.axes));
}

// ---- Pad -----------------------------------------------------------------------------------

PadLayer::PadLayer(std::string name, PadOptions options, Array operand)
    : TensorLayer(std::move(name), {std::move(operand)}), options_(std::move(options)) {}

std::vector<int64_t> PadLayer::outputShape(const std::vector<std::vector<int64_t>>& shapes) const {
  const std::vector<int64_t>& in = shapes[0];
  const size_t rank = in.size();
  if (options_.pads.size() != 2 * rank)
    failHere(detail::cat("pads must have 2 values per axis (", 2 * rank, " for a rank-", rank, " input), got ",
                         options_.pads.size()));
  std::vector<int64_t> out(rank);
  for (size_t a = 0; a < rank; ++a) {
    const int64_t before = options_.pads[a], after = options_.pads[a + rank];
    if (__builtin_add_overflow(in[a], before, &out[a]) || __builtin_add_overflow(out[a], after, &out[a]))
      failHere(detail::cat("pads ", shapeText(options_.pads), " make axis ", a, " of input ", shapeText(in),
                           " larger than fits in int64"));
    if (out[a] < 0)
      failHere(detail::cat("pads ", shapeText(options_.pads), " crop more than axis ", a, " of input ", shapeText(in),
                           " holds"));
    if (options_.mode == PadMode::Constant && std::max<int64_t>(0, -before) + std::max<int64_t>(0, -after) > in[a])
      failHere(detail::cat("pads ", shapeText(options_.pads), " crop more than axis ", a, " of input ", shapeText(in),
                           " holds"));
    if (options_.mode != PadMode::Constant && in[a] == 0 && out[a] > 0)
      failHere(detail::cat("cannot pad the empty axis ", a, " of input ", shapeText(in), " in edge or reflect mode"));
  }
  return out;
}

Array PadLayer::compute(const std::vector<Array>& xs) const {
  Array x = xs[0];
  const std::vector<int64_t> shape = onnxDims(x);
  outputShape({shape});
  const int rank = x.rank();
  for (int a = 0; a < rank; ++a) {
    const int64_t before = options_.pads[static_cast<size_t>(a)], after = options_.pads[static_cast<size_t>(a + rank)];
    if (before == 0 && after == 0) continue;
    const int dim = orderDim(a, rank);
    const int64_t n = shape[static_cast<size_t>(a)];
    if (options_.mode == PadMode::Constant) {
      // Crop (negative pads), then add constant blocks.
      const int64_t first = std::max<int64_t>(0, -before), last = n - std::max<int64_t>(0, -after);
      if (first > 0 || last < n) {
        std::vector<int64_t> p(static_cast<size_t>(last - first));
        std::iota(p.begin(), p.end(), first);
        x = index(x, dim, p);
      }
      std::vector<Array> parts;
      auto block = [&](int64_t size) {
        Shape s = x.shape();
        s[dim] = size;
        parts.emplace_back(Tensor::full(s, options_.value, x.dtype(), x.device()), x.format());
      };
      if (before > 0) block(before);
      parts.push_back(x);
      if (after > 0) block(after);
      if (parts.size() > 1) x = concat(parts, dim);
      continue;
    }
    std::vector<int64_t> p;
    const int64_t period = 2 * (n - 1);
    for (int64_t i = -before; i < n + after; ++i) {
      if (options_.mode == PadMode::Edge || n == 1) {
        p.push_back(std::clamp<int64_t>(i, 0, n - 1));
      } else {
        const int64_t j = ((i % period) + period) % period;  // reflect: …2 1 0 1 2 … n−2 n−1 n−2 …
        p.push_back(j < n ? j : period - j);
      }
    }
    x = index(x, dim, p);
  }
  return x;
}

// ---- Expand --------------------------------------------------------------------------------

ExpandLayer::ExpandLayer(std::string name, std::vector<int64_t> shape, Array operand)
    : TensorLayer(std::move(name), {std::move(operand)}), shape_(std::move(shape)) {}

std::vector<int64_t> ExpandLayer::outputShape(const std::vector<std::vector<int64_t>>& shapes) const {
  return broadcastShapes(shapes[0], shape_);
}

Array ExpandLayer::compute(const std::vector<Array>& xs) const {
  return broadcastOnnx(xs[0], outputShape({onnxDims(xs[0])}));
}

}  // namespace dlcam::onnx
