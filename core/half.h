// IEEE 754 half precision (binary16, NumPy's float16, ONNX FLOAT16) read as float32.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

namespace dlcam {

// The float32 value of the binary16 bit pattern `h`. Exact: every half value is a float value
// (subnormals included); a NaN becomes a quiet NaN with h's sign, its payload is not kept.
inline float halfToFloat(uint16_t h) {
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  float v;
  if (exponent == 0)
    v = std::ldexp(static_cast<float>(mantissa), -24);  // zero and subnormals: m * 2^-24
  else if (exponent == 31)
    v = mantissa ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  else
    v = std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);  // 1.m * 2^(e-15)
  return (h & 0x8000) ? -v : v;
}

}  // namespace dlcam
