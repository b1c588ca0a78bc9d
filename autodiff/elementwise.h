// Elementwise differentiable functions on Arrays.
//
// Binary operations broadcast by dimension label, as formatted dlarrays do: dimensions
// with the same label are matched (S dims in order), and a missing label or a size-1
// dimension stretches. An unformatted operand is matched to the other one by position.
// The result has the union of the labels, in canonical order.
//
// Note for MATLAB users: operator* is elementwise (MATLAB's .*); matrix products are
// matmul() and fullyConnect() (autodiff/linear.h).
#pragma once

#include "core/array.h"

namespace dlcam {

Array add(const Array& a, const Array& b);
Array subtract(const Array& a, const Array& b);
Array multiply(const Array& a, const Array& b);
Array divide(const Array& a, const Array& b);
Array pow(const Array& base, const Array& exponent);  // base must be > 0 where the exponent's gradient is needed

Array add(const Array& a, double s);
Array multiply(const Array& a, double s);
Array pow(const Array& x, double p);
Array negate(const Array& x);

Array relu(const Array& x);
Array leakyRelu(const Array& x, double scale = 0.01);  // x for x > 0, scale·x otherwise
Array clippedRelu(const Array& x, double ceiling);      // min(max(x, 0), ceiling); relu6 is ceiling = 6
Array sigmoid(const Array& x);
Array tanh(const Array& x);
Array exp(const Array& x);
Array log(const Array& x);
Array sqrt(const Array& x);

inline Array operator+(const Array& a, const Array& b) { return add(a, b); }
inline Array operator-(const Array& a, const Array& b) { return subtract(a, b); }
inline Array operator*(const Array& a, const Array& b) { return multiply(a, b); }
inline Array operator/(const Array& a, const Array& b) { return divide(a, b); }
inline Array operator-(const Array& x) { return negate(x); }
inline Array operator+(const Array& a, double s) { return add(a, s); }
inline Array operator+(double s, const Array& a) { return add(a, s); }
inline Array operator-(const Array& a, double s) { return add(a, -s); }
inline Array operator-(double s, const Array& a) { return add(negate(a), s); }
inline Array operator*(const Array& a, double s) { return multiply(a, s); }
inline Array operator*(double s, const Array& a) { return multiply(a, s); }
inline Array operator/(const Array& a, double s) { return multiply(a, 1.0 / s); }
inline Array operator/(double s, const Array& a) { return multiply(pow(a, -1.0), s); }

}  // namespace dlcam
