#include "autodiff/pool.h"

#include <algorithm>

#include "autodiff/per_dimension.h"
#include "autodiff/reduce.h"
#include "autodiff/tape.h"
#include "kernels/layout.h"
#include "kernels/pool.h"
#include "kernels/reduce.h"

namespace dlcam {

// Dispatch headers: every kc:: call runs on the device of its inputs (kernels/dispatch.h).
namespace kc = kernels;

PoolPadding PoolPadding::same() {
  PoolPadding p;
  p.mode = Mode::Same;
  return p;
}

PoolPadding PoolPadding::explicitPad(std::vector<int64_t> before, std::vector<int64_t> after) {
  PoolPadding p;
  p.before = std::move(before);
  p.after = std::move(after);
  return p;
}

namespace {

// The kernels pool the leading dimensions. S dimensions already lead; a T dimension is moved
// to the front (T C B) and back afterwards.
struct Plan {
  kc::PoolParams params;
  std::vector<int> order, inverse;  // empty when x is already in kernel layout
  Shape kernelShape;                // x's shape in kernel layout
};

Plan makePlan(const Array& x, const PoolOptions& o, const char* fn) {
  const DimFormat& fmt = x.format();
  Plan plan;
  size_t nd = static_cast<size_t>(fmt.count('S'));
  if (nd > 3) fail(fn, ": pools over 1 to 3 S dimensions, got ", nd, " in format \"", fmt.str(), "\"");
  if (nd == 0) {
    const int t = fmt.find('T');
    if (t < 0)
      fail(fn, ": x needs 1 to 3 S dimensions or a T dimension to pool over, got format \"", fmt.str(), "\"");
    nd = 1;
    plan.order.push_back(t);
    for (int d = 0; d < x.rank(); ++d)
      if (d != t) plan.order.push_back(d);
    plan.inverse.resize(plan.order.size());
    for (size_t i = 0; i < plan.order.size(); ++i) plan.inverse[static_cast<size_t>(plan.order[i])] = static_cast<int>(i);
  }
  std::vector<int64_t> dims;
  if (plan.order.empty()) {
    dims = x.shape().dims();
  } else {
    for (int d : plan.order) dims.push_back(x.size(d));
  }
  plan.kernelShape = Shape(dims);

  if (o.size.empty()) fail(fn, ": the window size is required (1 or ", nd, " values), got none");
  kc::PoolParams& p = plan.params;
  const std::string where = detail::cat("one per pooled dimension of format \"", fmt.str(), "\"");
  p.window = detail::perDimension(o.size, nd, {}, detail::cat(fn, ": the window size"), where);
  p.stride = detail::perDimension(o.stride, nd, p.window, detail::cat(fn, ": the stride"), where);
  p.countIncludePad = o.countIncludePad;
  const bool same = o.padding.mode == PoolPadding::Mode::Same;
  if (same && o.ceilMode) fail(fn, ": ceilMode applies to explicit padding only, not to 'same' padding");
  if (same && (!o.padding.before.empty() || !o.padding.after.empty()))
    fail(fn, ": 'same' padding computes its own amounts; got explicit values before ", detail::bracketed(o.padding.before),
         ", after ", detail::bracketed(o.padding.after));
  const std::vector<int64_t> zeros(nd, 0);
  p.padBefore = detail::perDimension(o.padding.before, nd, zeros, detail::cat(fn, ": the padding before"), where);
  p.padAfter = detail::perDimension(o.padding.after, nd, zeros, detail::cat(fn, ": the padding after"), where);
  p.outSize.resize(nd);

  for (size_t d = 0; d < nd; ++d) {
    const int64_t in = dims[d], k = p.window[d], s = p.stride[d];
    int64_t &pb = p.padBefore[d], &pa = p.padAfter[d];
    const size_t dim = d + 1;
    if (k < 1) fail(fn, ": the window size must be positive, got ", detail::bracketed(o.size));
    if (s < 1) fail(fn, ": the stride must be positive, got ", detail::bracketed(o.stride));
    if (in == 0)
      fail(fn, ": cannot pool over a dimension of size 0 (pooled dimension ", dim, " of input ",
           x.shape().str(), " \"", fmt.str(), "\")");
    // Ceiling divisions as q + (r != 0) and checked sums: windows, strides and padding near
    // 2^63 must give an error, not a wrapped (negative) size.
    if (same) {
      const int64_t out = in / s + (in % s != 0);
      // (out − 1)·s + k − in, ordered so that no step overflows: (out − 1)·s < in.
      const int64_t total = std::max<int64_t>(k - (in - (out - 1) * s), 0);
      pb = total / 2;
      pa = total - pb;
      p.outSize[d] = out;
      continue;
    }
    if (pb < 0 || pa < 0)
      fail(fn, ": padding must not be negative, got before ", detail::bracketed(o.padding.before), ", after ",
           detail::bracketed(o.padding.after));
    if (pb >= k || pa >= k)
      fail(fn, ": padding must be smaller than the window (", k, ") in pooled dimension ", dim,
           ", got before ", pb, ", after ", pa);
    int64_t padded = 0;
    if (__builtin_add_overflow(in, pb, &padded) || __builtin_add_overflow(padded, pa, &padded))
      fail(fn, ": the padded input (", in, " + ", pb, " + ", pa, ") in pooled dimension ", dim,
           " does not fit in int64; input ", x.shape().str(), " \"", fmt.str(), "\"");
    if (k > padded)
      fail(fn, ": the window (", k, ") is larger than the padded input (", in, " + ", pb, " + ", pa, " = ",
           padded, ") in pooled dimension ", dim, " of input ", x.shape().str(), " \"", fmt.str(), "\"");
    const int64_t room = padded - k;
    int64_t out = room / s + 1;
    if (o.ceilMode && room % s != 0) {
      // The ONNX/PyTorch rule: a ceil-mode window must start inside the input or the leading
      // padding, i.e. at out·s < in + pb; out·s overflowing means it starts past it.
      int64_t start = 0;
      if (!__builtin_mul_overflow(out, s, &start) && start < in + pb) ++out;
    }
    p.outSize[d] = out;
  }
  return plan;
}

Tensor toKernel(const Tensor& t, const Plan& plan) {
  return plan.order.empty() ? t : kc::permute(t, plan.order);
}

Tensor fromKernel(const Tensor& t, const Plan& plan) {
  return plan.order.empty() ? t : kc::permute(t, plan.inverse);
}

std::vector<int> globalDims(const Array& x, const char* fn) {
  std::vector<int> dims = x.format().spatialDims();
  if (!dims.empty()) return dims;
  const int t = x.format().find('T');
  if (t < 0)
    fail(fn, ": x needs S dimensions or a T dimension to pool over, got format \"", x.format().str(), "\"");
  return {t};
}

template <typename Reduce>
Array globalPool(const Array& x, const char* fn, Reduce reduce) {
  const std::vector<int> dims = globalDims(x, fn);
  for (int d : dims)
    if (x.size(d) == 0)
      fail(fn, ": cannot pool over a dimension of size 0 (input ", x.shape().str(), " \"", x.format().str(), "\")");
  if (x.numel() > 0) return reduce(x, dims);
  // No channels or no observations: nothing to reduce, and mean/max refuse empty arrays.
  Array out(Tensor(kc::reducedShape(x.shape(), dims), x.dtype(), x.device()), x.format());
  if (detail::anyTraced(x)) {
    Shape shape = x.shape();
    detail::record(out, fn, {&x}, [shape](const Tensor& g, const std::vector<bool>&) {
      return std::vector<Tensor>{Tensor(shape, g.dtype(), g.device())};
    });
  }
  return out;
}

}  // namespace

Array maxPool(const Array& x, const PoolOptions& options) {
  Plan plan = makePlan(x, options, "maxPool");
  kc::MaxPoolResult r = kc::maxPool(toKernel(x.value(), plan), plan.params);
  Array out(fromKernel(r.values, plan), x.format());
  // The argmax stays on the device the pooling ran on (host vector or GPU buffer).
  if (detail::anyTraced(x))
    detail::record(out, "maxPool", {&x},
                   [arg = std::move(r.argmax), plan](const Tensor& g, const std::vector<bool>& needed) {
                     if (!needed[0]) return std::vector<Tensor>{Tensor()};
                     Tensor gx = kc::maxPoolBackward(toKernel(g, plan), arg, plan.kernelShape, plan.params);
                     return std::vector<Tensor>{fromKernel(gx, plan)};
                   });
  return out;
}

Array avgPool(const Array& x, const PoolOptions& options) {
  Plan plan = makePlan(x, options, "avgPool");
  Array out(fromKernel(kc::avgPool(toKernel(x.value(), plan), plan.params), plan), x.format());
  if (detail::anyTraced(x))
    detail::record(out, "avgPool", {&x}, [plan](const Tensor& g, const std::vector<bool>& needed) {
      if (!needed[0]) return std::vector<Tensor>{Tensor()};
      Tensor gx = kc::avgPoolBackward(toKernel(g, plan), plan.kernelShape, plan.params);
      return std::vector<Tensor>{fromKernel(gx, plan)};
    });
  return out;
}

Array globalAvgPool(const Array& x) {
  return globalPool(x, "globalAvgPool", [](const Array& a, const std::vector<int>& dims) { return mean(a, dims); });
}

Array globalMaxPool(const Array& x) {
  return globalPool(x, "globalMaxPool", [](const Array& a, const std::vector<int>& dims) { return max(a, dims); });
}

}  // namespace dlcam
