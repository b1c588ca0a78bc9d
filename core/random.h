// Random: a small, seeded random number generator whose streams are the same on every
// machine, compiler and standard library (std::normal_distribution and friends are not), so
// that a training run or a generated data set is reproduced from its seed. The bits and the
// uniform values are exact everywhere; normal() goes through libm's log, sin and cos, which
// another libm may round differently in the last bit.
//
//   Random rng(42);
//   double u = rng.uniform();          // [0, 1)
//   double z = rng.normal(0.0, 2.0);   // mean 0, standard deviation 2
//   int64_t k = rng.below(10);         // 0 … 9
//   rng.shuffle(indices);
//
// The generator is xoshiro256** seeded through SplitMix64 (Blackman and Vigna); normal values
// come from the Box–Muller transform. Not for cryptography.
#pragma once

#include <cstdint>
#include <span>
#include <utility>

namespace dlcam {

class Random {
 public:
  explicit Random(uint64_t seed = 0);

  // 64 random bits.
  uint64_t next();
  // Uniform in [0, 1), 53 bits of precision.
  double uniform();
  // Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Normally distributed.
  double normal(double mean = 0.0, double standardDeviation = 1.0);
  // Uniform integer in [0, n); n > 0 (unbiased: rejection sampling).
  int64_t below(int64_t n);
  // Uniform integer in [lo, hi] (both included); lo <= hi.
  int64_t between(int64_t lo, int64_t hi) { return lo + below(hi - lo + 1); }
  // Fisher–Yates shuffle.
  template <typename T>
  void shuffle(std::span<T> values) {
    for (int64_t i = static_cast<int64_t>(values.size()) - 1; i > 0; --i) std::swap(values[i], values[below(i + 1)]);
  }
  // A generator for an independent stream (for a sub-task that must not shift this one's
  // stream, such as each sample of a generated data set).
  Random split() { return Random(next()); }

 private:
  uint64_t s_[4];
  double spareNormal_ = 0.0;
  bool hasSpare_ = false;
};

}  // namespace dlcam
