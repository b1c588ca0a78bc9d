#include <doctest/doctest.h>

#include "dlcam.h"
#include "tests/support/gradcheck.h"

using namespace dlcam;
using dlcam::test::checkGradients;
using dlcam::test::randomArray;

TEST_CASE("sum, mean and max over chosen dims against a naive loop") {
  Array x = randomArray({3, 4, 5}, "SSC", 4);
  Array s = sum(x, {0, 1});
  Array m = mean(x, {0, 1});
  Array mx = max(x, {0, 1});
  CHECK(s.shape() == Shape{1, 1, 5});
  CHECK(s.format().str() == "SSC");
  for (int c = 0; c < 5; ++c) {
    double ref = 0, best = -1e300;
    for (int i = 0; i < 12; ++i) {
      double v = x.value().at(i + 12 * c);
      ref += v;
      best = std::max(best, v);
    }
    CHECK(s.value().at(c) == doctest::Approx(ref));
    CHECK(m.value().at(c) == doctest::Approx(ref / 12));
    CHECK(mx.value().at(c) == best);
  }
  CHECK(sum(x).numel() == 1);
  CHECK(x.format().dimsOf("S") == std::vector<int>{0, 1});
  CHECK_THROWS_WITH_AS(sum(x, {3}), doctest::Contains("sum: cannot reduce over dimension 3"), Error);
  CHECK_THROWS_WITH_AS(max(x, {-1}), doctest::Contains("max: cannot reduce over dimension -1"), Error);
}

TEST_CASE("Reduction gradients against finite differences") {
  Array x = randomArray({3, 5, 4, 2}, "SSCB", 9);
  for (std::vector<int> dims : {std::vector<int>{0}, {1, 3}, {2}, {0, 1, 2, 3}}) {
    CAPTURE(dims.size());
    checkGradients([&](const std::vector<Array>& v) { return sum(v[0], dims); }, {x});
    checkGradients([&](const std::vector<Array>& v) { return mean(v[0], dims); }, {x});
    checkGradients([&](const std::vector<Array>& v) { return max(v[0], dims); }, {x});
  }
}

TEST_CASE("Reductions with empty dimensions") {
  Array x(Tensor::zeros({0, 3}), "CB");
  CHECK(mean(x, {1}).shape() == Shape{0, 1});  // nothing to average, nothing to return
  CHECK(max(x, {1}).shape() == Shape{0, 1});
  CHECK(sum(x, {0}).toVector() == std::vector<float>{0, 0, 0});
  CHECK_THROWS_WITH_AS(mean(x, {0}), doctest::Contains("reduced dimensions"), Error);
  CHECK_THROWS_WITH_AS(max(x, {0}), doctest::Contains("reduced dimensions"), Error);
}

TEST_CASE("float32 sums are accumulated in double") {
  // A float32 running sum stops growing at 2^24 = 16777216; 2·10⁷ ones must still sum exactly.
  Array ones(Tensor::full({20000000}, 1.0), "C");
  CHECK(sum(ones).item() == 20000000.0);
  Array tenths(Tensor::full({2048, 2048}, 0.1), "SS");
  CHECK(mean(tenths).item() == doctest::Approx(0.1).epsilon(1e-6));
}
