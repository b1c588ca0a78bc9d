// Random: the exact stream (so data sets and training runs are reproducible on any machine)
// and the distributions' moments.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/error.h"
#include "core/random.h"

using namespace dlcam;

TEST_CASE("Random is xoshiro256** seeded by SplitMix64") {
  // Expected values from an independent Python transcription of the two published algorithms.
  Random rng(12345);
  CHECK(rng.next() == 0xbe6a36374160d49bULL);
  CHECK(rng.next() == 0x214aaa0637a688c6ULL);
  CHECK(rng.next() == 0xf69d16de9954d388ULL);
}

TEST_CASE("Random's distributions have the right moments and ranges") {
  Random rng(7);
  const int n = 200000;
  double sum = 0, sumSq = 0, uniformSum = 0;
  std::vector<int> counts(6, 0);
  for (int i = 0; i < n; ++i) {
    const double z = rng.normal(1.0, 2.0);
    sum += z;
    sumSq += z * z;
    const double u = rng.uniform();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    uniformSum += u;
    ++counts[static_cast<size_t>(rng.below(6))];
  }
  const double mean = sum / n, variance = sumSq / n - mean * mean;
  CHECK(mean == doctest::Approx(1.0).epsilon(0.02));       // standard error 2/sqrt(n) ≈ 0.0045
  CHECK(variance == doctest::Approx(4.0).epsilon(0.02));
  CHECK(uniformSum / n == doctest::Approx(0.5).epsilon(0.01));
  for (int c : counts) CHECK(c == doctest::Approx(n / 6.0).epsilon(0.03));
  CHECK_THROWS_AS(rng.below(0), Error);
  for (int i = 0; i < 100; ++i) {
    const int64_t k = rng.between(-2, 2);
    CHECK(k >= -2);
    CHECK(k <= 2);
  }
}

TEST_CASE("Random::shuffle permutes, and is reproducible from the seed") {
  std::vector<int> a(50), b(50);
  std::iota(a.begin(), a.end(), 0);
  std::iota(b.begin(), b.end(), 0);
  Random r1(3), r2(3);
  r1.shuffle(std::span<int>(a));
  r2.shuffle(std::span<int>(b));
  CHECK(a == b);
  std::vector<int> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> identity(50);
  std::iota(identity.begin(), identity.end(), 0);
  CHECK(sorted == identity);
  CHECK(a != identity);
}
