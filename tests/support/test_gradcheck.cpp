// The gradient checker must be able to fail: a function whose recorded backward is wrong
// on purpose has to be caught.
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
}  // namespace

TEST_CASE("gradient checker catches a wrong backward" * doctest::should_fail()) {
  test::checkGradients([](const std::vector<Array>& v) { return squareWithWrongGradient(v[0]); },
                       {test::randomArray({5}, "C", 1)});
}

TEST_CASE("gradient checker passes a right backward") {
  CHECK(test::checkGradients([](const std::vector<Array>& v) { return v[0] * v[0]; }, {test::randomArray({5}, "C", 1)}));
}
