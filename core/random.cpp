#include "core/random.h"

#include <cmath>
#include <numbers>

#include "core/error.h"

namespace dlcam {

namespace {

uint64_t splitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

constexpr uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Random::Random(uint64_t seed) {
  for (uint64_t& s : s_) s = splitMix64(seed);
}

uint64_t Random::next() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Random::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

double Random::normal(double mean, double standardDeviation) {
  if (hasSpare_) {
    hasSpare_ = false;
    return mean + standardDeviation * spareNormal_;
  }
  // Box–Muller: two uniforms give two independent standard normal values; keep one for later.
  const double u1 = 1.0 - uniform();  // (0, 1]: log(u1) is finite
  const double u2 = uniform();
  const double radius = std::sqrt(-2.0 * std::log(u1));
  spareNormal_ = radius * std::sin(2.0 * std::numbers::pi * u2);
  hasSpare_ = true;
  return mean + standardDeviation * radius * std::cos(2.0 * std::numbers::pi * u2);
}

int64_t Random::below(int64_t n) {
  if (n <= 0) fail("Random::below: n must be positive, got ", n);
  const uint64_t range = static_cast<uint64_t>(n);
  // Reject the top partial copy of [0, range) so every value is equally likely.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % range;
  uint64_t r;
  do r = next();
  while (r >= limit);
  return static_cast<int64_t>(r % range);
}

}  // namespace dlcam
