// Elementwise ops on the CPU or the GPU: see kernels/cpu/elementwise.h for the semantics,
// kernels/dispatch.h for how the device is chosen.
//
// f is a functor from kernels/functors.h (fn::Relu{}, fn::MulScalar{0.5}...): those listed there run
// on the GPU with GPU inputs. Any other callable (a generic lambda) still works on the CPU
// and runs GPU inputs through the host fallback.
#pragma once

#include "kernels/cpu/elementwise.h"
#include "kernels/dispatch.h"
#include "kernels/functors.h"

#ifdef DLCAM_HAVE_CUDA
#include "kernels/cuda/elementwise.h"
#endif

namespace dlcam::kernels {

using cpu::broadcastShape;

// out[i] = f(x[i]).
template <typename F>
Tensor map(const Tensor& x, F f) {
  if (deviceOf(x) == Device::CPU) return cpu::map(x, f);
#ifdef DLCAM_HAVE_CUDA
  if constexpr (fn::gpuArity<F> == 1) return cuda::map(onGpu(x), f);
#endif
  return hostFallback("map", [&](const Tensor& a) { return cpu::map(a, f); }, x);
}

// out[i] = f(x[i], y[i]); same shape.
template <typename F>
Tensor zip(const Tensor& x, const Tensor& y, F f) {
  if (deviceOf(x, y) == Device::CPU) return cpu::zip(x, y, f);
#ifdef DLCAM_HAVE_CUDA
  if constexpr (fn::gpuArity<F> == 2) return cuda::zip(onGpu(x), onGpu(y), f);
#endif
  return hostFallback("zip", [&](const Tensor& a, const Tensor& b) { return cpu::zip(a, b, f); }, x, y);
}

// out[i] = f(x[i], y[i], z[i]); same shape.
template <typename F>
Tensor zip3(const Tensor& x, const Tensor& y, const Tensor& z, F f) {
  if (deviceOf(x, y, z) == Device::CPU) return cpu::zip3(x, y, z, f);
#ifdef DLCAM_HAVE_CUDA
  if constexpr (fn::gpuArity<F> == 3) return cuda::zip3(onGpu(x), onGpu(y), onGpu(z), f);
#endif
  return hostFallback(
      "zip3", [&](const Tensor& a, const Tensor& b, const Tensor& c) { return cpu::zip3(a, b, c, f); }, x, y, z);
}

// out = f(x, y) with broadcasting (same rank; each dimension equal or 1 in one of them).
template <typename F>
Tensor zipBroadcast(const Tensor& x, const Tensor& y, F f) {
  if (deviceOf(x, y) == Device::CPU) return cpu::zipBroadcast(x, y, f);
#ifdef DLCAM_HAVE_CUDA
  if constexpr (fn::gpuArity<F> == 2) return cuda::zipBroadcast(onGpu(x), onGpu(y), f);
#endif
  return hostFallback(
      "zipBroadcast", [&](const Tensor& a, const Tensor& b) { return cpu::zipBroadcast(a, b, f); }, x, y);
}

// The adjoint pair of broadcasting, and broadcasting addition (cpu/elementwise.h).
Tensor sumTo(const Tensor& g, const Shape& shape);
Tensor broadcastTo(const Tensor& t, const Shape& shape);
Tensor add(const Tensor& a, const Tensor& b);

}  // namespace dlcam::kernels
