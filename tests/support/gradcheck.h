// The shared gradient checker: every differentiable function's backward is compared, in
// double precision, against central finite differences of its forward.
//
//   checkGradients([](const std::vector<Array>& in) { return relu(in[0]); },
//                  {randomArray({3, 5, 2}, "SSC", 1)});
//
// For output y = f(x1, x2, ...), the checker differentiates the scalar s = Σ w ⊙ y with
// fixed random weights w (so every output element contributes with a different weight)
// through the tape, and compares d s / d xi with (s(xi + h) − s(xi − h)) / 2h for every
// element of every input. Inputs are converted to float64 first. It also checks that
//  - watching one input alone gives that input the same gradient as watching all of them
//    (functions keep different tensors depending on what is traced), and
//  - the float32 backward agrees with the float64 one (the kernels run in float32 in use).
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
  // float32 backward against float64 backward: rtol32, and atol32 · max |float64 gradient|.
  double rtol32 = 1e-3;
  double atol32 = 1e-4;
};

using Function = std::function<Array(const std::vector<Array>&)>;

// Runs every check and returns what failed, one line per failure; empty when all pass.
std::string gradientReport(const Function& f, const std::vector<Array>& inputs, const GradCheckOptions& options = {});

// gradientReport through doctest: a CHECK that fails with the report. True when all pass.
bool checkGradients(const Function& f, const std::vector<Array>& inputs, const GradCheckOptions& options = {});

// Uniform random values in [lo, hi), float64, deterministic for a seed.
Array randomArray(const Shape& shape, std::string_view format, unsigned seed, double lo = -1.0, double hi = 1.0);
// Same values as float32.
Array randomArray32(const Shape& shape, std::string_view format, unsigned seed, double lo = -1.0, double hi = 1.0);

// Elementwise comparison: empty when every element satisfies
// |actual − expected| <= atol + rtol · max(|actual|, |expected|), else a line naming `what`
// and the worst element.
std::string compareClose(const Tensor& actual, const Tensor& expected, double rtol, double atol, const std::string& what);
// A CHECK that y holds `expected` (column-major): worst |y − e| / (1 + |e|) below tol.
void expectValues(const Array& y, const std::vector<double>& expected, double tol = 1e-12);
// compareClose through a doctest CHECK.
bool expectClose(const Tensor& actual, const Tensor& expected, double rtol, double atol, const std::string& what = "");

}  // namespace dlcam::test
