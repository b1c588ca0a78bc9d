#include "autodiff/reduce.h"

#include <numeric>

#include "autodiff/tape.h"
#include "kernels/elementwise.h"
#include "kernels/reduce.h"

namespace dlcam {

namespace kc = kernels;

namespace {
std::vector<int> allDims(const Array& x) {
  std::vector<int> dims(static_cast<size_t>(x.rank()));
  std::iota(dims.begin(), dims.end(), 0);
  return dims;
}

void checkDims(const Array& x, const std::vector<int>& dims, const char* fn) {
  for (int d : dims)
    if (d < 0 || d >= x.rank())
      fail(fn, ": cannot reduce over dimension ", d, " of x (", x.shape().str(), " \"", x.format().str(),
           "\"): dimensions are 0 to ", x.rank() - 1);
}

// Broadcasts g (reduced shape) back to `shape`, times `scale`.
Tensor spread(const Tensor& g, const Shape& shape, double scale) {
  Tensor full = kc::broadcastTo(g, shape);
  return scale == 1.0 ? full : kc::map(full, kc::fn::MulScalar{scale});
}
}  // namespace

Array sum(const Array& x, const std::vector<int>& dims) {
  checkDims(x, dims, "sum");
  Array out(kc::sum(x.value(), dims), x.format());
  if (detail::anyTraced(x)) {
    Shape shape = x.shape();
    detail::record(out, "sum", {&x}, [shape](const Tensor& g, const std::vector<bool>&) {
      return std::vector<Tensor>{spread(g, shape, 1.0)};
    });
  }
  return out;
}

Array sum(const Array& x) { return sum(x, allDims(x)); }

Array mean(const Array& x, const std::vector<int>& dims) {
  checkDims(x, dims, "mean");
  const Shape reduced = kc::reducedShape(x.shape(), dims);
  int64_t count = 1;
  for (int d = 0; d < x.rank(); ++d)
    if (reduced[d] != x.size(d)) count *= x.size(d);
  if (count == 0 && reduced.numel() > 0)
    fail("mean: the reduced dimensions of x (", x.shape().str(), " \"", x.format().str(), "\") are empty");
  Tensor s = kc::sum(x.value(), dims);
  Array out(kc::map(s, kc::fn::DivScalar{static_cast<double>(count)}), x.format());
  if (detail::anyTraced(x)) {
    Shape shape = x.shape();
    detail::record(out, "mean", {&x}, [shape, count](const Tensor& g, const std::vector<bool>&) {
      return std::vector<Tensor>{spread(g, shape, 1.0 / static_cast<double>(count))};
    });
  }
  return out;
}

Array mean(const Array& x) { return mean(x, allDims(x)); }

Array max(const Array& x, const std::vector<int>& dims) {
  checkDims(x, dims, "max");
  kc::MaxResult r = kc::max(x.value(), dims);
  Array out(r.values, x.format());
  if (detail::anyTraced(x)) {
    Shape shape = x.shape();
    detail::record(out, "max", {&x}, [arg = std::move(r.argmax), shape](const Tensor& g, const std::vector<bool>&) {
      return std::vector<Tensor>{kc::maxBackward(g, arg, shape)};
    });
  }
  return out;
}

}  // namespace dlcam
