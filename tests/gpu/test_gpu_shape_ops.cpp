// Data movement on the GPU against the CPU, with gradients: concat (its backward is slice)
// along each dimension, index with repeated indices (gather; backward scatterAdd), permute of
// ranks 2 to 6 (and the permute behind a non-canonical format string), flatten and reshape,
// element, and the kernels' error messages.
#include <doctest/doctest.h>

#include <vector>

#include "dlcam.h"
#include "kernels/layout.h"
#include "tests/support/gpu.h"

using namespace dlcam;
using test::checkOnGpu;
using test::DeviceCheckOptions;
using test::tolerances;
using test::expectSameOnGpu;
using test::randomArray;
using test::randomArray32;

namespace {

// Data movement is exact; scatterAdd adds in the CPU's order.
const DeviceCheckOptions kExact64 = tolerances(0, 0);

}  // namespace

TEST_CASE("gpu: concat along each dimension with gradients") {
  DLCAM_REQUIRE_GPU();
  const Shape base{4, 3, 5, 2};
  unsigned seed = 1;
  for (int dim = 0; dim < 4; ++dim) {
    CAPTURE(dim);
    std::vector<Array> parts32, parts64;
    for (int64_t len : {2, 1, 3}) {
      Shape s = base;
      s[dim] = len;
      parts32.push_back(randomArray32(s, "SSCB", seed));
      parts64.push_back(randomArray(s, "SSCB", seed++));
    }
    auto f = [dim](const std::vector<Array>& in) { return concat(in, dim); };
    CHECK(checkOnGpu(f, parts32));
    CHECK(checkOnGpu(f, parts64, kExact64));
  }
  // One part, and a part that is empty along the concatenated dimension.
  CHECK(checkOnGpu([](const std::vector<Array>& in) { return concat(in, 1); }, {randomArray32({3, 4}, "CB", 9)}));
  CHECK(checkOnGpu([](const std::vector<Array>& in) { return concat(in, 0); },
                   {randomArray32({0, 4}, "CB", 10), randomArray32({3, 4}, "CB", 11)}));
}

TEST_CASE("gpu: index with repeated indices along each dimension with gradients") {
  DLCAM_REQUIRE_GPU();
  const std::vector<int64_t> picks{2, 0, 2, 1, 2};  // repeats: the gradient adds them
  unsigned seed = 20;
  for (int dim = 0; dim < 4; ++dim) {
    CAPTURE(dim);
    auto f = [&](const std::vector<Array>& in) { return index(in[0], dim, picks); };
    CHECK(checkOnGpu(f, {randomArray32({3, 4, 3, 5}, "SSCB", seed++)}));
    CHECK(checkOnGpu(f, {randomArray({3, 4, 3, 5}, "SSCB", seed++)}, kExact64));
  }
  CHECK(checkOnGpu([](const std::vector<Array>& in) { return selectChannels(in[0], {4, 1}); },
                   {randomArray32({5, 5, 6, 2}, "SSCB", 30)}));
  CHECK(checkOnGpu([](const std::vector<Array>& in) { return element(in[0], 17); },
                   {randomArray32({5, 6}, "CB", 31)}));
  CHECK(checkOnGpu([](const std::vector<Array>& in) { return index(in[0], 1, {}); },
                   {randomArray32({5, 6}, "CB", 32)}));
}

TEST_CASE("gpu: permute of ranks 2 to 6 with gradients") {
  DLCAM_REQUIRE_GPU();
  struct Case {
    Shape shape;
    std::vector<int> order;
  };
  const std::vector<Case> cases{
      {{7, 5}, {1, 0}},
      {{4, 3, 5}, {2, 0, 1}},
      {{4, 3, 5}, {0, 2, 1}},
      {{4, 1, 5, 3}, {3, 1, 0, 2}},        // a size-1 dimension
      {{2, 3, 4, 5}, {0, 1, 3, 2}},        // the first two stay together
      {{3, 2, 4, 2, 3}, {4, 2, 0, 3, 1}},
      {{2, 3, 2, 3, 2, 3}, {5, 4, 3, 2, 1, 0}},
      {{4, 3, 5}, {0, 1, 2}},              // identity
  };
  unsigned seed = 40;
  for (const Case& c : cases) {
    CAPTURE(c.shape.str());
    const std::vector<int> order = c.order;
    auto f = [&](const std::vector<Array>& in) { return permute(in[0], order); };
    CHECK(checkOnGpu(f, {randomArray32(c.shape, "", seed++)}));
    CHECK(checkOnGpu(f, {randomArray(c.shape, "", seed++)}, kExact64));
  }
}

TEST_CASE("gpu: a non-canonical format permutes GPU data") {
  DLCAM_REQUIRE_GPU();
  const Tensor cpu = randomArray32({5, 3, 4}, "", 50).value();
  const Array onCpu(cpu, "BSC");
  const Array onGpu(cpu.to(Device::GPU), "BSC");
  CHECK(onGpu.format().str() == onCpu.format().str());
  expectSameOnGpu(onGpu.value(), onCpu.value(), 0, 0, "permuted by the format");
}

TEST_CASE("gpu: flatten, reshape and relabel keep GPU data on the GPU") {
  DLCAM_REQUIRE_GPU();
  CHECK(checkOnGpu([](const std::vector<Array>& in) { return flatten(in[0]); },
                   {randomArray32({3, 4, 5, 2}, "SSCB", 60)}));
  CHECK(checkOnGpu([](const std::vector<Array>& in) { return reshape(in[0], Shape{12, 10}, "CB"); },
                   {randomArray32({3, 4, 5, 2}, "SSCB", 61)}));
}

TEST_CASE("gpu: layout kernels give the CPU's errors") {
  DLCAM_REQUIRE_GPU();
  const Tensor x = randomArray32({4, 3}, "", 70).value().to(Device::GPU);
  CHECK_THROWS_WITH_AS(kernels::gather(x, 1, {3}), doctest::Contains("index 3 is out of range"), Error);
  CHECK_THROWS_WITH_AS(kernels::slice(x, 0, 2, 3), doctest::Contains("is out of range for dimension 0"), Error);
  const Tensor y = randomArray32({4, 2}, "", 71).value().to(Device::GPU);
  CHECK_THROWS_WITH_AS(kernels::concat({x, y.reshaped(Shape{2, 4})}, 1), doctest::Contains("cannot concatenate"),
                       Error);
  // Mixed devices: the CPU part is copied over.
  const Tensor host = randomArray32({4, 2}, "", 72).value();
  const Tensor mixed = kernels::concat({x, host}, 1);
  CHECK(mixed.device() == Device::GPU);
  expectSameOnGpu(mixed, kernels::cpu::concat({x.to(Device::CPU), host}, 1), 0, 0, "concat of mixed devices");
  expectSameOnGpu(kernels::slice(mixed, 1, 1, 3), kernels::cpu::slice(mixed.to(Device::CPU), 1, 1, 3), 0, 0,
                  "slice");
}
