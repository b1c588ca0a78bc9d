// The shared gradient checker: every differentiable function's backward is compared, in
// double precision, against central finite differences of its forward.
//
//   checkGradients([](const std::vector<Array>& in) { return relu(in[0]); },
//                  {randomArray({3, 5, 2}, "SSC", 1)});
//
// For output y = f(x1, x2, ...), the checker differentiates the scalar s = Σ w ⊙ y with
// fixed random weights w (so every output element contributes with a different weight)
// through the tape, and compares d s / d xi with (s(xi + h) − s(xi − h)) / 2h for every
// element of every input. Inputs are converted to float64 first.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "dlcam.h"

namespace dlcam::test {

struct GradCheckOptions {
  double step = 1e-6;   // h
  double rtol = 1e-6;   // |analytic − numeric| <= atol + rtol · max(|analytic|, |numeric|)
  double atol = 1e-8;
  std::vector<bool> check;  // per input: compare its gradient (default: all)
};

using Function = std::function<Array(const std::vector<Array>&)>;

// Runs the check and reports failures through doctest (CHECK), naming the input and the
// worst element. Returns true when all gradients match.
bool checkGradients(const Function& f, const std::vector<Array>& inputs, const GradCheckOptions& options = {});

// Uniform random values in [lo, hi), float64, deterministic for a seed.
Array randomArray(const Shape& shape, std::string_view format, unsigned seed, double lo = -1.0, double hi = 1.0);
// Same values as float32.
Array randomArray32(const Shape& shape, std::string_view format, unsigned seed, double lo = -1.0, double hi = 1.0);

// Elementwise comparison with doctest CHECKs; reports the worst element.
bool expectClose(const Tensor& actual, const Tensor& expected, double rtol, double atol, const std::string& what = "");

}  // namespace dlcam::test
