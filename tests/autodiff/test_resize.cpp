#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "autodiff/resize.h"
#include "dlcam.h"
#include "kernels/cpu/resize.h"
#include "tests/support/gradcheck.h"

using namespace dlcam;
using dlcam::test::checkGradients;
using dlcam::test::expectClose;
using dlcam::test::randomArray;

namespace {

// ---- Independent reference: MATLAB's imresize.m contributions(), transcribed directly -------

double refCubic(double x) {
  const double a = std::abs(x);
  if (a <= 1) return 1.5 * a * a * a - 2.5 * a * a + 1;
  if (a <= 2) return -0.5 * a * a * a + 2.5 * a * a - 4 * a + 2;
  return 0;
}
double refTriangle(double x) { return (-1 <= x && x < 0) ? x + 1 : ((0 <= x && x <= 1) ? 1 - x : 0); }
double refBox(double x) { return (-0.5 <= x && x < 0.5) ? 1 : 0; }

using Matrix = std::vector<std::vector<double>>;  // [out][in]

// Dense out × in matrix: row o holds the weight of every input sample in output sample o.
Matrix refMatrix(int64_t in, int64_t out, ResizeMethod method, bool antialiasing, ResizeBorder border) {
  double (*kernel)(double) = method == ResizeMethod::Cubic    ? refCubic
                             : method == ResizeMethod::Linear ? refTriangle
                                                              : refBox;
  double width = method == ResizeMethod::Cubic ? 4 : method == ResizeMethod::Linear ? 2 : 1;
  const double scale = double(out) / double(in);
  const bool widen = scale < 1 && antialiasing && method != ResizeMethod::Nearest;
  if (widen) width /= scale;
  auto h = [&](double x) { return widen ? scale * kernel(scale * x) : kernel(x); };
  const int P = int(std::ceil(width)) + 2;
  std::vector<int64_t> aux;  // MATLAB: aux = [1:in, in:-1:1]
  for (int64_t i = 1; i <= in; ++i) aux.push_back(i);
  for (int64_t i = in; i >= 1; --i) aux.push_back(i);
  Matrix M(size_t(out), std::vector<double>(size_t(in), 0.0));
  for (int64_t x = 1; x <= out; ++x) {
    const double u = x / scale + 0.5 * (1 - 1 / scale);
    const double left = std::floor(u - width / 2);
    std::vector<double> w(static_cast<size_t>(P));
    double sum = 0;
    for (int p = 0; p < P; ++p) sum += (w[size_t(p)] = h(u - (left + p)));
    for (int p = 0; p < P; ++p) {
      const int64_t index = int64_t(left) + p;
      int64_t j = (index - 1) % (2 * in);
      if (j < 0) j += 2 * in;
      const int64_t source = border == ResizeBorder::Symmetric ? aux[size_t(j)] : std::min(std::max<int64_t>(1, index), in);
      M[size_t(x - 1)][size_t(source - 1)] += w[size_t(p)] / sum;
    }
  }
  return M;
}

std::vector<int64_t> unravel(int64_t i, const Shape& s) {
  std::vector<int64_t> idx(size_t(s.rank()));
  for (int d = 0; d < s.rank(); ++d) {
    idx[size_t(d)] = i % s[d];
    i /= s[d];
  }
  return idx;
}

// Non-separable reference: y(o) = Σ_i x(i) · Π_d M_d(o_d, i_d) over the resized dims d, with
// the other dims matching.
Tensor refResize(const Array& x, const std::vector<int>& dims, const std::vector<int64_t>& sizes, ResizeMethod m,
                 bool aa, ResizeBorder border) {
  const Shape inS = x.shape();
  Shape outS = inS;
  std::vector<Matrix> mats(size_t(inS.rank()));
  std::vector<bool> resized(size_t(inS.rank()), false);
  for (size_t k = 0; k < dims.size(); ++k) {
    outS[dims[k]] = sizes[k];
    mats[size_t(dims[k])] = refMatrix(inS[dims[k]], sizes[k], m, aa, border);
    resized[size_t(dims[k])] = true;
  }
  Tensor y(outS, DType::Float64);
  for (int64_t o = 0; o < outS.numel(); ++o) {
    const auto oi = unravel(o, outS);
    double s = 0;
    for (int64_t i = 0; i < inS.numel(); ++i) {
      const auto ii = unravel(i, inS);
      double w = 1;
      for (int d = 0; d < inS.rank() && w != 0; ++d) {
        const auto du = size_t(d);
        w = resized[du] ? w * mats[du][size_t(oi[du])][size_t(ii[du])] : (oi[du] == ii[du] ? w : 0);
      }
      if (w != 0) s += w * x.value().at(i);
    }
    y.data<double>()[o] = s;
  }
  return y;
}

Array arr(Shape shape, const std::vector<double>& v, std::string_view fmt) {
  return Array(Tensor::fromValues(std::move(shape), std::span<const double>(v), DType::Float64), fmt);
}

std::vector<double> values(const Array& a) {
  std::vector<double> v;
  for (int64_t i = 0; i < a.numel(); ++i) v.push_back(a.value().at(i));
  return v;
}

const ResizeMethod kMethods[] = {ResizeMethod::Nearest, ResizeMethod::Linear, ResizeMethod::Cubic};
const char* name(ResizeMethod m) {
  return m == ResizeMethod::Nearest ? "nearest" : m == ResizeMethod::Linear ? "linear" : "cubic";
}

void checkAgainstReference(const Array& x, const std::vector<int>& dims, const std::vector<int64_t>& sizes) {
  for (ResizeMethod m : kMethods)
    for (bool aa : {true, false})
      for (ResizeBorder border : {ResizeBorder::Replicate, ResizeBorder::Symmetric}) {
        CAPTURE(name(m));
        CAPTURE(aa);
        CAPTURE(static_cast<int>(border));
        Array y = resize(x, sizes, {m, aa, border});
        CHECK(y.format() == x.format());
        expectClose(y.value(), refResize(x, dims, sizes, m, aa, border), 1e-12, 1e-12, x.format().str());
      }
}

}  // namespace

TEST_CASE("resize: 1x2 -> 1x4 by hand (nearest, linear, cubic)") {
  // in = 2, out = 4, scale = 2: u = x/2 + 0.25 = 0.75, 1.25, 1.75, 2.25 for x = 1..4.
  // With ResizeBorder::Symmetric, borders mirror with aux = [1 2 2 1]: index -1 -> 2, 0 -> 1,
  // 3 -> 2, 4 -> 1. With Replicate (the default, as MATLAB), -1 -> 1, 0 -> 1, 3 -> 2, 4 -> 2.
  //
  // nearest (box, width 1): left = floor(u - 0.5) = 0 0 1 1; the one nonzero tap is left + 1,
  //   so the inputs are 1 1 2 2 -> [1 1 2 2].
  // linear (triangle, width 2): left = floor(u - 1) = -1 0 0 1, taps left..left+3:
  //   x=1: u - idx = 1.75 .75 -.25 -1.25 -> w 0 .25 .75 0 on idx -1 0 1 2 -> inputs 2 1 1 2 -> 1
  //   x=2: u - idx = 1.25 .25 -.75 -1.75 -> w 0 .75 .25 0 on idx 0 1 2 3 -> .75·1 + .25·2 = 1.25
  //   x=3: w 0 .25 .75 0 on idx 0 1 2 3 -> .25·1 + .75·2 = 1.75
  //   x=4: w 0 .75 .25 0 on idx 1 2 3 4 -> inputs 1 2 2 1 -> .75·2 + .25·2 = 2
  // cubic (Keys a = -0.5, width 4): left = floor(u - 2) = -2 -1 -1 0, taps left..left+5;
  //   k(.25) = .8671875, k(.75) = .2265625, k(1.25) = -.0703125, k(1.75) = -.0234375, k(>=2) = 0.
  //   x=1: u - idx = 2.75 1.75 .75 -.25 -1.25 -2.25 on idx -2..3 -> inputs 2 2 1 1 2 2:
  //        (.2265625 + .8671875)·1 + (-.0234375 - .0703125)·2 = .90625
  //   x=2: u - idx = 2.25 1.25 .25 -.75 -1.75 -2.75 on idx -1..4 -> inputs 2 1 1 2 2 1:
  //        (-.0703125 + .8671875)·1 + (.2265625 - .0234375)·2 = 1.203125
  //   x=3, x=4 by symmetry: 3 - 1.203125 = 1.796875, 3 - .90625 = 2.09375.
  //   Weights sum to exactly 1 in every row, and columns 0 and 5 are zero in every row (dropped).
  // cubic, replicated borders: only x=1 and x=4 change (index -1 now reads input 1):
  //   x=1: (-.0234375 + .2265625 + .8671875)·1 + (-.0703125)·2 = .9296875; x=4: 3 - .9296875.
  //   MATLAB prints imresize([1 2], [1 4]) as 0.9297 1.2031 1.7969 2.0703.
  const auto sym = ResizeBorder::Symmetric;
  Array x = arr({1, 2}, {1, 2}, "SS");
  CHECK(values(resize(x, {1, 4}, {ResizeMethod::Nearest})) == std::vector<double>{1, 1, 2, 2});
  CHECK(values(resize(x, {1, 4}, {ResizeMethod::Linear})) == std::vector<double>{1, 1.25, 1.75, 2});
  CHECK(values(resize(x, {1, 4}, {ResizeMethod::Cubic, true, sym})) == std::vector<double>{0.90625, 1.203125, 1.796875, 2.09375});
  // Cubic with replicated borders is the default.
  CHECK(values(resize(x, {1, 4})) == std::vector<double>{0.9296875, 1.203125, 1.796875, 2.0703125});

  kernels::cpu::ResizeTable t = kernels::cpu::resizeTable({2, 4, kernels::cpu::ResizeKernel::Cubic, true, sym});
  CHECK(t.taps == 4);
  CHECK(std::vector<int64_t>(t.indices.begin(), t.indices.begin() + 4) == std::vector<int64_t>{1, 0, 0, 1});
  CHECK(std::vector<double>(t.weights.begin(), t.weights.begin() + 4) ==
        std::vector<double>{-0.0234375, 0.2265625, 0.8671875, -0.0703125});
  kernels::cpu::ResizeTable r = kernels::cpu::resizeTable({2, 4, kernels::cpu::ResizeKernel::Cubic, true});
  CHECK(std::vector<int64_t>(r.indices.begin(), r.indices.begin() + 4) == std::vector<int64_t>{0, 0, 0, 1});

  // The same over T for a 1×t sequence map.
  Array s = arr({1, 2}, {1, 2}, "CT");
  CHECK(values(resize(s, {4}, {ResizeMethod::Cubic})) == std::vector<double>{0.9296875, 1.203125, 1.796875, 2.0703125});
}

TEST_CASE("resize matches an output printed by MATLAB: imresize(A, size(A)*2, 'bicubic')") {
  // A 4×4 matrix and the 8×8 result MATLAB printed for it (4 decimals), from MathWorks'
  // answer on how imresize treats borders (it replicates the end pixels). Row-major here.
  const double A[4][4] = {{3, 1, 2, 6}, {1, 5, 2, 7}, {1, 3, 6, 2}, {4, 1, 9, 2}};
  const double B[8][8] = {{3.3109, 2.6187, 1.1206, 0.7166, 1.4067, 2.8883, 5.1615, 6.2060},
                          {2.6454, 2.4435, 2.0052, 1.7138, 1.5692, 2.8062, 5.4248, 6.6307},
                          {1.2008, 2.0609, 3.9181, 3.8763, 1.9355, 2.6382, 5.9844, 7.5302},
                          {0.4985, 1.6796, 4.2357, 4.6921, 3.0489, 3.2618, 5.3307, 6.2876},
                          {0.5384, 1.2996, 2.9579, 4.1612, 4.9094, 4.6769, 3.4639, 2.9028},
                          {1.5500, 1.6768, 1.9697, 3.5367, 6.3776, 6.1378, 2.8173, 1.2798},
                          {3.5334, 2.8110, 1.2710, 2.8185, 7.4537, 7.6444, 3.3907, 1.4186},
                          {4.4466, 3.3344, 0.9529, 2.4891, 7.9430, 8.3334, 3.6605, 1.4930}};
  Tensor a(Shape{4, 4}, DType::Float64);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) a.data<double>()[r + 4 * c] = A[r][c];
  Tensor b(Shape{8, 8}, DType::Float64);
  for (int r = 0; r < 8; ++r)
    for (int c = 0; c < 8; ++c) b.data<double>()[r + 8 * c] = B[r][c];
  expectClose(resize(Array(a, "SS"), {8, 8}).value(), b, 0, 0.5e-4, "bicubic vs MATLAB");
  expectClose(resize(Array(a.to(DType::Float32), "SS"), {8, 8}).value().to(DType::Float64), b, 0, 0.6e-4,
              "float32 bicubic vs MATLAB");
}

TEST_CASE("resize: scale 1 is the identity, nearest 2x replicates, constants stay constant") {
  using kernels::cpu::ResizeKernel;
  for (auto k : {ResizeKernel::Box, ResizeKernel::Triangle, ResizeKernel::Cubic}) {
    kernels::cpu::ResizeTable t = kernels::cpu::resizeTable({5, 5, k, true});
    CHECK(t.taps == 1);
    CHECK(t.indices == std::vector<int64_t>{0, 1, 2, 3, 4});
    CHECK(t.weights == std::vector<double>(5, 1.0));
  }
  Array x = randomArray({5, 7, 2, 3}, "SSCB", 1);
  for (ResizeMethod m : kMethods) {
    CAPTURE(name(m));
    CHECK(values(resize(x, {5, 7}, {m})) == values(x));
  }

  Array img = randomArray({3, 4, 2, 3}, "SSCB", 2);
  Array rep = resize(img, {6, 8}, {ResizeMethod::Nearest});
  REQUIRE(rep.shape() == Shape{6, 8, 2, 3});
  bool same = true;
  for (int64_t n = 0; n < 3 * 2; ++n)
    for (int64_t w = 0; w < 8; ++w)
      for (int64_t h = 0; h < 6; ++h)
        same = same && rep.value().at(h + 6 * (w + 8 * n)) == img.value().at(h / 2 + 3 * (w / 2 + 4 * n));
  CHECK(same);

  Array c(Tensor::full({7, 5, 2, 3}, 0.37, DType::Float64), "SSCB");
  for (ResizeMethod m : kMethods)
    for (bool aa : {true, false})
      for (std::vector<int64_t> size : {std::vector<int64_t>{17, 11}, {3, 2}, {1, 9}, {7, 1}, {40, 3}}) {
        CAPTURE(name(m));
        CAPTURE(aa);
        Array y = resize(c, size, {m, aa});
        expectClose(y.value(), Tensor::full(y.shape(), 0.37, DType::Float64), 1e-14, 0, "constant");
      }
}

TEST_CASE("resize: linear reproduces a ramp away from the borders") {
  const int64_t n = 9;
  std::vector<double> ramp;
  for (int64_t i = 1; i <= n; ++i) ramp.push_back(3.0 * double(i) + 1);
  Array x = arr({1, n}, ramp, "SS");
  for (int64_t out : {int64_t(25), int64_t(14), int64_t(4)}) {  // enlarge, and shrink without antialiasing
    CAPTURE(out);
    std::vector<double> y = values(resize(x, {1, out}, {ResizeMethod::Linear, false}));
    const double scale = double(out) / double(n);
    int interior = 0;
    for (int64_t o = 1; o <= out; ++o) {
      const double u = o / scale + 0.5 * (1 - 1 / scale);
      if (u < 1 || u > double(n)) continue;
      ++interior;
      CHECK(y[size_t(o - 1)] == doctest::Approx(3 * u + 1).epsilon(1e-13));
    }
    CHECK(interior >= out - 2);
  }
}

TEST_CASE("resize 2-D matches the non-separable reference") {
  checkAgainstReference(randomArray({7, 5, 2, 3}, "SSCB", 3), {0, 1}, {17, 11});
  checkAgainstReference(randomArray({9, 8, 2, 3}, "SSCB", 4), {0, 1}, {4, 3});
  checkAgainstReference(randomArray({9, 8, 3}, "SSC", 5), {0, 1}, {4, 13});  // one shrinks, one grows
  checkAgainstReference(randomArray({1, 7}, "SS", 6), {0, 1}, {1, 12});      // 1×t map
  checkAgainstReference(randomArray({6, 7}, "SS", 7), {0, 1}, {6, 2});       // one dim unchanged
  checkAgainstReference(randomArray({5, 3, 2}, "SCB", 8), {0}, {11});        // 1-D spatial
  checkAgainstReference(randomArray({40, 5}, "SS", 9), {0, 1}, {3, 5});      // strong shrink: wide kernel
}

TEST_CASE("resize 3-D matches the non-separable reference") {
  checkAgainstReference(randomArray({3, 4, 5, 2, 2}, "SSSCB", 10), {0, 1, 2}, {7, 6, 9});
  checkAgainstReference(randomArray({7, 6, 5, 1, 2}, "SSSCB", 11), {0, 1, 2}, {3, 4, 5});
  checkAgainstReference(randomArray({4, 5, 3}, "SSS", 12), {0, 1, 2}, {2, 9, 3});
}

TEST_CASE("resize sequences over T") {
  checkAgainstReference(randomArray({3, 2, 7}, "CBT", 13), {2}, {12});
  checkAgainstReference(randomArray({3, 2, 7}, "CBT", 14), {2}, {4});
  checkAgainstReference(randomArray({2, 9}, "CT", 15), {1}, {5});
  // A 1×1×t "CBT" map gives what imresize gives for the 1×t image.
  Array seq = randomArray({1, 1, 7}, "CBT", 16);
  Array img(seq.value().reshaped({1, 7}), "SS");
  for (ResizeMethod m : kMethods) {
    CAPTURE(name(m));
    CHECK(values(resize(seq, {15}, {m})) == values(resize(img, {1, 15}, {m})));
    CHECK(resize(seq, {15}, {m}).shape() == Shape{1, 1, 15});
  }
  // With S dims present, T is left alone.
  Array video = randomArray({3, 4, 2, 1, 5}, "SSCBT", 17);
  CHECK(resize(video, {6, 7}).shape() == Shape{6, 7, 2, 1, 5});
}

TEST_CASE("resize passes run in imresize's order: smallest scale first, unchanged dims skipped") {
  auto order = [](Shape in, std::vector<int64_t> out) {
    kernels::cpu::ResizeParams p;
    p.dims = {0, 1};
    p.outSizes = std::move(out);
    std::vector<int> dims;
    for (const auto& pass : kernels::cpu::planResize(in, p).passes) dims.push_back(pass.dim);
    return dims;
  };
  CHECK(order({9, 8, 2}, {4, 13}) == std::vector<int>{0, 1});
  CHECK(order({9, 8, 2}, {20, 4}) == std::vector<int>{1, 0});
  CHECK(order({9, 8, 2}, {9, 16}) == std::vector<int>{1});
  CHECK(order({9, 8, 2}, {18, 16}) == std::vector<int>{0, 1});  // ties keep dimension order (stable sort)
  CHECK(order({9, 8, 2}, {9, 8}).empty());
}

TEST_CASE("resize gradients match finite differences") {
  struct Case {
    Array x;
    std::vector<int64_t> size;
    bool aa;
  };
  std::vector<Case> cases = {
      {randomArray({3, 4, 2, 2}, "SSCB", 20), {5, 7}, true},   // enlarge
      {randomArray({7, 6, 1, 2}, "SSCB", 21), {3, 4}, true},   // shrink, antialiased
      {randomArray({7, 6, 1, 2}, "SSCB", 22), {3, 4}, false},  // shrink, plain kernel
      {randomArray({5, 3, 1, 2}, "SSCB", 23), {2, 7}, true},   // mixed
      {randomArray({2, 3, 3, 1, 2}, "SSSCB", 24), {3, 5, 2}, true},
      {randomArray({2, 3, 5}, "CBT", 25), {8}, true},
      {randomArray({2, 3, 7}, "CBT", 26), {3}, true},
  };
  for (ResizeMethod m : kMethods)
    for (const Case& c : cases) {
      CAPTURE(name(m));
      CAPTURE(c.x.format().str());
      checkGradients([&](const std::vector<Array>& v) { return resize(v[0], c.size, {m, c.aa}); }, {c.x});
    }
}

TEST_CASE("resize float32 matches float64") {
  Array x64 = randomArray({7, 5, 3, 2}, "SSCB", 30);
  Array x32(x64.value().to(DType::Float32), x64.format());
  for (ResizeMethod m : kMethods)
    for (std::vector<int64_t> size : {std::vector<int64_t>{17, 11}, {3, 2}}) {
      CAPTURE(name(m));
      Array y32 = resize(x32, size, {m});
      CHECK(y32.dtype() == DType::Float32);
      expectClose(y32.value(), resize(x64, size, {m}).value(), 1e-5, 1e-6, "float32");
    }
  Array v64 = randomArray({3, 4, 5, 2, 1}, "SSSCB", 31);
  Array v32(v64.value().to(DType::Float32), v64.format());
  expectClose(resize(v32, {7, 6, 9}).value(), resize(v64, {7, 6, 9}).value(), 1e-5, 1e-6, "float32 3-D");
}

TEST_CASE("resize keeps empty batches and propagates NaN") {
  Array empty(Tensor({3, 4, 2, 0}, DType::Float64), "SSCB");
  CHECK(resize(empty, {5, 6}).shape() == Shape{5, 6, 2, 0});

  const double nan = std::numeric_limits<double>::quiet_NaN();
  Array x = arr({1, 3}, {1, nan, 3}, "SS");
  std::vector<double> near = values(resize(x, {1, 6}, {ResizeMethod::Nearest}));
  CHECK(near[0] == 1);
  CHECK(near[1] == 1);
  CHECK(std::isnan(near[2]));
  CHECK(std::isnan(near[3]));
  CHECK(near[4] == 3);
  CHECK(near[5] == 3);
  std::vector<double> lin = values(resize(x, {1, 6}, {ResizeMethod::Linear}));
  CHECK(lin[0] == 1);
  for (int i = 1; i < 5; ++i) CHECK(std::isnan(lin[size_t(i)]));
  CHECK(lin[5] == 3);
}

TEST_CASE("resize rejects bad inputs") {
  Array x = randomArray({4, 5, 2}, "SSC", 40);
  CHECK_THROWS_WITH_AS(resize(x, {8}), doctest::Contains("outputSize needs 2 values"), Error);
  CHECK_THROWS_WITH_AS(resize(x, {8, 9, 3}), doctest::Contains("got 3 [8 9 3]"), Error);
  CHECK_THROWS_WITH_AS(resize(x, {8, 0}), doctest::Contains("must be positive"), Error);
  CHECK_THROWS_WITH_AS(resize(x, {-2, 4}), doctest::Contains("must be positive"), Error);
  CHECK_THROWS_WITH_AS(resize(randomArray({3, 2}, "CB", 41), {4}), doctest::Contains("S dimensions or a T dimension"),
                       Error);
  CHECK_THROWS_WITH_AS(resize(Array(Tensor({3, 4})), {6, 8}), doctest::Contains("format \"UU\""), Error);
  CHECK_THROWS_WITH_AS(resize(Array(Tensor({0, 4}), "SS"), {3, 8}), doctest::Contains("empty dimension"), Error);
  CHECK_THROWS_WITH_AS(resize(randomArray({2, 3}, "CT", 42), {0}), doctest::Contains("must be positive"), Error);
}
