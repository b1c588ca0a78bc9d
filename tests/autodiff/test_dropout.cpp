#include <doctest/doctest.h>

#include <cmath>

#include "autodiff/dropout.h"
#include "dlcam.h"
#include "tests/support/gradcheck.h"

using namespace dlcam;
using dlcam::test::checkGradients;
using dlcam::test::randomArray;
using dlcam::test::randomArray32;

TEST_CASE("dropout: inference is the identity and returns x itself") {
  Array x = randomArray({5, 7, 3, 2}, "SSCB", 1);
  Tape tape;
  tape.watch(x);
  const uint64_t before = tape.nodesRecorded();
  Array y = dropout(x, {0.5, false, 7});
  CHECK(y.value().data<double>() == x.value().data<double>());
  CHECK(y.format() == x.format());
  CHECK(tape.nodesRecorded() == before);
  // p = 0 in training drops nothing: also x itself.
  CHECK(dropout(x, {0.0, true, 7}).value().data<double>() == x.value().data<double>());
  // The gradient flows straight through.
  Array g = tape.gradient(sum(y), x);
  for (int64_t i = 0; i < g.numel(); ++i) CHECK(g.value().at(i) == 1.0);
}

TEST_CASE("dropout: training keeps about 1 − p of the elements and scales them by 1/(1 − p)") {
  const int64_t n = 200001;
  Array x = randomArray32({n}, "C", 2, 0.5, 1.5);  // no zeros, so a zero output means dropped
  for (double p : {0.1, 0.3, 0.5, 0.9}) {
    CAPTURE(p);
    std::vector<float> y = dropout(x, {p, true, 42}).toVector();
    std::vector<float> xv = x.toVector();
    int64_t kept = 0;
    bool scaledRight = true;
    for (size_t i = 0; i < y.size(); ++i) {
      if (y[i] == 0) continue;
      ++kept;
      scaledRight = scaledRight && y[i] == xv[i] * static_cast<float>(1.0 / (1.0 - p));
    }
    CHECK(scaledRight);
    // Binomial: the kept fraction is within 6 standard deviations of 1 − p.
    const double sd = std::sqrt(p * (1 - p) / static_cast<double>(n));
    CHECK(std::abs(static_cast<double>(kept) / static_cast<double>(n) - (1 - p)) < 6 * sd);
  }
}

TEST_CASE("dropout: the mask is a function of seed and element index") {
  Array x = randomArray({9, 11, 3, 5}, "SSCB", 3, 0.5, 1.5);
  auto mask = [](const Array& y) {
    std::vector<bool> m;
    for (int64_t i = 0; i < y.numel(); ++i) m.push_back(y.value().at(i) != 0);
    return m;
  };
  std::vector<bool> a = mask(dropout(x, {0.5, true, 11}));
  CHECK(mask(dropout(x, {0.5, true, 11})) == a);
  CHECK(mask(dropout(x, {0.5, true, 12})) != a);
  // Neither dtype nor format changes the mask: it depends on the linear index only.
  Array x32 = randomArray32({9, 11, 3, 5}, "SSCB", 3, 0.5, 1.5);
  CHECK(mask(dropout(x32, {0.5, true, 11})) == a);
  CHECK(mask(dropout(Array(x.value(), "SSCU"), {0.5, true, 11})) == a);
  // Neighbouring seeds give unrelated masks: about half of the elements differ.
  std::vector<bool> b = mask(dropout(x, {0.5, true, 12}));
  int64_t differ = 0;
  for (size_t i = 0; i < a.size(); ++i) differ += a[i] != b[i];
  CHECK(std::abs(static_cast<double>(differ) / static_cast<double>(a.size()) - 0.5) < 0.05);
}

TEST_CASE("dropout: the gradient is the same mask times the scale") {
  Array x = randomArray({5, 7, 3, 2}, "SSCB", 4, 0.5, 1.5);
  const double p = 0.4;
  Tape tape;
  Array xt = x;
  tape.watch(xt);
  Array y = dropout(xt, {p, true, 99});
  Array g = tape.gradient(sum(y), xt);
  int64_t dropped = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const bool kept = y.value().at(i) != 0;
    dropped += !kept;
    CHECK(g.value().at(i) == (kept ? 1.0 / (1.0 - p) : 0.0));
  }
  CHECK(dropped > 0);
  CHECK(dropped < x.numel());
}

TEST_CASE("dropout: gradients in training mode with a fixed seed") {
  for (auto [shape, format] : std::vector<std::pair<Shape, const char*>>{{{5, 7, 3, 2}, "SSCB"}, {{3, 5, 3}, "CBT"}}) {
    CAPTURE(format);
    checkGradients(
        [](const std::vector<Array>& in) {
          return dropout(in[0], {0.3, true, 5});
        },
        {randomArray(shape, format, 5)});
  }
}

TEST_CASE("dropout: float32 matches float64, NaN stays NaN") {
  Array x64 = randomArray({5, 7, 3, 2}, "SSCB", 6), x32 = randomArray32({5, 7, 3, 2}, "SSCB", 6);
  dlcam::test::expectClose(dropout(x32, {0.25, true, 3}).value().to(DType::Float64),
                           dropout(x64, {0.25, true, 3}).value(), 1e-6, 1e-7, "dropout");
  std::vector<float> v(64, NAN);
  for (float f : dropout(Array::fromValues(Shape{64}, std::span<const float>(v)), {0.5, true, 1}).toVector())
    CHECK(std::isnan(f));
  CHECK(dropout(Array(Tensor::zeros({0, 3}), "CB"), {0.5, true, 1}).numel() == 0);
}

TEST_CASE("dropout: the probability must be at least 0 and below 1") {
  Array x = randomArray({3, 2}, "CB", 7);
  for (double p : {1.0, -0.1, 1.5, static_cast<double>(NAN)})
    CHECK_THROWS_WITH_AS(dropout(x, {p, true, 0}), doctest::Contains("dropout: probability must be in [0, 1), got"),
                         Error);
  CHECK_THROWS_WITH_AS(dropout(x, {1.0, false, 0}), doctest::Contains("probability must be in [0, 1)"), Error);
}
