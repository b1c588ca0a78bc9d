#include <doctest/doctest.h>

#include <cmath>

#include "dlcam.h"
#include "kernels/cpu/elementwise.h"
#include "tests/support/gradcheck.h"

using namespace dlcam;
using dlcam::test::randomArray;

TEST_CASE("Work on unwatched arrays is not recorded") {
  Array x = randomArray({3, 4}, "CB", 1);
  Array w = randomArray({3, 4}, "CB", 2);
  Tape tape;
  Array a = relu(x * w);  // nothing watched yet: inference only
  CHECK_FALSE(a.isTraced());
  CHECK(a.node() == nullptr);
  CHECK(tape.nodesRecorded() == 0);
  tape.watch(w);
  Array b = exp(x) + 1.0;  // does not depend on w
  CHECK(b.node() == nullptr);
  CHECK(tape.nodesRecorded() == 1);  // the watched leaf only
  Array c = sum(b * w);
  CHECK(c.isTraced());
  CHECK(tape.nodesRecorded() == 3);  // leaf, multiply, sum
}

TEST_CASE("Gradient of a non-scalar is rejected") {
  Array x = randomArray({3}, "C", 1);
  Tape tape;
  tape.watch(x);
  Array y = x * 2.0;
  CHECK_THROWS_WITH_AS(tape.gradient(y, x), doctest::Contains("must be a scalar"), Error);
}

TEST_CASE("Targets: never watched is an error, watched but unreached gives zeros") {
  Array x = randomArray({3}, "C", 1), z = randomArray({2}, "C", 2), other = randomArray({3}, "C", 3);
  Tape tape;
  tape.watch(x);
  tape.watch(z);
  Array s = sum(x * x);
  CHECK_THROWS_WITH_AS(tape.gradient(s, other), doctest::Contains("not traced on this tape"), Error);
  Array gz = tape.gradient(s, z);
  CHECK(gz.shape() == z.shape());
  CHECK(gz.toVector() == std::vector<float>{0, 0});
  // y not traced at all (a constant): every target gets zeros.
  Array c = sum(other);
  CHECK(tape.gradient(c, x).toVector() == std::vector<float>{0, 0, 0});
}

TEST_CASE("Gradients accumulate where a value is used more than once") {
  Array x = randomArray({4}, "C", 7);
  Tape tape;
  tape.watch(x);
  Array y = x * x + x * 3.0 + exp(x);  // dy/dx = 2x + 3 + e^x
  Array g = tape.gradient(sum(y), x);
  for (int i = 0; i < 4; ++i) {
    double v = x.value().at(i);
    CHECK(g.value().at(i) == doctest::Approx(2 * v + 3 + std::exp(v)).epsilon(1e-12));
  }
}

TEST_CASE("Gradient walks only towards its targets and can be asked twice") {
  Array a = randomArray({3}, "C", 1), b = randomArray({3}, "C", 2);
  Tape tape;
  tape.watch(a);
  tape.watch(b);
  Array inner = relu(a) * 2.0;  // intermediate: can itself be a target
  Array s = sum(inner * b);
  auto g1 = tape.gradient(s, {inner, b});
  CHECK(g1[0].value().at(1) == doctest::Approx(b.value().at(1)));
  CHECK(g1[1].value().at(2) == doctest::Approx(inner.value().at(2)));
  Array g2 = tape.gradient(s, a);
  double expected = a.value().at(0) > 0 ? 2 * b.value().at(0) : 0.0;
  CHECK(g2.value().at(0) == doctest::Approx(expected));
  auto g3 = tape.gradient(s, {inner, b});  // a second call starts from zero
  CHECK(g3[0].value().at(1) == doctest::Approx(g1[0].value().at(1)));
}

TEST_CASE("One tape at a time; arrays stop being traced when their tape ends") {
  Array x = randomArray({2}, "C", 1);
  Array y, scalar;
  {
    Tape tape;
    CHECK_THROWS_WITH_AS(Tape(), doctest::Contains("already recording"), Error);
    tape.watch(x);
    y = x * 2.0;
    scalar = sum(y);
    CHECK(y.isTraced());
  }
  CHECK_FALSE(y.isTraced());
  Tape later;
  later.watch(x);
  CHECK_THROWS_WITH_AS(later.gradient(scalar, x), doctest::Contains("computed on another tape"), Error);
  Array z = y * 3.0;
  CHECK(z.node() == nullptr);
}

TEST_CASE("Deep chains do not overflow the stack") {
  Array x = randomArray({1}, "C", 3, 0.1, 0.2);
  Tape tape;
  tape.watch(x);
  Array y = x;
  for (int i = 0; i < 100000; ++i) y = y + 0.0;
  CHECK(tape.gradient(sum(y), x).item() == doctest::Approx(1.0));
}

namespace {
// An identity-like op whose backward counts its calls and records which inputs were needed.
struct Probe {
  int calls = 0;
  std::vector<bool> lastNeeded;
  Array operator()(const Array& a, const Array& b) {
    Array result(kernels::cpu::add(a.value(), b.value()), a.format());
    if (detail::anyTraced(a, b))
      detail::record(result, "probe", {&a, &b}, [this](const Tensor& g, const std::vector<bool>& needed) {
        ++calls;
        lastNeeded = needed;
        return std::vector<Tensor>{needed[0] ? g : Tensor(), needed[1] ? g : Tensor()};
      });
    return result;
  }
};
}  // namespace

TEST_CASE("Backward runs only nodes that lead to a target and asks only for needed inputs") {
  Array a = randomArray({3}, "C", 1), b = randomArray({3}, "C", 2), c = randomArray({3}, "C", 3);
  Tape tape;
  tape.watch(a);
  tape.watch(b);
  tape.watch(c);
  Probe towardsA, sideBranch;
  Array y = sum(towardsA(a, b) * 2.0 + sideBranch(c, c));
  Array g = tape.gradient(y, a);
  CHECK(g.value().at(0) == doctest::Approx(2.0));
  CHECK(towardsA.calls == 1);
  CHECK(towardsA.lastNeeded == std::vector<bool>{true, false});  // b is traced but not a target
  CHECK(sideBranch.calls == 0);                                   // c's branch never runs
  tape.gradient(y, {a, b, c});
  CHECK(towardsA.lastNeeded == std::vector<bool>{true, true});
  CHECK(sideBranch.calls == 1);
}
