// The gradient checker must be able to fail: a function whose recorded backward is wrong
// on purpose has to be caught, by name.
#include <doctest/doctest.h>

#include "autodiff/tape.h"
#include "kernels/cpu/elementwise.h"
#include "tests/support/gradcheck.h"

using namespace dlcam;

namespace {
// y = x², but the backward claims dy/dx = 2x + 0.001: a small, realistic bug.
Array squareWithWrongGradient(const Array& x) {
  Array out(kernels::cpu::map(x.value(), [](auto v) { return v * v; }), x.format());
  if (detail::anyTraced(x)) {
    Tensor xv = x.value();
    detail::record(out, "wrongSquare", {&x}, [xv](const Tensor& g, const std::vector<bool>&) {
      return std::vector<Tensor>{kernels::cpu::zip(g, xv, [](auto gv, auto v) { return gv * (2 * v + 0.001); })};
    });
  }
  return out;
}

// x·y whose backward is right only when both inputs are traced: with y alone it returns x's
// gradient for y (a bug in keep-what-backward-needs logic).
Array productWrongWhenAlone(const Array& x, const Array& y) {
  Array out(kernels::cpu::zip(x.value(), y.value(), [](auto a, auto b) { return a * b; }), x.format());
  if (detail::anyTraced(x, y)) {
    Tensor xv = x.value(), yv = y.value();
    const bool both = x.isTraced() && y.isTraced();
    detail::record(out, "productWrongWhenAlone", {&x, &y}, [=](const Tensor& g, const std::vector<bool>&) {
      auto mul = [](auto a, auto b) { return a * b; };
      return std::vector<Tensor>{kernels::cpu::zip(g, yv, mul), kernels::cpu::zip(g, both ? xv : yv, mul)};
    });
  }
  return out;
}
}  // namespace

TEST_CASE("gradient checker catches a wrong backward") {
  std::string report = test::gradientReport([](const std::vector<Array>& v) { return squareWithWrongGradient(v[0]); },
                                            {test::randomArray({5}, "C", 1)});
  CHECK(report.find("gradient of input 0") != std::string::npos);
}

TEST_CASE("gradient checker catches a backward that is wrong when one input is watched alone") {
  std::string report =
      test::gradientReport([](const std::vector<Array>& v) { return productWrongWhenAlone(v[0], v[1]); },
                           {test::randomArray({4}, "C", 1), test::randomArray({4}, "C", 2)});
  CHECK(report.find("gradient when watched alone of input 1") != std::string::npos);
  CHECK(report.find("gradient of input") == std::string::npos);  // right when both are watched
}

TEST_CASE("gradient checker passes a right backward") {
  CHECK(test::gradientReport([](const std::vector<Array>& v) { return v[0] * v[0]; }, {test::randomArray({5}, "C", 1)})
            .empty());
}

TEST_CASE("gradient checker catches a backward that is wrong only in float32") {
  auto f = [](const std::vector<Array>& v) {
    const Array& x = v[0];
    Array out(kernels::cpu::map(x.value(), [](auto a) { return 3 * a; }), x.format());
    if (detail::anyTraced(x))
      detail::record(out, "wrongIn32", {&x}, [](const Tensor& g, const std::vector<bool>&) {
        const double slope = g.dtype() == DType::Float32 ? 3.01 : 3.0;
        return std::vector<Tensor>{kernels::cpu::map(g, [slope](auto a) { return a * slope; })};
      });
    return out;
  };
  std::string report = test::gradientReport(f, {test::randomArray({4}, "C", 1)});
  // One line: the float32 comparison; the float64 gradient itself is right.
  CHECK(report.rfind("float32 gradient of input 0", 0) == 0);
  CHECK(report.find('\n') == report.size() - 1);
}
