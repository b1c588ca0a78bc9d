#include "kernels/cpu/resize.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/layout.h"

namespace dlcam::kernels::cpu {

namespace {

// The kernels exactly as imresize.m writes them, so the weights match MATLAB's bit for bit
// where the arithmetic allows.
double cubic(double x) {
  const double a = std::abs(x), a2 = a * a, a3 = std::pow(a, 3);
  if (a <= 1) return 1.5 * a3 - 2.5 * a2 + 1;
  if (a <= 2) return -0.5 * a3 + 2.5 * a2 - 4 * a + 2;
  return 0;
}

double triangle(double x) {
  if (-1 <= x && x < 0) return x + 1;
  if (0 <= x && x <= 1) return 1 - x;
  return 0;
}

double box(double x) { return -0.5 <= x && x < 0.5 ? 1.0 : 0.0; }

double kernelAt(ResizeKernel k, double x) {
  switch (k) {
    case ResizeKernel::Box: return box(x);
    case ResizeKernel::Triangle: return triangle(x);
    case ResizeKernel::Cubic: return cubic(x);
  }
  return 0;
}

double kernelWidth(ResizeKernel k) {
  switch (k) {
    case ResizeKernel::Box: return 1;
    case ResizeKernel::Triangle: return 2;
    case ResizeKernel::Cubic: return 4;
  }
  return 0;
}

// dst (inner × rows × outer) = rows applied to src (inner × srcLen × outer). Sums run in double for
// both dtypes, in table order.
Tensor applyRows(const Tensor& src, int dim, const ResizeRows& rows) {
  const DimSplit a = splitAt(src.shape(), dim);
  const int64_t m = static_cast<int64_t>(rows.start.size()) - 1;
  Shape outShape = src.shape();
  outShape[dim] = m;
  Tensor out = Tensor::empty(outShape, src.dtype());
  if (out.numel() == 0) return out;
  const int64_t work = a.inner * a.outer * static_cast<int64_t>(rows.cols.size() + rows.start.size());
  visitFloat(src.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* in = src.data<T>();
    T* o = out.data<T>();
    const int64_t pre = a.inner, n = a.len, post = a.outer;
    const int64_t* start = rows.start.data();
    const int64_t* cols = rows.cols.data();
    const double* w = rows.weights.data();
#pragma omp parallel for collapse(2) if (work > kParallelGrain) schedule(static)
    for (int64_t q = 0; q < post; ++q) {
      for (int64_t r = 0; r < m; ++r) {
        const T* s = in + q * n * pre;
        T* d = o + (q * m + r) * pre;
        const int64_t b = start[r], e = start[r + 1];
        if (pre == 1) {
          double acc = 0;
          for (int64_t k = b; k < e; ++k) acc += w[k] * static_cast<double>(s[cols[k]]);
          d[0] = static_cast<T>(acc);
          continue;
        }
        constexpr int64_t kChunk = 256;
        double acc[kChunk];
        for (int64_t i0 = 0; i0 < pre; i0 += kChunk) {
          const int64_t len = std::min(kChunk, pre - i0);
          std::fill_n(acc, len, 0.0);
          for (int64_t k = b; k < e; ++k) {
            const double wk = w[k];
            const T* sk = s + cols[k] * pre + i0;
            for (int64_t i = 0; i < len; ++i) acc[i] += wk * static_cast<double>(sk[i]);
          }
          for (int64_t i = 0; i < len; ++i) d[i0 + i] = static_cast<T>(acc[i]);
        }
      }
    }
  });
  return out;
}

}  // namespace

ResizeRows resizeRows(const ResizeTable& t) {
  ResizeRows r;
  r.start.resize(static_cast<size_t>(t.outLength + 1));
  for (int64_t o = 0; o <= t.outLength; ++o) r.start[static_cast<size_t>(o)] = o * t.taps;
  r.cols = t.indices;
  r.weights = t.weights;
  return r;
}

// The transposed table: for each input sample, the outputs it contributed to and with what
// weight, so the adjoint is again a gather (parallel without write races).
ResizeRows transposedResizeRows(const ResizeTable& t) {
  ResizeRows r;
  r.start.assign(static_cast<size_t>(t.inLength + 1), 0);
  for (int64_t i : t.indices) ++r.start[static_cast<size_t>(i + 1)];
  std::partial_sum(r.start.begin(), r.start.end(), r.start.begin());
  r.cols.resize(t.indices.size());
  r.weights.resize(t.weights.size());
  std::vector<int64_t> fill(r.start.begin(), r.start.end() - 1);
  for (int64_t o = 0; o < t.outLength; ++o)
    for (int64_t k = 0; k < t.taps; ++k) {
      const auto at = static_cast<size_t>(o * t.taps + k);
      const auto slot = static_cast<size_t>(fill[static_cast<size_t>(t.indices[at])]++);
      r.cols[slot] = o;
      r.weights[slot] = t.weights[at];
    }
  return r;
}

ResizeTable resizeTable(const ResizeTableParams& p) {
  DLCAM_ASSERT(p.inLength > 0 && p.outLength > 0, "resize table ", p.inLength, " -> ", p.outLength);
  const int64_t in = p.inLength, out = p.outLength;
  const double scale = static_cast<double>(out) / static_cast<double>(in);
  const bool widen = scale < 1 && p.antialiasing;
  const double width = widen ? kernelWidth(p.kernel) / scale : kernelWidth(p.kernel);
  auto h = [&](double x) { return widen ? scale * kernelAt(p.kernel, scale * x) : kernelAt(p.kernel, x); };
  const int64_t taps = static_cast<int64_t>(std::ceil(width)) + 2;

  // imresize's contributions(), 1-based positions as MATLAB computes them.
  std::vector<int64_t> idx(static_cast<size_t>(out * taps));
  std::vector<double> w(static_cast<size_t>(out * taps));
  for (int64_t o = 0; o < out; ++o) {
    const double x = static_cast<double>(o + 1);
    const double u = x / scale + 0.5 * (1 - 1 / scale);
    const double left = std::floor(u - width / 2);
    double sum = 0;
    for (int64_t k = 0; k < taps; ++k) {
      const double index = left + static_cast<double>(k);
      const auto at = static_cast<size_t>(o * taps + k);
      idx[at] = static_cast<int64_t>(index);
      w[at] = h(u - index);
      sum += w[at];
    }
    for (int64_t k = 0; k < taps; ++k) w[static_cast<size_t>(o * taps + k)] /= sum;
  }
  // Out-of-range positions, 1-based → 0-based inside [0, in).
  const int64_t period = 2 * in;
  for (int64_t& i : idx) {
    if (p.border == ResizeBorder::Replicate) {  // min(max(1, index), in)
      i = std::clamp<int64_t>(i, 1, in) - 1;
    } else {  // aux = [1:in, in:-1:1], index → aux(mod(index − 1, 2·in) + 1)
      const int64_t j = ((i - 1) % period + period) % period;
      i = j < in ? j : period - 1 - j;
    }
  }
  // Drop the columns whose weight is zero in every row.
  std::vector<int64_t> keep;
  for (int64_t k = 0; k < taps; ++k) {
    bool any = false;
    for (int64_t o = 0; o < out && !any; ++o) any = w[static_cast<size_t>(o * taps + k)] != 0;
    if (any) keep.push_back(k);
  }
  ResizeTable t;
  t.inLength = in;
  t.outLength = out;
  t.taps = static_cast<int64_t>(keep.size());
  t.indices.reserve(static_cast<size_t>(out * t.taps));
  t.weights.reserve(static_cast<size_t>(out * t.taps));
  for (int64_t o = 0; o < out; ++o)
    for (int64_t k : keep) {
      t.indices.push_back(idx[static_cast<size_t>(o * taps + k)]);
      t.weights.push_back(w[static_cast<size_t>(o * taps + k)]);
    }
  return t;
}

Tensor resizeAlong(const Tensor& x, int dim, const ResizeTable& table) {
  DLCAM_ASSERT(dim >= 0 && dim < x.rank() && x.shape()[dim] == table.inLength, "resizeAlong dim ", dim,
               " of ", x.shape().str(), " with a table for length ", table.inLength);
  return applyRows(x, dim, resizeRows(table));
}

Tensor resizeAlongBackward(const Tensor& g, int dim, const ResizeTable& table) {
  DLCAM_ASSERT(dim >= 0 && dim < g.rank() && g.shape()[dim] == table.outLength, "resizeAlongBackward dim ",
               dim, " of ", g.shape().str(), " with a table for length ", table.outLength);
  return applyRows(g, dim, transposedResizeRows(table));
}

ResizePlan planResize(const Shape& inShape, const ResizeParams& params) {
  DLCAM_ASSERT(params.dims.size() == params.outSizes.size(), "planResize: ", params.dims.size(), " dims, ",
               params.outSizes.size(), " sizes");
  ResizePlan plan;
  plan.inShape = inShape;
  plan.outShape = inShape;
  struct Step {
    int dim;
    int64_t out;
    double scale;
  };
  std::vector<Step> steps;
  for (size_t k = 0; k < params.dims.size(); ++k) {
    const int dim = params.dims[k];
    const int64_t in = inShape[dim], out = params.outSizes[k];
    DLCAM_ASSERT(in > 0 && out > 0, "planResize: dim ", dim, " from ", in, " to ", out);
    plan.outShape[dim] = out;
    if (in != out) steps.push_back({dim, out, static_cast<double>(out) / static_cast<double>(in)});
  }
  // imresize resizes along the dimension with the smallest scale first ([~, order] = sort(scale),
  // which is stable).
  std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) { return a.scale < b.scale; });
  for (const Step& s : steps)
    plan.passes.push_back({s.dim, resizeTable({inShape[s.dim], s.out, params.kernel, params.antialiasing, params.border})});
  return plan;
}

}  // namespace dlcam::kernels::cpu
