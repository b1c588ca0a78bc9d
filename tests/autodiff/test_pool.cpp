#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "autodiff/pool.h"
#include "dlcam.h"
#include "tests/support/gradcheck.h"

using namespace dlcam;
using dlcam::test::checkGradients;
using dlcam::test::expectClose;
using dlcam::test::randomArray;
using dlcam::test::randomArray32;

namespace {

PoolOptions opts(std::vector<int64_t> size, std::vector<int64_t> stride, PoolPadding padding = {},
                 bool ceilMode = false) {
  PoolOptions o;
  o.size = std::move(size);
  o.stride = std::move(stride);
  o.padding = std::move(padding);
  o.ceilMode = ceilMode;
  return o;
}

std::vector<int64_t> expand(const std::vector<int64_t>& v, size_t nd, int64_t fallback) {
  if (v.empty()) return std::vector<int64_t>(nd, fallback);
  if (v.size() == 1) return std::vector<int64_t>(nd, v[0]);
  return v;
}

// Naive pooling over the first nd dims of x (any rank; the remaining dims are planes), straight
// from the definitions: every window position is classified as input, padding, or (ceil mode
// only) beyond the padding.
Tensor naivePool(const Tensor& x, size_t nd, const PoolOptions& o, bool isMax) {
  std::vector<int64_t> k = expand(o.size, nd, 0), s = o.stride.empty() ? k : expand(o.stride, nd, 0);
  std::vector<int64_t> pb = expand(o.padding.before, nd, 0), pa = expand(o.padding.after, nd, 0);
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, K[3] = {1, 1, 1}, S[3] = {1, 1, 1}, PB[3] = {0, 0, 0},
          PA[3] = {0, 0, 0};
  for (size_t d = 0; d < nd; ++d) {
    in[d] = x.shape()[static_cast<int>(d)];
    K[d] = k[d];
    S[d] = s[d];
    if (o.padding.mode == PoolPadding::Mode::Same) {
      out[d] = static_cast<int64_t>(std::ceil(double(in[d]) / double(S[d])));
      int64_t total = std::max<int64_t>((out[d] - 1) * S[d] + K[d] - in[d], 0);
      PB[d] = total / 2;
      PA[d] = total - PB[d];
    } else {
      PB[d] = pb[d];
      PA[d] = pa[d];
      double span = double(in[d] + PB[d] + PA[d] - K[d]) / double(S[d]);
      out[d] = static_cast<int64_t>(o.ceilMode ? std::ceil(span) : std::floor(span)) + 1;
      if (o.ceilMode && (out[d] - 1) * S[d] >= in[d] + PB[d]) --out[d];
    }
  }
  std::vector<int64_t> outDims = x.shape().dims();
  int64_t planes = 1;
  for (size_t d = 0; d < outDims.size(); ++d) {
    if (d < nd) outDims[d] = out[d];
    else planes *= outDims[d];
  }
  Tensor y(Shape(outDims), DType::Float64);
  double* yp = y.data<double>();
  int64_t yi = 0;
  for (int64_t pl = 0; pl < planes; ++pl)
    for (int64_t o2 = 0; o2 < out[2]; ++o2)
      for (int64_t o1 = 0; o1 < out[1]; ++o1)
        for (int64_t o0 = 0; o0 < out[0]; ++o0) {
          double best = -INFINITY, sum = 0;
          int64_t real = 0, pad = 0;
          for (int64_t j2 = 0; j2 < K[2]; ++j2)
            for (int64_t j1 = 0; j1 < K[1]; ++j1)
              for (int64_t j0 = 0; j0 < K[0]; ++j0) {
                int64_t p[3] = {o0 * S[0] - PB[0] + j0, o1 * S[1] - PB[1] + j1, o2 * S[2] - PB[2] + j2};
                bool inside = true, inPadded = true;
                for (int d = 0; d < 3; ++d) {
                  inside = inside && p[d] >= 0 && p[d] < in[d];
                  inPadded = inPadded && p[d] >= -PB[d] && p[d] < in[d] + PA[d];
                }
                if (inside) {
                  double v = x.at(p[0] + in[0] * (p[1] + in[1] * (p[2] + in[2] * pl)));
                  if (v > best || std::isnan(v)) best = std::isnan(best) ? best : v;
                  sum += v;
                  ++real;
                } else if (inPadded) {
                  ++pad;
                }
              }
          REQUIRE(real > 0);
          yp[yi++] = isMax ? best : sum / double(o.countIncludePad ? real + pad : real);
        }
  return y;
}

struct Case {
  const char* name;
  Shape shape;
  const char* format;
  PoolOptions options;
};

// Odd sizes, batch > 1, overlapping and gapped windows, asymmetric padding, 'same', ceil mode.
std::vector<Case> forwardCases() {
  auto ex = PoolPadding::explicitPad;
  return {
      {"1-D overlap, asymmetric pad", {11, 2, 3}, "SCB", opts({3}, {2}, ex({1}, {2}))},
      {"1-D stride > window", {11, 2, 3}, "SCB", opts({2}, {3})},
      {"1-D same", {11, 2, 3}, "SCB", opts({4}, {3}, PoolPadding::same())},
      {"1-D ceil", {11, 2, 3}, "SCB", opts({3}, {2}, ex({0}, {1}), true)},
      {"1-D ceil drops a window in padding", {5, 2, 3}, "SCB", opts({2}, {3}, ex({1}, {1}), true)},
      {"2-D overlap, asymmetric pad", {7, 9, 2, 3}, "SSCB", opts({3, 2}, {2, 1}, ex({1, 0}, {2, 1}))},
      {"2-D stride > window, default stride", {7, 9, 2, 3}, "SSCB", opts({2}, {3})},
      {"2-D default stride", {7, 9, 2, 3}, "SSCB", opts({2, 3}, {})},
      {"2-D same", {7, 9, 2, 3}, "SSCB", opts({3, 4}, {2}, PoolPadding::same())},
      {"2-D same, stride 1", {7, 9, 2, 3}, "SSCB", opts({3, 2}, {1}, PoolPadding::same())},
      {"2-D ceil", {7, 9, 2, 3}, "SSCB", opts({3, 2}, {2, 2}, ex({1, 0}, {0, 1}), true)},
      {"2-D no batch", {7, 5, 3}, "SSC", opts({3}, {2}, ex({1}, {1}))},
      {"2-D with T", {5, 4, 2, 3, 2}, "SSCBT", opts({2}, {1})},
      {"3-D overlap, asymmetric pad", {5, 6, 7, 2, 2}, "SSSCB", opts({2, 3, 2}, {2, 1, 3}, ex({1, 0, 1}, {0, 2, 1}))},
      {"3-D same", {5, 6, 7, 2, 2}, "SSSCB", opts({3}, {2}, PoolPadding::same())},
      {"3-D ceil", {5, 6, 7, 2, 2}, "SSSCB", opts({2}, {2, 3, 2}, {}, true)},
  };
}

Array run(bool isMax, const Array& x, const PoolOptions& o) { return isMax ? maxPool(x, o) : avgPool(x, o); }

}  // namespace

TEST_CASE("maxPool and avgPool: forward against naive loops in 1-D, 2-D and 3-D") {
  unsigned seed = 1;
  for (const Case& c : forwardCases()) {
    CAPTURE(c.name);
    Array x = randomArray(c.shape, c.format, seed++);
    const size_t nd = static_cast<size_t>(x.format().count('S'));
    for (bool includePad : {true, false}) {
      PoolOptions o = c.options;
      o.countIncludePad = includePad;
      CAPTURE(includePad);
      Array ya = avgPool(x, o);
      CHECK(ya.format() == x.format());
      expectClose(ya.value(), naivePool(x.value(), nd, o, false), 1e-12, 1e-14, "avgPool");
    }
    Array ym = maxPool(x, c.options);
    CHECK(ym.format() == x.format());
    expectClose(ym.value(), naivePool(x.value(), nd, c.options, true), 0, 0, "maxPool");
  }
}

TEST_CASE("maxPool and avgPool: inputs large enough for the threaded path") {
  Array x = randomArray({33, 31, 4, 3}, "SSCB", 51);
  PoolOptions o = opts({3}, {1}, PoolPadding::explicitPad({1}, {0}));
  o.countIncludePad = false;
  expectClose(maxPool(x, o).value(), naivePool(x.value(), 2, o, true), 0, 0, "maxPool");
  expectClose(avgPool(x, o).value(), naivePool(x.value(), 2, o, false), 1e-12, 1e-14, "avgPool");
  // Every output's gradient lands, whole, on real inputs (max: on one; avg without padding in
  // the divisor: split over them), so the input gradient sums to the output gradient's sum.
  for (bool isMax : {true, false}) {
    Tape tape;
    tape.watch(x);
    Array y = run(isMax, x, o);
    Array w = randomArray(y.shape(), "SSCB", 52);
    Array g = tape.gradient(sum(y * w), x);
    CHECK(sum(g).item() == doctest::Approx(sum(w).item()).epsilon(1e-10));
  }
}

TEST_CASE("maxPool and avgPool: sequence data pools over T") {
  // CBT: C=3, B=2, T=13. The reference pools the T-first copy, built by direct indexing.
  const int64_t C = 3, B = 2, T = 13;
  Array x = randomArray({C, B, T}, "CBT", 7);
  Tensor tcb({T, C, B}, DType::Float64);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t b = 0; b < B; ++b) tcb.data<double>()[t + T * (c + C * b)] = x.value().at(c + C * (b + B * t));
  for (const PoolOptions& base : {opts({3}, {2}, PoolPadding::explicitPad({2}, {1})), opts({4}, {3}, PoolPadding::same()),
                                  opts({3}, {2}, {}, true)}) {
    for (bool isMax : {true, false}) {
      for (bool includePad : {true, false}) {
        PoolOptions o = base;
        o.countIncludePad = includePad;
        Tensor ref = naivePool(tcb, 1, o, isMax);
        Array y = run(isMax, x, o);
        const int64_t To = ref.shape()[0];
        REQUIRE(y.format().str() == "CBT");
        REQUIRE(y.shape() == Shape{C, B, To});
        for (int64_t t = 0; t < To; ++t)
          for (int64_t c = 0; c < C; ++c)
            for (int64_t b = 0; b < B; ++b)
              CHECK(y.value().at(c + C * (b + B * t)) == doctest::Approx(ref.at(t + To * (c + C * b))).epsilon(1e-12));
      }
    }
  }
  // "CT" (no batch) also works.
  Array ct = randomArray({3, 8}, "CT", 8);
  CHECK(maxPool(ct, opts({2}, {2})).shape() == Shape{3, 4});
}

TEST_CASE("maxPool and avgPool: hand-computed examples") {
  // x(h, w) = 1 + h + 4w on a 4×4 image:  1 5  9 13
  //                                       2 6 10 14
  //                                       3 7 11 15
  //                                       4 8 12 16
  std::vector<double> v(16);
  for (int i = 0; i < 16; ++i) v[static_cast<size_t>(i)] = i + 1;
  Array x = Array::fromValues(Shape{4, 4}, std::span<const double>(v), "SS");
  CHECK(maxPool(x, opts({2}, {2})).toVector() == std::vector<float>{6, 8, 14, 16});
  CHECK(avgPool(x, opts({2}, {2})).toVector() == std::vector<float>{3.5, 5.5, 11.5, 13.5});
  CHECK(maxPool(x, opts({2}, {2})).shape() == Shape{2, 2});

  // 1-D [1 2 3 4 5], window 3, stride 2, padding 1 on both sides: windows {p,1,2} {2,3,4} {4,5,p}.
  std::vector<double> r = {1, 2, 3, 4, 5};
  Array s = Array::fromValues(Shape{5}, std::span<const double>(r), "S");
  PoolOptions o = opts({3}, {2}, PoolPadding::explicitPad({1}, {1}));
  CHECK(maxPool(s, o).toVector() == std::vector<float>{2, 4, 5});
  CHECK(avgPool(s, o).toVector() == std::vector<float>{1, 3, 3});
  o.countIncludePad = false;
  CHECK(avgPool(s, o).toVector() == std::vector<float>{1.5, 3, 4.5});

  // Ceil mode, window 2, stride 2: the last window {5} is clipped; its divisor is 1.
  CHECK(avgPool(s, opts({2}, {2})).toVector() == std::vector<float>{1.5, 3.5});
  CHECK(avgPool(s, opts({2}, {2}, {}, true)).toVector() == std::vector<float>{1.5, 3.5, 5});
  CHECK(maxPool(s, opts({2}, {2}, {}, true)).toVector() == std::vector<float>{2, 4, 5});

  // 'same', window 2, stride 2: 3 outputs, total padding 1, all of it after: {1,2} {3,4} {5,p}.
  PoolOptions same = opts({2}, {2}, PoolPadding::same());
  CHECK(maxPool(s, same).toVector() == std::vector<float>{2, 4, 5});
  CHECK(avgPool(s, same).toVector() == std::vector<float>{1.5, 3.5, 2.5});
  same.countIncludePad = false;
  CHECK(avgPool(s, same).toVector() == std::vector<float>{1.5, 3.5, 5});

  // Ties go to the first maximum: the gradient of [3 3 1 3] with window 2 lands on 0 and 3.
  std::vector<double> tie = {3, 3, 1, 3};
  Array t = Array::fromValues(Shape{4}, std::span<const double>(tie), "S");
  Tape tape;
  tape.watch(t);
  Array g = tape.gradient(sum(maxPool(t, opts({2}, {2}))), t);
  CHECK(g.toVector() == std::vector<float>{1, 0, 0, 1});
}

TEST_CASE("maxPool and avgPool: gradients against finite differences") {
  auto ex = PoolPadding::explicitPad;
  std::vector<Case> cases = {
      {"1-D overlap, asymmetric pad", {7, 2, 3}, "SCB", opts({3}, {2}, ex({1}, {2}))},
      {"1-D stride > window", {7, 2, 3}, "SCB", opts({2}, {3})},
      {"1-D same", {7, 2, 3}, "SCB", opts({4}, {3}, PoolPadding::same())},
      {"1-D ceil", {7, 2, 3}, "SCB", opts({3}, {2}, ex({0}, {1}), true)},
      {"2-D overlap, asymmetric pad", {5, 6, 2, 3}, "SSCB", opts({3, 2}, {2, 1}, ex({1, 0}, {2, 1}))},
      {"2-D stride > window", {5, 7, 2, 3}, "SSCB", opts({2}, {3})},
      {"2-D same", {5, 6, 2, 3}, "SSCB", opts({3, 4}, {2}, PoolPadding::same())},
      {"2-D ceil", {5, 6, 2, 3}, "SSCB", opts({3, 2}, {2, 2}, ex({1, 0}, {0, 1}), true)},
      {"3-D overlap, asymmetric pad", {4, 5, 3, 2, 2}, "SSSCB", opts({2, 3, 2}, {2, 1, 3}, ex({1, 0, 1}, {0, 2, 1}))},
      {"3-D same", {4, 5, 3, 2, 2}, "SSSCB", opts({3}, {2}, PoolPadding::same())},
      {"3-D ceil", {5, 4, 3, 2, 2}, "SSSCB", opts({2}, {2, 3, 2}, {}, true)},
      {"CBT", {2, 3, 9}, "CBT", opts({3}, {2}, ex({1}, {2}))},
      {"CBT same", {2, 3, 9}, "CBT", opts({4}, {3}, PoolPadding::same())},
  };
  unsigned seed = 100;
  for (const Case& c : cases) {
    CAPTURE(c.name);
    Array x = randomArray(c.shape, c.format, seed++);
    checkGradients([&](const std::vector<Array>& in) { return maxPool(in[0], c.options); }, {x});
    for (bool includePad : {true, false}) {
      CAPTURE(includePad);
      PoolOptions o = c.options;
      o.countIncludePad = includePad;
      checkGradients([&](const std::vector<Array>& in) { return avgPool(in[0], o); }, {x});
    }
  }
}

TEST_CASE("globalAvgPool and globalMaxPool: forward and backward") {
  Array x = randomArray({5, 7, 3, 2}, "SSCB", 21);
  Array ya = globalAvgPool(x), ym = globalMaxPool(x);
  CHECK(ya.format().str() == "SSCB");
  REQUIRE(ya.shape() == Shape{1, 1, 3, 2});
  REQUIRE(ym.shape() == Shape{1, 1, 3, 2});
  for (int64_t plane = 0; plane < 6; ++plane) {
    double s = 0, m = -INFINITY;
    for (int64_t i = 0; i < 35; ++i) {
      s += x.value().at(plane * 35 + i);
      m = std::max(m, x.value().at(plane * 35 + i));
    }
    CHECK(ya.value().at(plane) == doctest::Approx(s / 35).epsilon(1e-12));
    CHECK(ym.value().at(plane) == m);
  }
  Array seq = randomArray({3, 2, 7}, "CBT", 22);
  Array ys = globalMaxPool(seq);
  CHECK(ys.format().str() == "CBT");
  REQUIRE(ys.shape() == Shape{3, 2, 1});
  for (int64_t cb = 0; cb < 6; ++cb) {
    double m = -INFINITY;
    for (int64_t t = 0; t < 7; ++t) m = std::max(m, seq.value().at(cb + 6 * t));
    CHECK(ys.value().at(cb) == m);
  }
  CHECK(globalAvgPool(randomArray({3, 4, 5, 2, 2}, "SSSCB", 23)).shape() == Shape{1, 1, 1, 2, 2});

  Array small = randomArray({3, 5, 2, 3}, "SSCB", 24);
  for (const Array& in : {small, seq}) {
    checkGradients([](const std::vector<Array>& v) { return globalAvgPool(v[0]); }, {in});
    checkGradients([](const std::vector<Array>& v) { return globalMaxPool(v[0]); }, {in});
  }
}

TEST_CASE("maxPool and avgPool: float32 forward matches float64") {
  unsigned seed = 300;
  for (const Case& c : forwardCases()) {
    CAPTURE(c.name);
    Array x64 = randomArray(c.shape, c.format, seed), x32 = randomArray32(c.shape, c.format, seed);
    ++seed;
    for (bool includePad : {true, false}) {
      PoolOptions o = c.options;
      o.countIncludePad = includePad;
      Array a32 = avgPool(x32, o);
      CHECK(a32.dtype() == DType::Float32);
      expectClose(a32.value(), avgPool(x64, o).value(), 1e-5, 1e-6, "avgPool float32");
    }
    Array m32 = maxPool(x32, c.options);
    CHECK(m32.dtype() == DType::Float32);
    expectClose(m32.value(), maxPool(x64, c.options).value(), 1e-6, 0, "maxPool float32");
  }
  Array g32 = randomArray32({5, 7, 3, 2}, "SSCB", 9), g64 = randomArray({5, 7, 3, 2}, "SSCB", 9);
  expectClose(globalAvgPool(g32).value(), globalAvgPool(g64).value(), 1e-5, 1e-6, "globalAvgPool float32");
  expectClose(globalMaxPool(g32).value(), globalMaxPool(g64).value(), 1e-6, 0, "globalMaxPool float32");
}

TEST_CASE("maxPool and avgPool: NaN propagates, empty channels and batches work") {
  Array x = randomArray({4, 4, 1, 1}, "SSCB", 31);
  Tensor v = x.value().clone();
  v.data<double>()[5] = NAN;  // (1, 1): inside the first 2×2 window only
  Array xn(v, x.format());
  std::vector<float> m = maxPool(xn, opts({2}, {2})).toVector(), a = avgPool(xn, opts({2}, {2})).toVector();
  CHECK(std::isnan(m[0]));
  CHECK(std::isnan(a[0]));
  CHECK(!std::isnan(m[1]));
  CHECK(!std::isnan(a[3]));
  CHECK(std::isnan(globalMaxPool(xn).item()));

  for (Shape shape : {Shape{5, 5, 0, 2}, Shape{5, 5, 2, 0}}) {
    CAPTURE(shape.str());
    Array e(Tensor(shape, DType::Float64), "SSCB");
    Shape pooled = shape;
    pooled[0] = pooled[1] = 2;
    CHECK(maxPool(e, opts({2}, {2})).shape() == pooled);
    CHECK(avgPool(e, opts({2}, {2})).shape() == pooled);
    pooled[0] = pooled[1] = 1;
    CHECK(globalAvgPool(e).shape() == pooled);
    CHECK(globalMaxPool(e).shape() == pooled);
    Tape tape;
    tape.watch(e);
    Array s = sum(maxPool(e, opts({2}, {2}))) + sum(avgPool(e, opts({3}, {1}))) + sum(globalAvgPool(e)) +
              sum(globalMaxPool(e));
    CHECK(tape.gradient(s, e).shape() == shape);
  }
}

TEST_CASE("maxPool and avgPool: bad inputs give clear errors") {
  Array x = randomArray({6, 5, 2, 3}, "SSCB", 41);
  Array line = randomArray({3, 2}, "SC", 42);
  auto ex = PoolPadding::explicitPad;
  CHECK_THROWS_WITH_AS(maxPool(line, opts({5}, {1}, ex({1}, {0}))),
                       doctest::Contains("the window (5) is larger than the padded input (3 + 1 + 0 = 4)"), Error);
  CHECK_THROWS_WITH_AS(avgPool(x, opts({2}, {0})), doctest::Contains("avgPool: the stride must be positive"), Error);
  CHECK_THROWS_WITH_AS(maxPool(x, opts({0}, {})), doctest::Contains("the window size must be positive"), Error);
  CHECK_THROWS_WITH_AS(maxPool(x, opts({2, 2, 2}, {})),
                       doctest::Contains("the window size needs 1 or 2 values (one per pooled dimension of format \"SSCB\"), got 3"),
                       Error);
  CHECK_THROWS_WITH_AS(maxPool(x, opts({2}, {1, 1, 1})), doctest::Contains("the stride needs 1 or 2 values"), Error);
  CHECK_THROWS_WITH_AS(maxPool(x, opts({2}, {2}, ex({0, 0, 0}, {}))), doctest::Contains("the padding before needs 1 or 2"), Error);
  CHECK_THROWS_WITH_AS(maxPool(x, opts({}, {})), doctest::Contains("maxPool: the window size is required"), Error);
  CHECK_THROWS_WITH_AS(maxPool(Array(Tensor({3, 2}), "CB"), opts({2}, {})),
                       doctest::Contains("needs 1 to 3 S dimensions or a T dimension to pool over, got format \"CB\""), Error);
  CHECK_THROWS_WITH_AS(avgPool(Array(Tensor({3, 2})), opts({2}, {})), doctest::Contains("got format \"UU\""), Error);
  CHECK_THROWS_WITH_AS(maxPool(Array(Tensor({2, 2, 2, 2, 1}), "SSSSC"), opts({2}, {})),
                       doctest::Contains("pools over 1 to 3 S dimensions, got 4"), Error);
  CHECK_THROWS_WITH_AS(maxPool(x, opts({2}, {1}, ex({2}, {0}))),
                       doctest::Contains("padding must be smaller than the window (2) in pooled dimension 1, got before 2"), Error);
  CHECK_THROWS_WITH_AS(avgPool(x, opts({3, 2}, {1}, ex({0, 0}, {1, 2}))),
                       doctest::Contains("in pooled dimension 2, got before 0, after 2"), Error);
  CHECK_THROWS_WITH_AS(maxPool(x, opts({2}, {1}, ex({-1}, {0}))), doctest::Contains("must not be negative"), Error);
  CHECK_THROWS_WITH_AS(maxPool(x, opts({2}, {2}, PoolPadding::same(), true)),
                       doctest::Contains("ceilMode applies to explicit padding only"), Error);
  PoolPadding sameWithValues = PoolPadding::same();
  sameWithValues.before = {1};
  CHECK_THROWS_WITH_AS(maxPool(x, opts({2}, {2}, sameWithValues)), doctest::Contains("'same' padding computes its own"), Error);
  CHECK_THROWS_WITH_AS(maxPool(Array(Tensor({0, 5, 2}), "SSC"), opts({2}, {})),
                       doctest::Contains("cannot pool over a dimension of size 0"), Error);
  CHECK_THROWS_WITH_AS(globalAvgPool(Array(Tensor({3, 2}), "CB")),
                       doctest::Contains("globalAvgPool: x needs S dimensions or a T dimension"), Error);
  CHECK_THROWS_WITH_AS(globalMaxPool(Array(Tensor({0, 2}), "SC")), doctest::Contains("globalMaxPool: cannot pool over a dimension of size 0"),
                       Error);
}
