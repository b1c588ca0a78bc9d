// Max and average pooling on the GPU (kernels/cuda/pool.cu) against the CPU kernels: outputs
// and gradients, float32 and float64, with asymmetric and 'same' padding, ceil mode, both
// average divisors, ties and NaNs, and global pooling.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "autodiff/pool.h"
#include "dlcam.h"
#include "tests/support/gpu.h"

using namespace dlcam;
using dlcam::test::checkOnGpu;
using dlcam::test::DeviceCheckOptions;
using dlcam::test::randomArray;
using dlcam::test::randomArray32;

namespace {

PoolOptions opts(std::vector<int64_t> size, std::vector<int64_t> stride, PoolPadding padding = {},
                 bool ceilMode = false) {
  PoolOptions o;
  o.size = std::move(size);
  o.stride = std::move(stride);
  o.padding = std::move(padding);
  o.ceilMode = ceilMode;
  return o;
}

struct Case {
  const char* name;
  Shape shape;
  const char* format;
  PoolOptions options;
};

DeviceCheckOptions tolerances(DType dtype) {
  return dtype == DType::Float64 ? test::tolerances(1e-10, 1e-12) : DeviceCheckOptions{};
}

// maxPool, and avgPool with both divisors, on x.
void checkPools(const Array& x, const PoolOptions& options) {
  const DeviceCheckOptions o = tolerances(x.dtype());
  {
    INFO("maxPool");
    checkOnGpu([options](const std::vector<Array>& v) { return maxPool(v[0], options); }, {x}, o);
  }
  for (bool includePad : {true, false}) {
    INFO("avgPool, countIncludePad = " << includePad);
    PoolOptions a = options;
    a.countIncludePad = includePad;
    checkOnGpu([a](const std::vector<Array>& v) { return avgPool(v[0], a); }, {x}, o);
  }
}

void checkCases(const std::vector<Case>& cases, unsigned seed) {
  for (const Case& c : cases) {
    CAPTURE(c.name);
    checkPools(randomArray32(c.shape, c.format, seed), c.options);
    checkPools(randomArray(c.shape, c.format, seed), c.options);
    ++seed;
  }
}

// x with every value replaced by floor(value): few distinct values, so windows hold ties.
Array withTies(const Array& x) {
  Tensor t = x.value().to(DType::Float64).clone();
  double* v = t.data<double>();
  for (int64_t i = 0; i < t.numel(); ++i) v[i] = std::floor(v[i]);
  return Array(t.to(x.dtype()), x.format());
}

const auto ex = PoolPadding::explicitPad;

}  // namespace

TEST_CASE("gpu: maxPool and avgPool 1-D, over S and over T") {
  DLCAM_REQUIRE_GPU();
  checkCases({{"overlap, asymmetric pad", {7, 2, 3}, "SCB", opts({3}, {2}, ex({1}, {2}))},
              {"stride > window", {7, 2, 3}, "SCB", opts({2}, {3})},
              {"same", {7, 2, 3}, "SCB", opts({4}, {3}, PoolPadding::same())},
              {"ceil", {7, 2, 3}, "SCB", opts({3}, {2}, ex({0}, {1}), true)},
              {"CBT", {2, 3, 9}, "CBT", opts({3}, {2}, ex({1}, {2}))},
              {"CBT same", {2, 3, 9}, "CBT", opts({4}, {3}, PoolPadding::same())},
              {"CT, ceil", {3, 10}, "CT", opts({3}, {2}, {}, true)}},
             10);
}

TEST_CASE("gpu: maxPool and avgPool 2-D") {
  DLCAM_REQUIRE_GPU();
  checkCases({{"overlap, asymmetric pad", {5, 6, 2, 3}, "SSCB", opts({3, 2}, {2, 1}, ex({1, 0}, {2, 1}))},
              {"stride > window", {5, 7, 2, 3}, "SSCB", opts({2}, {3})},
              {"same", {5, 6, 2, 3}, "SSCB", opts({3, 4}, {2}, PoolPadding::same())},
              {"ceil, asymmetric pad", {5, 6, 2, 3}, "SSCB", opts({3, 2}, {2, 2}, ex({1, 0}, {0, 1}), true)},
              {"no B dim", {6, 5, 3}, "SSC", opts({2}, {2})},
              {"larger: 3x3 stride 2 pad 1 (ResNet's stem)", {57, 57, 16, 2}, "SSCB", opts({3}, {2}, ex({1}, {1}))},
              {"larger, ceil mode", {33, 17, 8, 3}, "SSCB", opts({3}, {2}, {}, true)}},
             100);
}

TEST_CASE("gpu: maxPool and avgPool 3-D") {
  DLCAM_REQUIRE_GPU();
  checkCases({{"overlap, asymmetric pad", {4, 5, 3, 2, 2}, "SSSCB", opts({2, 3, 2}, {2, 1, 3}, ex({1, 0, 1}, {0, 2, 1}))},
              {"same", {4, 5, 3, 2, 2}, "SSSCB", opts({3}, {2}, PoolPadding::same())},
              {"ceil", {5, 4, 3, 2, 2}, "SSSCB", opts({2}, {2, 3, 2}, {}, true)}},
             200);
}

TEST_CASE("gpu: maxPool ties go to the first maximum, NaN wins") {
  DLCAM_REQUIRE_GPU();
  // Values in {-1, 0}: nearly every window has ties, and a wrong choice moves the gradient.
  for (const Case& c : std::vector<Case>{{"2-D overlap", {6, 5, 2, 2}, "SSCB", opts({3}, {1}, ex({1}, {1}))},
                                         {"3-D ceil", {5, 4, 3, 2, 1}, "SSSCB", opts({2}, {2}, ex({1}, {0}), true)}}) {
    CAPTURE(c.name);
    checkPools(withTies(randomArray32(c.shape, c.format, 300)), c.options);
    checkPools(withTies(randomArray(c.shape, c.format, 301)), c.options);
  }
  Tensor t = randomArray({6, 6, 2, 1}, "SSCB", 302).value().clone();
  t.data<double>()[7] = std::numeric_limits<double>::quiet_NaN();
  t.data<double>()[36 + 20] = std::numeric_limits<double>::quiet_NaN();
  const Array x(t, "SSCB");
  checkPools(x, opts({3}, {2}, ex({1}, {0})));
  checkPools(Array(t.to(DType::Float32), "SSCB"), opts({2}, {1}));
}

TEST_CASE("gpu: pooling an empty batch or no channels") {
  DLCAM_REQUIRE_GPU();
  for (Shape shape : {Shape{5, 5, 0, 2}, Shape{5, 5, 2, 0}}) {
    CAPTURE(shape.str());
    checkPools(Array(Tensor(shape, DType::Float64), "SSCB"), opts({2}, {2}));
  }
}

TEST_CASE("gpu: globalAvgPool and globalMaxPool") {
  DLCAM_REQUIRE_GPU();
  unsigned seed = 400;
  for (const Case& c : std::vector<Case>{{"SSCB", {5, 7, 3, 2}, "SSCB", {}},
                                         {"SSSCB", {3, 4, 5, 2, 2}, "SSSCB", {}},
                                         {"CBT", {3, 2, 7}, "CBT", {}}}) {
    CAPTURE(c.name);
    for (const Array& x : {randomArray32(c.shape, c.format, seed), randomArray(c.shape, c.format, seed)}) {
      const DeviceCheckOptions o = tolerances(x.dtype());
      checkOnGpu([](const std::vector<Array>& v) { return globalAvgPool(v[0]); }, {x}, o);
      checkOnGpu([](const std::vector<Array>& v) { return globalMaxPool(v[0]); }, {x}, o);
    }
    ++seed;
  }
}

TEST_CASE("gpu: pooling forward and max backward equal the CPU's bit for bit") {
  DLCAM_REQUIRE_GPU();
  // The GPU kernels compare and add in the CPU kernels' order (kernels/cuda/pool.cu).
  const Array x = randomArray32({9, 8, 3, 2}, "SSCB", 500);
  DeviceCheckOptions exact;
  exact.rtol = 0;
  exact.atol = 0;
  for (const PoolOptions& o : {opts({3}, {2}, ex({1}, {0}), true), opts({3, 2}, {1}, PoolPadding::same())}) {
    checkOnGpu([o](const std::vector<Array>& v) { return maxPool(v[0], o); }, {x}, exact);
    DeviceCheckOptions forwardOnly = exact;
    forwardOnly.gradients = false;
    for (bool includePad : {true, false}) {
      PoolOptions a = o;
      a.countIncludePad = includePad;
      checkOnGpu([a](const std::vector<Array>& v) { return avgPool(v[0], a); }, {x}, forwardOnly);
    }
  }
}
