#include <doctest/doctest.h>

#include <cmath>

#include "dlcam.h"
#include "tests/support/gradcheck.h"

using namespace dlcam;
using dlcam::test::checkGradients;
using dlcam::test::randomArray;

namespace {
// Reference: apply f to every element of a float64 array.
template <typename F>
std::vector<double> refMap(const Array& x, F f) {
  std::vector<double> out;
  for (int64_t i = 0; i < x.numel(); ++i) out.push_back(f(x.value().at(i)));
  return out;
}
void checkValues(const Array& y, const std::vector<double>& expected, double tol = 1e-12) {
  REQUIRE(y.numel() == static_cast<int64_t>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i)
    CHECK(y.value().at(static_cast<int64_t>(i)) == doctest::Approx(expected[i]).epsilon(tol));
}
}  // namespace

TEST_CASE("Unary functions: forward against std:: and backward against finite differences") {
  // Odd sizes, a batch > 1; values away from the kinks of relu-like functions.
  Array x = randomArray({3, 5, 2, 3}, "SSCB", 11, -2, 2);
  Array pos = randomArray({3, 5, 2, 3}, "SSCB", 12, 0.5, 3);
  struct Case {
    const char* name;
    std::function<Array(const Array&)> f;
    std::function<double(double)> ref;
    bool positive;
  };
  std::vector<Case> cases = {
      {"relu", [](const Array& a) { return relu(a); }, [](double v) { return v > 0 ? v : 0; }, false},
      {"leakyRelu", [](const Array& a) { return leakyRelu(a, 0.2); }, [](double v) { return v > 0 ? v : 0.2 * v; }, false},
      {"clippedRelu", [](const Array& a) { return clippedRelu(a, 1.0); }, [](double v) { return std::clamp(v, 0.0, 1.0); }, false},
      {"sigmoid", [](const Array& a) { return sigmoid(a); }, [](double v) { return 1 / (1 + std::exp(-v)); }, false},
      {"tanh", [](const Array& a) { return tanh(a); }, [](double v) { return std::tanh(v); }, false},
      {"exp", [](const Array& a) { return exp(a); }, [](double v) { return std::exp(v); }, false},
      {"log", [](const Array& a) { return log(a); }, [](double v) { return std::log(v); }, true},
      {"sqrt", [](const Array& a) { return sqrt(a); }, [](double v) { return std::sqrt(v); }, true},
      {"pow 2.5", [](const Array& a) { return pow(a, 2.5); }, [](double v) { return std::pow(v, 2.5); }, true},
      {"negate", [](const Array& a) { return -a; }, [](double v) { return -v; }, false},
      {"scalar ops", [](const Array& a) { return (a * 3.0 + 1.0) / 2.0 - 0.5; }, [](double v) { return (v * 3 + 1) / 2 - 0.5; }, false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    const Array& in = c.positive ? pos : x;
    checkValues(c.f(in), refMap(in, c.ref));
    checkGradients([&](const std::vector<Array>& v) { return c.f(v[0]); }, {in});
  }
}

TEST_CASE("relu6 clips at six") {
  std::vector<float> v = {-1, 3, 7};
  Array y = clippedRelu(Array::fromValues(Shape{3}, std::span<const float>(v)), 6);
  CHECK(y.toVector() == std::vector<float>{0, 3, 6});
}

TEST_CASE("Binary functions broadcast and their gradients sum over broadcast dims") {
  Array a = randomArray({3, 4, 5, 2}, "SSCB", 1, 0.5, 2);
  Array perChannel = randomArray({5}, "C", 2, 0.5, 2);            // broadcasts by label
  Array perObs = randomArray({1, 1, 5, 2}, "SSCB", 3, 0.5, 2);    // size-1 spatial dims
  for (auto [name, f] : std::vector<std::pair<const char*, std::function<Array(const Array&, const Array&)>>>{
           {"add", [](const Array& p, const Array& q) { return p + q; }},
           {"subtract", [](const Array& p, const Array& q) { return p - q; }},
           {"multiply", [](const Array& p, const Array& q) { return p * q; }},
           {"divide", [](const Array& p, const Array& q) { return p / q; }},
           {"pow", [](const Array& p, const Array& q) { return pow(p, q); }}}) {
    CAPTURE(name);
    checkGradients([&](const std::vector<Array>& v) { return f(v[0], v[1]); }, {a, perChannel});
    checkGradients([&](const std::vector<Array>& v) { return f(v[0], v[1]); }, {perObs, a});
    checkGradients([&](const std::vector<Array>& v) { return f(v[0], v[1]); }, {a, a});
  }
}

TEST_CASE("Broadcasting by label: values and format") {
  // x(h, w, c) = 100·c + 10·w + h on a 2×3×2 image; add per-channel offsets 1000·(c+1).
  Tensor t({2, 3, 2});
  for (int c = 0; c < 2; ++c)
    for (int w = 0; w < 3; ++w)
      for (int h = 0; h < 2; ++h) t.data<float>()[h + 2 * (w + 3 * c)] = float(100 * c + 10 * w + h);
  Array x(t, "SSC");
  std::vector<float> off = {1000, 2000};
  Array y = x + Array::fromValues(Shape{2}, std::span<const float>(off), "C");
  CHECK(y.format().str() == "SSC");
  CHECK(y.value().at(1 + 2 * (2 + 3 * 1)) == 2000 + 100 + 20 + 1);
  // Adding a "CB" array to an "SSC" one gives "SSCB".
  Array z = x + Array(Tensor::full({2, 4}, 1.0), "CB");
  CHECK(z.format().str() == "SSCB");
  CHECK(z.shape() == Shape{2, 3, 2, 4});
  CHECK_THROWS_WITH_AS(x + Array(Tensor::zeros({3}), "C"), doctest::Contains("cannot broadcast"), Error);
  // An unformatted operand lines up by position.
  Array u = x * Array(Tensor::full({2}, 2.0));
  CHECK(u.format().str() == "SSC");
  CHECK(u.value().at(5) == 2 * x.value().at(5));
}

TEST_CASE("NaN and Inf propagate instead of crashing") {
  std::vector<float> v = {NAN, INFINITY, -INFINITY, 1};
  Array x = Array::fromValues(Shape{4}, std::span<const float>(v), "C");
  std::vector<float> y = (sigmoid(x) + relu(x) * 2.0).toVector();
  CHECK(std::isnan(y[0]));  // relu keeps NaN
  CHECK(std::isnan(relu(x).toVector()[0]));
  CHECK(std::isinf(y[1]));
  CHECK(y[2] == 0.0f);
  CHECK(std::isnan(sum(x).item()));
}

TEST_CASE("pow's gradient at zero with exponent zero is zero, not NaN") {
  Array x(Tensor::zeros({2}, DType::Float64), "C");
  Tape tape;
  tape.watch(x);
  Array g = tape.gradient(sum(pow(x, 0.0)), x);
  CHECK(g.toVector() == std::vector<float>{0, 0});
  Array e(Tensor::zeros({2}, DType::Float64), "C");
  tape.watch(e);
  Array ge = tape.gradient(sum(pow(x, e)), x);
  CHECK(ge.toVector() == std::vector<float>{0, 0});
}
