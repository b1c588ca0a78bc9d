// Elementwise ops on the GPU against the CPU: every differentiable function of
// autodiff/elementwise.h with its gradients, broadcasting in each direction, the kernels
// behind broadcasting (sumTo, broadcastTo) on awkward shapes, the tape's gradient
// accumulation, dropout's mask, and the host fallback for callables without a GPU kernel.
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "autodiff/dropout.h"
#include "dlcam.h"
#include "kernels/elementwise.h"
#include "tests/support/gpu.h"

using namespace dlcam;
using test::checkOnGpu;
using test::DeviceCheckOptions;
using test::randomArray;
using test::randomArray32;

namespace {

// float64 runs differ from the CPU only by the last bits of exp, log, pow... and by the order
// of sums.
DeviceCheckOptions tight64() { return test::tolerances(1e-10, 1e-12); }

struct Unary {
  const char* name;
  std::function<Array(const Array&)> f;
  bool positive;  // needs x > 0
};

std::vector<Unary> unaryCases() {
  return {
      {"relu", [](const Array& a) { return relu(a); }, false},
      {"leakyRelu", [](const Array& a) { return leakyRelu(a, 0.2); }, false},
      {"clippedRelu", [](const Array& a) { return clippedRelu(a, 0.7); }, false},
      {"sigmoid", [](const Array& a) { return sigmoid(a); }, false},
      {"tanh", [](const Array& a) { return tanh(a); }, false},
      {"exp", [](const Array& a) { return exp(a); }, false},
      {"log", [](const Array& a) { return log(a); }, true},
      {"sqrt", [](const Array& a) { return sqrt(a); }, true},
      {"pow 2.5", [](const Array& a) { return pow(a, 2.5); }, true},
      {"pow 0", [](const Array& a) { return pow(a, 0.0); }, true},
      {"pow -1 (s / x)", [](const Array& a) { return 2.0 / a; }, true},
      {"negate", [](const Array& a) { return -a; }, false},
      {"scalar add and multiply", [](const Array& a) { return (a * 3.0 + 1.0) / 2.0 - 0.5; }, false},
  };
}

struct Binary {
  const char* name;
  std::function<Array(const Array&, const Array&)> f;
  double lo;  // the range of the second operand (the divisor, the exponent)
};

std::vector<Binary> binaryCases() {
  return {
      {"add", [](const Array& a, const Array& b) { return a + b; }, -1},
      {"subtract", [](const Array& a, const Array& b) { return a - b; }, -1},
      {"multiply", [](const Array& a, const Array& b) { return a * b; }, -1},
      {"divide", [](const Array& a, const Array& b) { return a / b; }, 0.5},
      {"pow", [](const Array& a, const Array& b) { return pow(a, b); }, -1},
  };
}

// Operand shapes that broadcast in each direction; the first operand of pow is made positive.
struct Shapes {
  const char* name;
  Shape a;
  std::string fa;
  Shape b;
  std::string fb;
};

std::vector<Shapes> broadcastCases() {
  return {
      {"same shape", {3, 4, 2, 5}, "SSCB", {3, 4, 2, 5}, "SSCB"},
      {"b is a per-channel bias (long reduction)", {37, 5, 3, 4}, "SSCB", {1, 1, 3, 1}, "SSCB"},
      {"a is broadcast up to b", {1, 1, 3, 1}, "SSCB", {37, 5, 3, 4}, "SSCB"},
      {"both broadcast", {3, 1, 2, 1}, "SSCB", {1, 4, 1, 5}, "SSCB"},
      {"b lacks labels", {3, 4, 2, 5}, "SSCB", {2}, "C"},
      {"b is one element", {3, 4, 2}, "SSC", {1, 1, 1}, "SSC"},
      {"b spatial only (short reduction)", {6, 5, 3, 2}, "SSCB", {6, 5}, "SS"},
      {"1-D", {7}, "C", {1}, "C"},
  };
}

}  // namespace

TEST_CASE("gpu: unary functions and their gradients, float32") {
  DLCAM_REQUIRE_GPU();
  const Array x = randomArray32({7, 5, 3, 2}, "SSCB", 11, -2, 2);
  const Array pos = randomArray32({7, 5, 3, 2}, "SSCB", 12, 0.5, 3);
  for (const Unary& c : unaryCases()) {
    CAPTURE(c.name);
    checkOnGpu([&](const std::vector<Array>& in) { return c.f(in[0]); }, {c.positive ? pos : x});
  }
}

TEST_CASE("gpu: unary functions and their gradients, float64") {
  DLCAM_REQUIRE_GPU();
  const Array x = randomArray({7, 5, 3, 2}, "SSCB", 13, -2, 2);
  const Array pos = randomArray({7, 5, 3, 2}, "SSCB", 14, 0.5, 3);
  for (const Unary& c : unaryCases()) {
    CAPTURE(c.name);
    checkOnGpu([&](const std::vector<Array>& in) { return c.f(in[0]); }, {c.positive ? pos : x}, tight64());
  }
}

TEST_CASE("gpu: 1-D, 2-D and 3-D arrays, and a large one") {
  DLCAM_REQUIRE_GPU();
  const auto f = [](const std::vector<Array>& in) { return sigmoid(in[0]) * in[0] + 1.0; };
  checkOnGpu(f, {randomArray32({9}, "C", 1)});
  checkOnGpu(f, {randomArray32({9, 4}, "CB", 2)});
  checkOnGpu(f, {randomArray32({5, 4, 3}, "SSC", 3)});
  checkOnGpu(f, {randomArray32({64, 64, 16, 17}, "SSCB", 4)});  // thousands of blocks
}

TEST_CASE("gpu: binary functions broadcasting in each direction, float32") {
  DLCAM_REQUIRE_GPU();
  for (const Shapes& s : broadcastCases()) {
    for (const Binary& op : binaryCases()) {
      CAPTURE(s.name);
      CAPTURE(op.name);
      const Array a = randomArray32(s.a, s.fa, 21, 0.5, 2);  // positive: pow's base
      const Array b = randomArray32(s.b, s.fb, 22, op.lo, 2);
      checkOnGpu([&](const std::vector<Array>& in) { return op.f(in[0], in[1]); }, {a, b});
      // Each operand alone (the tape keeps different tensors then).
      checkOnGpu([&](const std::vector<Array>& in) { return op.f(in[0], in[1]); }, {a, b}, test::watching({}, {true, false}));
      checkOnGpu([&](const std::vector<Array>& in) { return op.f(in[0], in[1]); }, {a, b}, test::watching({}, {false, true}));
    }
  }
}

TEST_CASE("gpu: binary functions broadcasting in each direction, float64") {
  DLCAM_REQUIRE_GPU();
  for (const Shapes& s : broadcastCases()) {
    for (const Binary& op : binaryCases()) {
      CAPTURE(s.name);
      CAPTURE(op.name);
      const Array a = randomArray(s.a, s.fa, 31, 0.5, 2);
      const Array b = randomArray(s.b, s.fb, 32, op.lo, 2);
      checkOnGpu([&](const std::vector<Array>& in) { return op.f(in[0], in[1]); }, {a, b}, tight64());
    }
  }
}

TEST_CASE("gpu: a GPU array combined with a CPU array runs on the GPU") {
  DLCAM_REQUIRE_GPU();
  const Array a = randomArray32({4, 3, 2}, "SSC", 41);
  const Array b = randomArray32({1, 1, 2}, "SSC", 42);
  const Array y = test::toGpu(a) * b;
  CHECK(y.device() == Device::GPU);
  test::expectSameOnGpu(y.value(), (a * b).value(), 0, 0, "mixed multiply");
}

TEST_CASE("gpu: the tape accumulates gradients on the GPU, and an unreached target gets GPU zeros") {
  DLCAM_REQUIRE_GPU();
  // x is used three times: its gradient is the sum of three contributions (kernels::add).
  checkOnGpu([](const std::vector<Array>& in) { return in[0] * in[0] + exp(in[0]); }, {randomArray32({5, 3}, "CB", 51)});
  checkOnGpu([](const std::vector<Array>& in) { return in[0] * in[0] + exp(in[0]); }, {randomArray({5, 3}, "CB", 52)},
             tight64());
  // The second input does not reach the output.
  checkOnGpu([](const std::vector<Array>& in) { return in[0] * 2.0; },
             {randomArray32({5, 3}, "CB", 53), randomArray32({2}, "C", 54)});
}

TEST_CASE("gpu: sumTo and broadcastTo on awkward shapes") {
  DLCAM_REQUIRE_GPU();
  struct Case {
    Shape big, small;
  };
  const std::vector<Case> cases = {
      {{6, 5, 4, 3}, {1, 1, 1, 1}},             // everything into one element
      {{6, 5, 4, 3}, {6, 1, 4, 1}},             // alternating
      {{2, 3, 2, 3, 2, 3, 2, 3}, {1, 3, 1, 3, 1, 3, 1, 3}},  // eight alternations: the most allowed
      {{1000, 3}, {1, 3}},                      // long reduction: a block per result element
      {{3, 1000}, {3, 1}},                      // long reduction with a stride
      {{1000, 3}, {1000, 1}},                   // short reduction: a thread per result element
      {{1, 7, 1, 2}, {1, 1, 1, 2}},             // size-1 dimensions in both
      {{0, 3}, {1, 3}},                         // sums over nothing are 0
      {{4, 0}, {4, 0}},                         // nothing at all
  };
  for (const Case& c : cases) {
    CAPTURE(c.big.str());
    CAPTURE(c.small.str());
    for (bool f64 : {false, true}) {
      const Array big = f64 ? randomArray(c.big, "", 61) : randomArray32(c.big, "", 61);
      const Array small = f64 ? randomArray(c.small, "", 62) : randomArray32(c.small, "", 62);
      const double rtol = f64 ? 1e-12 : 1e-5;
      test::expectSameOnGpu(kernels::sumTo(big.value().to(Device::GPU), c.small), kernels::sumTo(big.value(), c.small),
                            rtol, rtol, "sumTo");
      test::expectSameOnGpu(kernels::broadcastTo(small.value().to(Device::GPU), c.big),
                            kernels::broadcastTo(small.value(), c.big), 0, 0, "broadcastTo");
    }
  }
}

TEST_CASE("gpu: the functors without a differentiable op (ONNX Cast and integer arithmetic)") {
  DLCAM_REQUIRE_GPU();
  for (bool f64 : {false, true}) {
    const Tensor x = (f64 ? randomArray({6, 7}, "", 71, -5, 5) : randomArray32({6, 7}, "", 71, -5, 5)).value();
    const Tensor xg = x.to(Device::GPU);
    test::expectSameOnGpu(kernels::map(xg, kernels::fn::Trunc{}), kernels::map(x, kernels::fn::Trunc{}), 0, 0, "trunc");
    test::expectSameOnGpu(kernels::map(xg, kernels::fn::NonZero{}), kernels::map(x, kernels::fn::NonZero{}), 0, 0,
                          "nonZero");
    test::expectSameOnGpu(kernels::map(xg, kernels::fn::DivScalar{3}), kernels::map(x, kernels::fn::DivScalar{3}), 0, 0,
                          "divScalar");
  }
}

TEST_CASE("gpu: a callable without a GPU kernel runs through the host fallback") {
  DLCAM_REQUIRE_GPU();
  const Tensor x = randomArray32({5, 4}, "", 81).value();
  const auto square = [](auto v) { return v * v; };
  static_assert(!kernels::fn::hasGpuKernel<std::decay_t<decltype(square)>>);
  static_assert(kernels::fn::hasGpuKernel<kernels::fn::Relu> && kernels::fn::hasGpuKernel<kernels::fn::PowGradBase>);
  const Tensor y = kernels::map(x.to(Device::GPU), square);
  test::expectSameOnGpu(y, kernels::map(x, square), 0, 0, "fallback map");
  bool noted = false;
  for (const kernels::HostFallback& f : kernels::hostFallbacks()) noted = noted || f.op == "map";
  CHECK(noted);
}

TEST_CASE("gpu: dropout in training drops the same elements as on the CPU") {
  DLCAM_REQUIRE_GPU();
  for (bool f64 : {false, true}) {
    const Array x = f64 ? randomArray({33, 17, 3, 2}, "SSCB", 91) : randomArray32({33, 17, 3, 2}, "SSCB", 91);
    const DropoutOptions options{0.3, true, 1234};
    // x·mask·scale is one rounding on both devices: the same bits.
    test::expectSameOnGpu(dropout(test::toGpu(x), options).value(), dropout(x, options).value(), 0, 0, "dropout");
    checkOnGpu([&](const std::vector<Array>& in) { return dropout(in[0], options); }, {x},
               f64 ? tight64() : DeviceCheckOptions{});
  }
}
