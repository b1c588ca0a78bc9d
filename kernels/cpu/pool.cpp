#include "kernels/cpu/pool.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "kernels/cpu/elementwise.h"

namespace dlcam::kernels::cpu {

namespace {

// 1-D and 2-D pooling run as 3-D pooling with trailing unit dimensions (window 1, stride 1,
// no padding), so one loop nest serves all three.
struct Geometry {
  int64_t in[3], out[3], k[3], s[3], pb[3], pa[3];
  int64_t planes = 1, inPlane = 1, outPlane = 1, windowVolume = 1;
};

struct Range {
  int64_t lo, hi;  // window ∩ input, [lo, hi)
  int64_t padded;  // window ∩ padded input: the count-include-pad divisor along this dim
};

Range windowRange(const Geometry& g, int d, int64_t o) {
  const int64_t start = o * g.s[d] - g.pb[d];
  const int64_t end = start + g.k[d];
  return {std::max<int64_t>(start, 0), std::min(end, g.in[d]), std::min(end, g.in[d] + g.pa[d]) - start};
}

Geometry geometry(const Shape& x, const PoolParams& p) {
  const size_t nd = p.window.size();
  DLCAM_ASSERT(nd >= 1 && nd <= 3 && p.stride.size() == nd && p.padBefore.size() == nd &&
                   p.padAfter.size() == nd && p.outSize.size() == nd && x.rank() >= static_cast<int>(nd),
               "pool geometry for ", nd, " dims on shape ", x.str());
  Geometry g{};
  for (size_t d = 0; d < 3; ++d) {
    const bool pooled = d < nd;
    g.in[d] = pooled ? x[static_cast<int>(d)] : 1;
    g.out[d] = pooled ? p.outSize[d] : 1;
    g.k[d] = pooled ? p.window[d] : 1;
    g.s[d] = pooled ? p.stride[d] : 1;
    g.pb[d] = pooled ? p.padBefore[d] : 0;
    g.pa[d] = pooled ? p.padAfter[d] : 0;
    DLCAM_ASSERT(g.k[d] >= 1 && g.s[d] >= 1 && g.pb[d] >= 0 && g.pa[d] >= 0 && g.out[d] >= 0, "pool params");
    // Every window must hold at least one input element: the first ends after 0, the last
    // starts before the end of the input.
    DLCAM_ASSERT(g.out[d] == 0 || (g.in[d] > 0 && g.k[d] > g.pb[d] && (g.out[d] - 1) * g.s[d] - g.pb[d] < g.in[d]),
                 "pool window outside the input in dim ", d);
    g.inPlane *= g.in[d];
    g.outPlane *= g.out[d];
    g.windowVolume *= g.k[d];
  }
  for (int d = static_cast<int>(nd); d < x.rank(); ++d) g.planes *= x[d];
  return g;
}

// Outputs o0 in [lo, hi) have windows entirely inside the input along dim 0. For them the
// loops run with o0 innermost: independent outputs side by side vectorise, where one
// window's short sum or compare chain does not.
struct Interior {
  int64_t lo, hi;
};

Interior interior0(const Geometry& g) {
  const int64_t s = g.s[0], last = g.in[0] + g.pb[0] - g.k[0];  // start + k <= in  ⇔  o·s <= last
  const int64_t hi = last < 0 ? 0 : std::min(last / s + 1, g.out[0]);
  const int64_t firstInside = g.pb[0] == 0 ? 0 : (g.pb[0] - 1) / s + 1;  // ceil(pb / s), without overflow for a
                                                                        // huge stride (a single window)
  return {std::min(firstInside, hi), hi};
}

int64_t divisor(const Range& r, bool countIncludePad) { return countIncludePad ? r.padded : r.hi - r.lo; }

// Calls f(row, plane, r1, r2) for every row of outputs (all o0 for fixed o1, o2 and plane),
// rows spread over threads. Rows write disjoint outputs, so this is safe for forward passes.
template <typename F>
void forEachRow(const Geometry& g, F f) {
  const int64_t rows = g.planes * g.out[2] * g.out[1];
  const int64_t work = rows * g.out[0] * g.windowVolume;
#pragma omp parallel for if (work > kParallelGrain) schedule(static)
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t o1 = row % g.out[1];
    const int64_t o2 = (row / g.out[1]) % g.out[2];
    const int64_t plane = row / (g.out[1] * g.out[2]);
    f(row, plane, windowRange(g, 1, o1), windowRange(g, 2, o2));
  }
}

// "Not <=" means strictly greater or NaN, so ties keep the first maximum in column-major
// order; a NaN maximum (best != best) then stays.
template <typename T>
bool replaces(T v, T best) {
  return !(v <= best) && best == best;
}

template <typename T>
void maxForward(const T* x, T* y, int32_t* arg, const Geometry& g) {
  const Interior mid = interior0(g);
  const int64_t s0 = g.s[0], pb0 = g.pb[0];
  forEachRow(g, [&](int64_t row, int64_t plane, Range r1, Range r2) {
    const T* xp = x + plane * g.inPlane;
    T* yr = y + row * g.out[0];
    int32_t* ar = arg + row * g.out[0];
    const int64_t first = g.in[0] * (r1.lo + g.in[1] * r2.lo);  // first line of every window
    auto edge = [&](int64_t o0) {
      const Range r0 = windowRange(g, 0, o0);
      int64_t best = first + r0.lo;
      T bestValue = xp[best];
      for (int64_t i2 = r2.lo; i2 < r2.hi; ++i2)
        for (int64_t i1 = r1.lo; i1 < r1.hi; ++i1) {
          const int64_t base = g.in[0] * (i1 + g.in[1] * i2);
          for (int64_t i0 = r0.lo; i0 < r0.hi; ++i0)
            if (replaces(xp[base + i0], bestValue)) {
              best = base + i0;
              bestValue = xp[best];
            }
        }
      yr[o0] = bestValue;
      ar[o0] = static_cast<int32_t>(best);
    };
    for (int64_t o0 = 0; o0 < mid.lo; ++o0) edge(o0);
    for (int64_t o0 = mid.lo; o0 < mid.hi; ++o0) {
      ar[o0] = static_cast<int32_t>(first + o0 * s0 - pb0);
      yr[o0] = xp[ar[o0]];
    }
    for (int64_t i2 = r2.lo; i2 < r2.hi; ++i2)
      for (int64_t i1 = r1.lo; i1 < r1.hi; ++i1)
        for (int64_t j0 = 0; j0 < g.k[0]; ++j0) {
          const int64_t base = g.in[0] * (i1 + g.in[1] * i2) + j0 - pb0;
          for (int64_t o0 = mid.lo; o0 < mid.hi; ++o0) {
            // Branch-free selects, so the compiler can vectorise over o0.
            const T v = xp[base + o0 * s0];
            const bool r = replaces(v, yr[o0]);
            yr[o0] = r ? v : yr[o0];
            ar[o0] = r ? static_cast<int32_t>(base + o0 * s0) : ar[o0];
          }
        }
    for (int64_t o0 = mid.hi; o0 < g.out[0]; ++o0) edge(o0);
  });
}

template <typename T>
void avgForward(const T* x, T* y, const Geometry& g, bool countIncludePad) {
  const Interior mid = interior0(g);
  const int64_t s0 = g.s[0], pb0 = g.pb[0];
  forEachRow(g, [&](int64_t row, int64_t plane, Range r1, Range r2) {
    const T* xp = x + plane * g.inPlane;
    T* yr = y + row * g.out[0];
    const int64_t count12 = divisor(r1, countIncludePad) * divisor(r2, countIncludePad);
    auto edge = [&](int64_t o0) {
      const Range r0 = windowRange(g, 0, o0);
      T sum = 0;
      for (int64_t i2 = r2.lo; i2 < r2.hi; ++i2)
        for (int64_t i1 = r1.lo; i1 < r1.hi; ++i1) {
          const T* line = xp + g.in[0] * (i1 + g.in[1] * i2);
          for (int64_t i0 = r0.lo; i0 < r0.hi; ++i0) sum += line[i0];
        }
      yr[o0] = sum / static_cast<T>(divisor(r0, countIncludePad) * count12);
    };
    for (int64_t o0 = 0; o0 < mid.lo; ++o0) edge(o0);
    std::fill(yr + mid.lo, yr + mid.hi, T(0));
    // Same summation order per output as edge(): column-major over the window.
    for (int64_t i2 = r2.lo; i2 < r2.hi; ++i2)
      for (int64_t i1 = r1.lo; i1 < r1.hi; ++i1)
        for (int64_t j0 = 0; j0 < g.k[0]; ++j0) {
          const T* src = xp + g.in[0] * (i1 + g.in[1] * i2) + j0 - pb0;
          for (int64_t o0 = mid.lo; o0 < mid.hi; ++o0) yr[o0] += src[o0 * s0];
        }
    const T count = static_cast<T>(g.k[0] * count12);
    for (int64_t o0 = mid.lo; o0 < mid.hi; ++o0) yr[o0] /= count;
    for (int64_t o0 = mid.hi; o0 < g.out[0]; ++o0) edge(o0);
  });
}

// Overlapping windows of one plane add into the same inputs, so backward passes go parallel
// over planes only.
template <typename T>
void avgBackward(const T* gy, T* gx, const Geometry& g, bool countIncludePad) {
  const Interior mid = interior0(g);
  const int64_t s0 = g.s[0], pb0 = g.pb[0];
  const int64_t work = g.planes * g.outPlane * g.windowVolume;
#pragma omp parallel for if (work > kParallelGrain) schedule(static)
  for (int64_t plane = 0; plane < g.planes; ++plane) {
    T* gp = gx + plane * g.inPlane;
    std::vector<T> share(static_cast<size_t>(g.out[0]));  // each output's gradient / its divisor
    for (int64_t o2 = 0; o2 < g.out[2]; ++o2) {
      const Range r2 = windowRange(g, 2, o2);
      for (int64_t o1 = 0; o1 < g.out[1]; ++o1) {
        const Range r1 = windowRange(g, 1, o1);
        const int64_t count12 = divisor(r1, countIncludePad) * divisor(r2, countIncludePad);
        const T* gyr = gy + plane * g.outPlane + g.out[0] * (o1 + g.out[1] * o2);
        for (int64_t o0 = 0; o0 < g.out[0]; ++o0)
          share[static_cast<size_t>(o0)] =
              gyr[o0] / static_cast<T>(divisor(windowRange(g, 0, o0), countIncludePad) * count12);
        for (int64_t i2 = r2.lo; i2 < r2.hi; ++i2)
          for (int64_t i1 = r1.lo; i1 < r1.hi; ++i1) {
            T* line = gp + g.in[0] * (i1 + g.in[1] * i2);
            auto edge = [&](int64_t o0) {
              const Range r0 = windowRange(g, 0, o0);
              for (int64_t i0 = r0.lo; i0 < r0.hi; ++i0) line[i0] += share[static_cast<size_t>(o0)];
            };
            for (int64_t o0 = 0; o0 < mid.lo; ++o0) edge(o0);
            for (int64_t j0 = 0; j0 < g.k[0]; ++j0) {
              T* dst = line + j0 - pb0;
              for (int64_t o0 = mid.lo; o0 < mid.hi; ++o0) dst[o0 * s0] += share[static_cast<size_t>(o0)];
            }
            for (int64_t o0 = mid.hi; o0 < g.out[0]; ++o0) edge(o0);
          }
      }
    }
  }
}

}  // namespace

Shape pooledShape(const Shape& x, const PoolParams& p) {
  std::vector<int64_t> dims = x.dims();
  DLCAM_ASSERT(p.outSize.size() <= dims.size(), "pooledShape of ", x.str());
  std::copy(p.outSize.begin(), p.outSize.end(), dims.begin());
  return Shape(dims);
}

MaxPoolResult maxPool(const Tensor& x, const PoolParams& p) {
  const Geometry g = geometry(x.shape(), p);
  if (g.inPlane > std::numeric_limits<int32_t>::max())
    fail("maxPool: a pooled plane of ", g.inPlane, " elements is beyond the supported 2^31 - 1 (input ",
         x.shape().str(), ")");
  MaxPoolResult r{Tensor::empty(pooledShape(x.shape(), p), x.dtype()), {}};
  r.argmax.resize(static_cast<size_t>(r.values.numel()));
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    maxForward(x.data<T>(), r.values.data<T>(), r.argmax.data(), g);
  });
  return r;
}

Tensor maxPoolBackward(const Tensor& g, const std::vector<int32_t>& argmax, const Shape& inputShape,
                       const PoolParams& p) {
  const Geometry geo = geometry(inputShape, p);
  DLCAM_ASSERT(g.shape() == pooledShape(inputShape, p) && static_cast<int64_t>(argmax.size()) == g.numel(),
               "maxPoolBackward: gradient ", g.shape().str(), " for input ", inputShape.str());
  Tensor out(inputShape, g.dtype());
  visitFloat(g.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* gy = g.data<T>();
    T* gx = out.data<T>();
    const int32_t* arg = argmax.data();
#pragma omp parallel for if (g.numel() > kParallelGrain) schedule(static)
    for (int64_t plane = 0; plane < geo.planes; ++plane) {
      T* gp = gx + plane * geo.inPlane;
      const int64_t first = plane * geo.outPlane;
      for (int64_t j = first; j < first + geo.outPlane; ++j) gp[arg[j]] += gy[j];
    }
  });
  return out;
}

Tensor avgPool(const Tensor& x, const PoolParams& p) {
  const Geometry g = geometry(x.shape(), p);
  Tensor y = Tensor::empty(pooledShape(x.shape(), p), x.dtype());
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    avgForward(x.data<T>(), y.data<T>(), g, p.countIncludePad);
  });
  return y;
}

Tensor avgPoolBackward(const Tensor& g, const Shape& inputShape, const PoolParams& p) {
  const Geometry geo = geometry(inputShape, p);
  DLCAM_ASSERT(g.shape() == pooledShape(inputShape, p), "avgPoolBackward: gradient ", g.shape().str(),
               " for input ", inputShape.str());
  Tensor out(inputShape, g.dtype());
  visitFloat(g.dtype(), [&](auto zero) {
    using T = decltype(zero);
    avgBackward(g.data<T>(), out.data<T>(), geo, p.countIncludePad);
  });
  return out;
}

}  // namespace dlcam::kernels::cpu
