// Reductions on the GPU against the CPU: sum, mean and max with their gradients over single,
// adjacent, non-adjacent and all dimensions, on shapes that take both launch shapes of
// kernels/cuda/reduce.cu (a thread per output; a block per output); max's first-on-ties and
// NaN rules; float32 sums accumulated in double; the empty cases.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "dlcam.h"
#include "kernels/reduce.h"
#include "tests/support/gpu.h"

using namespace dlcam;
using test::checkOnGpu;
using test::DeviceCheckOptions;
using test::tolerances;
using test::randomArray;
using test::randomArray32;

namespace {

// float64 sums differ from the CPU's only in their order.
const DeviceCheckOptions kTight64 = tolerances(1e-10, 1e-12);

struct ReduceCase {
  Shape shape;
  const char* format;
  std::vector<int> dims;
};

// Both launch shapes of kernels/cuda/reduce.cu: a thread per output (many outputs, or at
// most 64 values each) and a block per output (the rest).
std::vector<ReduceCase> reduceCases() {
  return {
      {{17}, "C", {0}},                     // one output of 17: thread
      {{6, 5}, "CB", {0}},                  // thread
      {{6, 5}, "CB", {1}},                  // thread, strided values
      {{7, 7, 64, 2}, "SSCB", {0, 1}},      // Grad-CAM's channel means over a 7×7 map: thread
      {{14, 14, 8, 2}, "SSCB", {0, 1}},     // 16 outputs of 196: block
      {{5, 4, 3, 2}, "SSCB", {0, 2}},       // non-adjacent dims
      {{5, 4, 3, 2}, "SSCB", {1, 3}},
      {{5, 4, 3, 2}, "SSCB", {0, 1, 2, 3}}, // one output of 120: block
      {{3, 1, 4, 5}, "SSCB", {1, 2}},       // a reduced size-1 dimension
      {{40, 50, 3}, "SSC", {0, 1}},         // 3 outputs of 2000: block
      {{40, 50, 3}, "SSC", {2}},            // 2000 outputs of 3: thread
      {{130, 70, 3}, "SSC", {2}},           // 9100 outputs: thread
      {{130, 70, 40}, "SSC", {1}},          // 5200 outputs of 70 strided values: block
      {{4, 3, 2, 3, 2}, "SSSCB", {0, 2, 4}},
      {{6, 4, 5}, "CBT", {2}},
  };
}

using Reduction = std::function<Array(const Array&, const std::vector<int>&)>;

std::vector<std::pair<const char*, Reduction>> reductions() {
  return {{"sum", [](const Array& x, const std::vector<int>& d) { return sum(x, d); }},
          {"mean", [](const Array& x, const std::vector<int>& d) { return mean(x, d); }},
          {"max", [](const Array& x, const std::vector<int>& d) { return max(x, d); }}};
}

}  // namespace

TEST_CASE("gpu: sum, mean and max over chosen dims with gradients, float32") {
  DLCAM_REQUIRE_GPU();
  unsigned seed = 1;
  for (const ReduceCase& c : reduceCases()) {
    for (const auto& [name, f] : reductions()) {
      CAPTURE(name);
      CAPTURE(c.shape.str());
      CAPTURE(c.dims.size());
      const std::vector<int> dims = c.dims;
      const Reduction g = f;
      CHECK(checkOnGpu([&](const std::vector<Array>& in) { return g(in[0], dims); },
                       {randomArray32(c.shape, c.format, seed++)}));
    }
  }
}

TEST_CASE("gpu: sum, mean and max over chosen dims with gradients, float64") {
  DLCAM_REQUIRE_GPU();
  unsigned seed = 100;
  for (const ReduceCase& c : reduceCases()) {
    for (const auto& [name, f] : reductions()) {
      CAPTURE(name);
      CAPTURE(c.shape.str());
      CAPTURE(c.dims.size());
      const std::vector<int> dims = c.dims;
      const Reduction g = f;
      CHECK(checkOnGpu([&](const std::vector<Array>& in) { return g(in[0], dims); },
                       {randomArray(c.shape, c.format, seed++)}, kTight64));
    }
  }
}

TEST_CASE("gpu: sum and max over all dimensions, and over none") {
  DLCAM_REQUIRE_GPU();
  const Array x = randomArray32({30, 20, 4}, "SSC", 7);
  CHECK(checkOnGpu([](const std::vector<Array>& in) { return sum(in[0]); }, {x}));
  CHECK(checkOnGpu([](const std::vector<Array>& in) { return mean(in[0]); }, {x}));
  CHECK(checkOnGpu([](const std::vector<Array>& in) { return sum(in[0], {}); }, {x}));
  CHECK(checkOnGpu([](const std::vector<Array>& in) { return max(in[0], {}); }, {x}));
  const Array scalar(Tensor::scalar(2.5));
  CHECK(checkOnGpu([](const std::vector<Array>& in) { return sum(in[0]); }, {scalar}));
}

TEST_CASE("gpu: max takes the first maximum on ties and lets NaN win, as the CPU") {
  DLCAM_REQUIRE_GPU();
  // Values from {0, 1, 2}: most groups hold their maximum several times, so the gradient (placed
  // at the argmax) shows which one was taken.
  std::vector<double> ties(600);
  for (size_t i = 0; i < ties.size(); ++i) ties[i] = static_cast<double>((i * 7 + i / 13) % 3);
  const Array t(Tensor::fromValues<double>({20, 30}, ties, DType::Float32), "CB");
  for (std::vector<int> dims : {std::vector<int>{0}, {1}, {0, 1}}) {
    CAPTURE(dims.size());
    CHECK(checkOnGpu([&](const std::vector<Array>& in) { return max(in[0], dims); }, {t}));
  }
  // NaN anywhere in a group makes it the maximum (the first NaN); the gradient goes there.
  std::vector<double> withNan(600);
  for (size_t i = 0; i < withNan.size(); ++i) withNan[i] = std::sin(static_cast<double>(i));
  for (size_t i : {5u, 17u, 130u, 131u, 599u}) withNan[i] = std::numeric_limits<double>::quiet_NaN();
  const Array n(Tensor::fromValues<double>({20, 30}, withNan, DType::Float64), "CB");
  for (std::vector<int> dims : {std::vector<int>{0}, {1}, {0, 1}}) {
    CAPTURE(dims.size());
    CHECK(checkOnGpu([&](const std::vector<Array>& in) { return max(in[0], dims); }, {n}, kTight64));
  }
  // Block per output (many values per output) with ties across the threads of the block.
  std::vector<double> flat(5000, 1.0);
  flat[4000] = 3.0;
  flat[4200] = 3.0;
  flat[777] = 3.0;
  const Array f(Tensor::fromValues<double>({5000}, flat, DType::Float32), "C");
  CHECK(checkOnGpu([](const std::vector<Array>& in) { return max(in[0], {0}); }, {f}));
}

TEST_CASE("gpu: float32 sums are accumulated in double") {
  DLCAM_REQUIRE_GPU();
  // A float32 running sum stops growing at 2^24; 2·10⁷ ones must still sum exactly.
  const Array ones(Tensor::full({20000000}, 1.0, DType::Float32, Device::GPU), "C");
  CHECK(sum(ones).item() == 20000000.0);
  const Array rows(Tensor::full({20000, 1000}, 1.0, DType::Float32, Device::GPU), "CB");
  const Array s = sum(rows, {0});
  CHECK(s.device() == Device::GPU);
  CHECK(max(s, {1}).item() == 20000.0);
}

TEST_CASE("gpu: reductions with empty dimensions") {
  DLCAM_REQUIRE_GPU();
  const Array x(Tensor::zeros({0, 3}, DType::Float32, Device::GPU), "CB");
  CHECK(mean(x, {1}).shape() == Shape{0, 1});
  CHECK(max(x, {1}).shape() == Shape{0, 1});
  const Array s = sum(x, {0});
  CHECK(s.device() == Device::GPU);
  CHECK(s.toVector() == std::vector<float>{0, 0, 0});
  CHECK_THROWS_WITH_AS(max(x, {0}), doctest::Contains("reduced dimensions"), Error);
  CHECK_THROWS_WITH_AS(sum(x, {2}), doctest::Contains("cannot reduce over dimension 2"), Error);
}

TEST_CASE("gpu: the argmax of a GPU max stays on the GPU") {
  DLCAM_REQUIRE_GPU();
  const Tensor x = randomArray32({6, 5, 4}, "", 3).value().to(Device::GPU);
  const kernels::MaxResult r = kernels::max(x, {1});
  CHECK(r.values.device() == Device::GPU);
  CHECK(r.argmax.device != nullptr);
  CHECK(r.argmax.host.empty());
  CHECK(r.argmax.count == 24);
  const Tensor g = Tensor::full({6, 1, 4}, 1.0, DType::Float32, Device::GPU);
  const Tensor gx = kernels::maxBackward(g, r.argmax, x.shape());
  CHECK(gx.device() == Device::GPU);
  CHECK(kernels::sum(gx, {0, 1, 2}).at(0) == 24.0);
}
