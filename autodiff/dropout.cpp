#include "autodiff/dropout.h"

#include "autodiff/tape.h"
#include "kernels/elementwise.h"

namespace dlcam {

namespace {

// SplitMix64's output function: a bijection on 64 bits whose outputs for consecutive inputs
// look independent.
constexpr uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

// The mask scaled by 1 / (1 − p): 1 / (1 − p) where an element is kept, 0 where it is dropped.
// Element i is kept when its uniform number in [0, 1) — element i of the SplitMix64 stream
// seeded with `seed` — is at least p. Counter-based, so the mask does not depend on how the
// loop is split between threads, and backward recomputes it instead of storing it.
//
// Drawn on the host for both devices, so that a GPU run drops exactly the elements a CPU run
// does; a GPU run copies it over and multiplies there.
Tensor drawMask(const Shape& shape, DType dtype, uint64_t seed, double p) {
  Tensor mask = Tensor::empty(shape, dtype);
  const uint64_t key = mix(seed + kGolden);
  visitFloat(dtype, [&](auto zero) {
    using T = decltype(zero);
    const T keepScale = static_cast<T>(1.0 / (1.0 - p));
    T* m = mask.data<T>();
    const int64_t n = mask.numel();
#pragma omp parallel for if (n > kernels::cpu::kParallelGrain) schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const uint64_t r = mix(key + (static_cast<uint64_t>(i) + 1) * kGolden);
      const double u = static_cast<double>(r >> 11) * 0x1.0p-53;
      m[i] = u >= p ? keepScale : T(0);
    }
  });
  return mask;
}

// t ⊙ mask / (1 − p), on t's device.
Tensor applyMask(const Tensor& t, uint64_t seed, double p) {
  const Tensor mask = kernels::on(drawMask(t.shape(), t.dtype(), seed, p), t.device());
  return kernels::zip(t, mask, kernels::fn::Mul{});
}

}  // namespace

Array dropout(const Array& x, const DropoutOptions& options) {
  const double p = options.probability;
  if (!(p >= 0 && p < 1)) fail("dropout: probability must be in [0, 1), got ", p);
  if (!options.training || p == 0) return x;
  if (!x.defined()) fail("dropout: x has no value");
  const uint64_t seed = options.seed;
  Array out(applyMask(x.value(), seed, p), x.format());
  if (detail::anyTraced(x))
    detail::record(out, "dropout", {&x}, [seed, p](const Tensor& g, const std::vector<bool>&) {
      return std::vector<Tensor>{applyMask(g, seed, p)};
    });
  return out;
}

}  // namespace dlcam
