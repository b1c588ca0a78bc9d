// Element types and devices.
//
// Arrays hold float32, as MATLAB's dlarray does for network data. float64 exists so that
// gradients can be checked against finite differences in double precision: every CPU
// kernel is written once as a template and instantiated for both.
#pragma once

#include <cstddef>
#include <string>

#include "core/error.h"

namespace dlcam {

enum class DType { Float32, Float64 };

// Where a tensor's values live. GPU tensors exist only in a build with the CUDA backend
// (core/device.h says whether one can be used).
enum class Device { CPU, GPU };

inline std::string deviceName(Device d) { return d == Device::CPU ? "cpu" : "gpu"; }

inline size_t sizeOf(DType t) { return t == DType::Float32 ? 4 : 8; }
inline std::string dtypeName(DType t) { return t == DType::Float32 ? "float32" : "float64"; }

template <typename T> constexpr DType dtypeOf();
template <> constexpr DType dtypeOf<float>() { return DType::Float32; }
template <> constexpr DType dtypeOf<double>() { return DType::Float64; }

// Calls f with a value of the C++ type matching dtype: visitFloat(t, [&](auto zero) {
// using T = decltype(zero); ... }). The one place where a run-time dtype becomes a type.
template <typename F>
decltype(auto) visitFloat(DType t, F&& f) {
  if (t == DType::Float32) return f(float{});
  return f(double{});
}

}  // namespace dlcam
