#include "autodiff/shape_ops.h"

#include "autodiff/tape.h"
#include "kernels/layout.h"

namespace dlcam {

namespace kc = kernels;

namespace {
void checkDim(const Array& x, int dim, const char* fn) {
  if (dim < 0 || dim >= x.rank())
    fail(fn, ": dimension ", dim, " is out of range for an array of shape ", x.shape().str(), " (", x.format().str(), ")");
}

// The same tensor with a new shape; the gradient is reshaped back.
Array reshapeTo(const Array& x, const Shape& shape, DimFormat format, const char* op) {
  Array out(x.value().reshaped(shape), std::move(format));
  if (detail::anyTraced(x)) {
    Shape original = x.shape();
    detail::record(out, op, {&x}, [original](const Tensor& g, const std::vector<bool>&) {
      return std::vector<Tensor>{g.reshaped(original)};
    });
  }
  return out;
}

DimFormat canonicalFormat(std::string_view labels, int rank, const char* fn) {
  DimFormat f(labels);
  if (f.rank() != rank) fail(fn, ": format \"", labels, "\" has ", f.rank(), " labels for ", rank, " dimensions");
  if (!f.isCanonical())
    fail(fn, ": format \"", labels, "\" is not in canonical order (S… C B T U)");
  return f;
}
}  // namespace

Array concat(const std::vector<Array>& xs, int dim) {
  if (xs.empty()) fail("concat needs at least one array");
  checkDim(xs[0], dim, "concat");
  std::vector<Tensor> parts;
  std::vector<int64_t> sizes;
  std::vector<const Array*> inputs;
  for (const Array& x : xs) {
    if (x.format() != xs[0].format())
      fail("concat: all arrays must have the same format, got \"", xs[0].format().str(), "\" and \"", x.format().str(), "\"");
    if (x.dtype() != xs[0].dtype()) fail("concat: cannot mix ", dtypeName(xs[0].dtype()), " and ", dtypeName(x.dtype()));
    parts.push_back(x.value());
    sizes.push_back(x.size(dim));
    inputs.push_back(&x);
  }
  Array out(kc::concat(parts, dim), xs[0].format());
  if (detail::anyTraced(xs)) {
    detail::record(out, "concat", inputs, [sizes, dim](const Tensor& g, const std::vector<bool>& needed) {
      std::vector<Tensor> grads(sizes.size());
      int64_t offset = 0;
      for (size_t i = 0; i < sizes.size(); offset += sizes[i], ++i)
        if (needed[i]) grads[i] = kc::slice(g, dim, offset, sizes[i]);
      return grads;
    });
  }
  return out;
}

Array reshape(const Array& x, const Shape& shape, std::string_view format) {
  if (shape.numel() != x.numel())
    fail("reshape: cannot reshape ", x.shape().str(), " (", x.numel(), " elements) to ", shape.str(), " (",
         shape.numel(), " elements)");
  return reshapeTo(x, shape, canonicalFormat(format, shape.rank(), "reshape"), "reshape");
}

Array flatten(const Array& x) {
  const DimFormat& f = x.format();
  const int c = f.find('C');
  if (c < 0) fail("flatten needs a C dimension, got format \"", f.str(), "\"");
  if (f.count('S') == 0) return x;
  int64_t channels = 1;
  for (int d = 0; d <= c; ++d) channels *= x.size(d);
  std::vector<int64_t> dims = {channels};
  for (int d = c + 1; d < x.rank(); ++d) dims.push_back(x.size(d));
  return reshapeTo(x, Shape(dims), DimFormat(f.str().substr(static_cast<size_t>(c))), "flatten");
}

Array permute(const Array& x, const std::vector<int>& order) {
  if (static_cast<int>(order.size()) != x.rank())
    fail("permute: order has ", order.size(), " entries for an array with ", x.rank(), " dimensions");
  std::vector<bool> seen(order.size());
  std::string labels;
  for (int d : order) {
    checkDim(x, d, "permute");
    if (seen[static_cast<size_t>(d)]) fail("permute: dimension ", d, " appears twice in the order");
    seen[static_cast<size_t>(d)] = true;
    labels += x.format()[d];
  }
  DimFormat f(labels);
  if (!f.isCanonical())
    fail("permute: the order moves labels of \"", x.format().str(), "\" to \"", labels,
         "\", which is not canonical; use relabel() to change what dimensions mean");
  Array out(kc::permute(x.value(), order), f);
  if (detail::anyTraced(x)) {
    std::vector<int> inverse(order.size());
    for (size_t i = 0; i < order.size(); ++i) inverse[static_cast<size_t>(order[i])] = static_cast<int>(i);
    detail::record(out, "permute", {&x}, [inverse](const Tensor& g, const std::vector<bool>&) {
      return std::vector<Tensor>{kc::permute(g, inverse)};
    });
  }
  return out;
}

Array relabel(const Array& x, std::string_view format) {
  return reshapeTo(x, x.shape(), canonicalFormat(format, x.rank(), "relabel"), "relabel");
}

Array index(const Array& x, int dim, const std::vector<int64_t>& indices) {
  checkDim(x, dim, "index");
  for (int64_t i : indices)
    if (i < 0 || i >= x.size(dim))
      fail("index: index ", i, " is out of range for dimension ", dim, " ('", x.format()[dim], "', size ", x.size(dim),
           ") of x (", x.shape().str(), " \"", x.format().str(), "\"); indices are 0-based");
  Array out(kc::gather(x.value(), dim, indices), x.format());
  if (detail::anyTraced(x)) {
    Shape shape = x.shape();
    detail::record(out, "index", {&x}, [shape, dim, indices](const Tensor& g, const std::vector<bool>&) {
      return std::vector<Tensor>{kc::scatterAdd(g, shape, dim, indices)};
    });
  }
  return out;
}

Array selectChannels(const Array& x, const std::vector<int64_t>& indices) {
  const int c = x.format().find('C');
  if (c < 0) fail("selectChannels needs a C dimension, got format \"", x.format().str(), "\"");
  return index(x, c, indices);
}

Array element(const Array& x, int64_t linearIndex) {
  if (linearIndex < 0 || linearIndex >= x.numel())
    fail("element: index ", linearIndex, " is out of range for an array of ", x.numel(), " elements (", x.shape().str(), ")");
  Array flat = reshapeTo(x, Shape{x.numel()}, DimFormat("U"), "element");
  return reshapeTo(index(flat, 0, {linearIndex}), Shape{}, DimFormat(), "element");
}

}  // namespace dlcam
