#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "autodiff/softmax.h"
#include "dlcam.h"
#include "tests/support/gradcheck.h"

using namespace dlcam;
using dlcam::test::checkGradients;
using dlcam::test::expectClose;
using dlcam::test::expectValues;
using dlcam::test::randomArray;
using dlcam::test::randomArray32;

namespace {

// softmax over C by explicit loops: every element's group is its linear index with the C
// subscript set to 0.
std::vector<double> softmaxRef(const Array& x, bool log) {
  const Shape& s = x.shape();
  const int cd = x.format().find('C');
  const int64_t stride = s.stride(cd), channels = s[cd];
  std::vector<double> y(static_cast<size_t>(x.numel()));
  for (int64_t k = 0; k < x.numel(); ++k) {
    const int64_t c = (k / stride) % channels, first = k - c * stride;
    double m = -INFINITY, total = 0;
    for (int64_t j = 0; j < channels; ++j) m = std::max(m, x.value().at(first + j * stride));
    for (int64_t j = 0; j < channels; ++j) total += std::exp(x.value().at(first + j * stride) - m);
    const double v = x.value().at(k) - m;
    y[static_cast<size_t>(k)] = log ? v - std::log(total) : std::exp(v) / total;
  }
  return y;
}

struct Layout {
  Shape shape;
  const char* format;
};

}  // namespace

TEST_CASE("softmax of 1 2 3 by hand") {
  std::vector<double> v = {1, 2, 3};
  Array x = Array::fromValues(Shape{3, 1}, std::span<const double>(v), "CB");
  const double e1 = std::exp(1.0), e2 = std::exp(2.0), e3 = std::exp(3.0), total = e1 + e2 + e3;
  std::vector<float> y = softmax(x).toVector();
  CHECK(y[0] == doctest::Approx(e1 / total));
  CHECK(y[1] == doctest::Approx(e2 / total));
  CHECK(y[2] == doctest::Approx(e3 / total));
  CHECK(y[0] == doctest::Approx(0.09003057));
  CHECK(y[2] == doctest::Approx(0.66524096));
  std::vector<float> ly = logSoftmax(x).toVector();
  CHECK(ly[0] == doctest::Approx(1 - std::log(total)));
}

TEST_CASE("softmax and logSoftmax against a naive loop") {
  // Odd sizes, C = 3, batch > 1; larger ones cover several row tiles and the threaded path.
  for (Layout l : {Layout{{5, 7, 3, 2}, "SSCB"}, Layout{{3, 5, 3}, "CBT"}, Layout{{3, 5, 3, 3, 2}, "SSSCB"},
                   Layout{{3, 5}, "CB"}, Layout{{7, 3, 3}, "SCB"}, Layout{{17, 19, 5, 29}, "SSCB"},
                   Layout{{5, 301}, "CB"}, Layout{{5, 97, 71}, "CBT"}, Layout{{4, 3}, "CU"}}) {
    CAPTURE(l.format);
    CAPTURE(l.shape.str());
    Array x = randomArray(l.shape, l.format, 1, -4, 4);
    Array y = softmax(x), ly = logSoftmax(x);
    CHECK(y.format() == x.format());
    CHECK(ly.shape() == x.shape());
    expectValues(y, softmaxRef(x, false));
    expectValues(ly, softmaxRef(x, true));
  }
}

TEST_CASE("softmax: sums to 1 over C, and logSoftmax is its log") {
  Array x = randomArray({5, 7, 4, 3}, "SSCB", 2, -3, 3);
  Array y = softmax(x), ly = logSoftmax(x);
  Array total = sum(y, {2});
  for (int64_t i = 0; i < total.numel(); ++i) CHECK(total.value().at(i) == doctest::Approx(1.0).epsilon(1e-14));
  expectClose(ly.value(), log(y).value(), 1e-13, 1e-14, "logSoftmax vs log(softmax)");
}

TEST_CASE("softmax: large inputs are stable") {
  std::vector<float> v = {1000, 1001, 1002, -1000, 0, 1000};
  Array x = Array::fromValues(Shape{3, 2}, std::span<const float>(v), "CB");
  std::vector<float> y = softmax(x).toVector(), ly = logSoftmax(x).toVector();
  std::vector<double> small = {0, 1, 2};
  std::vector<float> ref = softmax(Array::fromValues(Shape{3, 1}, std::span<const double>(small), "CB")).toVector();
  for (int c = 0; c < 3; ++c) CHECK(y[static_cast<size_t>(c)] == doctest::Approx(ref[static_cast<size_t>(c)]));
  for (float f : y) CHECK(std::isfinite(f));
  for (float f : ly) CHECK(std::isfinite(f));
  CHECK(y[3] == 0.0f);
  CHECK(y[5] == 1.0f);
  CHECK(ly[3] == doctest::Approx(-2000.0f));
  CHECK(ly[5] == doctest::Approx(0.0f));
  // Same through the strided (spatial) layout.
  Array xs(Tensor::full({3, 1, 2, 1}, 1000.0), "SSCB");
  for (float f : softmax(xs).toVector()) CHECK(f == doctest::Approx(0.5));
}

TEST_CASE("softmax: a NaN makes its own observation NaN, not the others") {
  std::vector<float> v = {NAN, 1, 2, 1, 2, 3};
  std::vector<float> y = softmax(Array::fromValues(Shape{3, 2}, std::span<const float>(v), "CB")).toVector();
  CHECK(std::isnan(y[0]));
  CHECK(std::isnan(y[1]));
  CHECK(std::isfinite(y[3]));
}

TEST_CASE("softmax and logSoftmax: gradients") {
  for (Layout l : {Layout{{5, 7, 3, 2}, "SSCB"}, Layout{{3, 5, 3}, "CBT"}, Layout{{3, 3, 3, 3, 2}, "SSSCB"},
                   Layout{{5, 3}, "CB"}}) {
    CAPTURE(l.format);
    Array x = randomArray(l.shape, l.format, 3, -2, 2);
    checkGradients([](const std::vector<Array>& in) { return softmax(in[0]); }, {x});
    checkGradients([](const std::vector<Array>& in) { return logSoftmax(in[0]); }, {x});
  }
}

TEST_CASE("softmax: backward on larger arrays matches the formula by loops") {
  // Exercises the row tiles and the threaded path of the backward kernels.
  for (Layout l : {Layout{{17, 19, 5, 29}, "SSCB"}, Layout{{5, 97, 71}, "CBT"}}) {
    CAPTURE(l.format);
    Array x = randomArray(l.shape, l.format, 4, -2, 2), w = randomArray(l.shape, l.format, 5);
    const int64_t stride = x.shape().stride(x.format().find('C')), channels = x.size(x.format().find('C'));
    for (bool isLog : {false, true}) {
      Tape tape;
      Array xt = x;
      tape.watch(xt);
      Array y = isLog ? logSoftmax(xt) : softmax(xt);
      Array g = tape.gradient(sum(y * w), xt);
      std::vector<double> p = softmaxRef(x, false), expected(p.size());
      for (int64_t k = 0; k < x.numel(); ++k) {
        const int64_t c = (k / stride) % channels, first = k - c * stride;
        double dot = 0, total = 0;
        for (int64_t j = 0; j < channels; ++j) {
          dot += w.value().at(first + j * stride) * p[static_cast<size_t>(first + j * stride)];
          total += w.value().at(first + j * stride);
        }
        const double pk = p[static_cast<size_t>(k)], wk = w.value().at(k);
        expected[static_cast<size_t>(k)] = isLog ? wk - pk * total : pk * (wk - dot);
      }
      expectValues(g, expected);
    }
  }
}

TEST_CASE("softmax: float32 matches float64") {
  for (Layout l : {Layout{{5, 7, 3, 2}, "SSCB"}, Layout{{3, 5, 3}, "CBT"}}) {
    Array x64 = randomArray(l.shape, l.format, 6, -5, 5), x32 = randomArray32(l.shape, l.format, 6, -5, 5);
    Array y32 = softmax(x32), ly32 = logSoftmax(x32);
    CHECK(y32.dtype() == DType::Float32);
    expectClose(y32.value().to(DType::Float64), softmax(x64).value(), 1e-5, 1e-7, "softmax");
    expectClose(ly32.value().to(DType::Float64), logSoftmax(x64).value(), 1e-5, 1e-6, "logSoftmax");
  }
}

TEST_CASE("softmax: zero-sized arrays and errors") {
  CHECK(softmax(Array(Tensor::zeros({3, 0}), "CB")).numel() == 0);
  CHECK(logSoftmax(Array(Tensor::zeros({5, 7, 0, 2}), "SSCB")).shape() == Shape{5, 7, 0, 2});
  CHECK_THROWS_WITH_AS(
      softmax(randomArray({3, 2}, "SB", 1)),
      doctest::Contains("softmax: x must have a C (channel) dimension to normalise over, got format \"SB\""), Error);
  CHECK_THROWS_WITH_AS(logSoftmax(randomArray({3, 2}, "", 1)), doctest::Contains("logSoftmax: x must have a C"), Error);
}
