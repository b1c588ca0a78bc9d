// Matrix products on the GPU (cuBLAS) against the CPU: fullyConnect on every input layout it
// takes, with and without bias, and its gradients (which use transposed products and rowSums);
// matmul with pages; gemm with each combination of transposes; the empty cases.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "dlcam.h"
#include "kernels/linear.h"
#include "tests/support/gpu.h"

using namespace dlcam;
using test::checkOnGpu;
using test::DeviceCheckOptions;
using test::randomArray;
using test::randomArray32;

namespace {

// float64 GEMMs differ from Eigen's only in the order of the sums.
DeviceCheckOptions tight64() { return test::tolerances(1e-10, 1e-12); }
const DeviceCheckOptions kTight64 = tight64();

struct FcCase {
  Shape shape;
  const char* format;
  int64_t inputs;  // product of the sizes up to and including C
};

std::vector<FcCase> fcCases() {
  return {{{5, 4, 3, 2}, "SSCB", 60},    {{3, 4, 2, 3, 2}, "SSSCB", 72}, {{7, 5}, "CB", 7},
          {{6, 3, 4}, "CBT", 6},         {{9, 1}, "CB", 9},             {{4, 3, 5, 1}, "SSCB", 60}};
}

Array fc(const std::vector<Array>& in) { return fullyConnect(in[0], in[1], in.size() > 2 ? in[2] : Array()); }

}  // namespace

TEST_CASE("gpu: fullyConnect on SSCB, SSSCB, CB and CBT, with bias, float32") {
  DLCAM_REQUIRE_GPU();
  unsigned seed = 1;
  for (const FcCase& c : fcCases()) {
    CAPTURE(c.format);
    const int64_t outputs = 5;
    CHECK(checkOnGpu(fc, {randomArray32(c.shape, c.format, seed), randomArray32({outputs, c.inputs}, "", seed + 1),
                          randomArray32({outputs}, "", seed + 2)}));
    seed += 3;
  }
}

TEST_CASE("gpu: fullyConnect without bias, and with one output, float32") {
  DLCAM_REQUIRE_GPU();
  CHECK(checkOnGpu(fc, {randomArray32({5, 4, 3, 2}, "SSCB", 11), randomArray32({6, 60}, "", 12)}));
  CHECK(checkOnGpu(fc, {randomArray32({8, 3}, "CB", 13), randomArray32({1, 8}, "", 14), randomArray32({1}, "", 15)}));
}

TEST_CASE("gpu: fullyConnect on SSCB, SSSCB, CB and CBT, float64 tight") {
  DLCAM_REQUIRE_GPU();
  unsigned seed = 21;
  for (const FcCase& c : fcCases()) {
    CAPTURE(c.format);
    CHECK(checkOnGpu(fc,
                     {randomArray(c.shape, c.format, seed), randomArray({4, c.inputs}, "", seed + 1),
                      randomArray({4}, "", seed + 2)},
                     kTight64));
    seed += 3;
  }
}

TEST_CASE("gpu: fullyConnect with one input watched at a time") {
  DLCAM_REQUIRE_GPU();
  const std::vector<Array> in = {randomArray32({3, 2, 4, 3}, "SSCB", 31), randomArray32({7, 24}, "", 32),
                                 randomArray32({7}, "", 33)};
  for (int k = 0; k < 3; ++k) {
    CAPTURE(k);
    DeviceCheckOptions o;
    o.watch = {k == 0, k == 1, k == 2};
    CHECK(checkOnGpu(fc, in, o));
  }
}

TEST_CASE("gpu: a larger fullyConnect, float32") {
  DLCAM_REQUIRE_GPU();
  // Long enough inner sums that cuBLAS uses its blocked kernels.
  CHECK(checkOnGpu(fc, {randomArray32({7, 7, 64, 16}, "SSCB", 41), randomArray32({100, 7 * 7 * 64}, "", 42),
                        randomArray32({100}, "", 43)}));
}

TEST_CASE("gpu: matmul of matrices and of pages, with gradients") {
  DLCAM_REQUIRE_GPU();
  auto mm = [](const std::vector<Array>& in) { return matmul(in[0], in[1]); };
  CHECK(checkOnGpu(mm, {randomArray32({4, 6}, "", 51), randomArray32({6, 3}, "", 52)}));
  CHECK(checkOnGpu(mm, {randomArray32({5, 1}, "", 53), randomArray32({1, 4}, "", 54)}));  // outer product
  CHECK(checkOnGpu(mm, {randomArray32({1, 7}, "", 55), randomArray32({7, 1}, "", 56)}));  // dot product
  CHECK(checkOnGpu(mm, {randomArray32({3, 4, 2, 3}, "", 57), randomArray32({4, 5, 2, 3}, "", 58)}));
  CHECK(checkOnGpu(mm, {randomArray({3, 4, 5}, "", 59), randomArray({4, 2, 5}, "", 60)}, kTight64));
}

TEST_CASE("gpu: gemm with every combination of transposes, with pages") {
  DLCAM_REQUIRE_GPU();
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        CAPTURE(ta);
        CAPTURE(tb);
        // op(A) is 4×6, op(B) is 6×3; 2 pages.
        const int64_t m = 4, k = 6, n = 3, pages = 2;
        const kernels::GemmParams p{.rowsA = ta ? k : m, .colsA = ta ? m : k, .rowsB = tb ? n : k,
                                    .colsB = tb ? k : n, .pages = pages, .transposeA = ta, .transposeB = tb};
        const Tensor a = randomArray({p.rowsA, p.colsA, pages}, "", 61).value().to(dtype);
        const Tensor b = randomArray({p.rowsB, p.colsB, pages}, "", 62).value().to(dtype);
        const Tensor expected = kernels::gemm(a, b, p);
        const Tensor got = kernels::gemm(a.to(Device::GPU), b.to(Device::GPU), p);
        const double rtol = dtype == DType::Float64 ? 1e-12 : 1e-5;
        test::expectSameOnGpu(got, expected, rtol, rtol, "gemm");
      }
    }
  }
}

TEST_CASE("gpu: rowSums, and the empty products") {
  DLCAM_REQUIRE_GPU();
  const Tensor g = randomArray({5, 300}, "", 71).value();
  test::expectSameOnGpu(kernels::rowSums(g.to(Device::GPU), 5, 300), kernels::rowSums(g, 5, 300), 1e-12, 1e-12,
                        "rowSums");
  const Tensor wide = randomArray32({1, 5000}, "", 72).value();
  test::expectSameOnGpu(kernels::rowSums(wide.to(Device::GPU), 1, 5000), kernels::rowSums(wide, 1, 5000), 1e-5, 1e-5,
                        "rowSums of one long row");
  const Tensor noColumns = Tensor::zeros({3, 0}, DType::Float32, Device::GPU);
  test::expectSameOnGpu(kernels::rowSums(noColumns, 3, 0), Tensor::zeros({3}), 0, 0, "rowSums of no columns");

  // No input features: the empty sum is 0, plus the bias (as on the CPU).
  const Array x(Tensor::zeros({0, 4}, DType::Float32, Device::GPU), "CB");
  const Array w(Tensor::zeros({5, 0}, DType::Float32, Device::GPU));
  const Array b(Tensor::full({5}, 2.0, DType::Float32, Device::GPU));
  const Array y = fullyConnect(x, w, b);
  CHECK(y.device() == Device::GPU);
  test::expectSameOnGpu(y.value(), Tensor::full({5, 4}, 2.0), 0, 0, "fullyConnect with no inputs");
  const Array noBias = fullyConnect(x, w, Array());
  test::expectSameOnGpu(noBias.value(), Tensor::zeros({5, 4}), 0, 0, "fullyConnect with no inputs and no bias");
  // No columns: an empty result.
  const Array none = fullyConnect(Array(Tensor::zeros({3, 0}, DType::Float32, Device::GPU), "CB"),
                                  Array(Tensor::full({2, 3}, 1.0, DType::Float32, Device::GPU)), Array());
  CHECK(none.shape() == Shape{2, 0});
}

TEST_CASE("gpu: fullyConnect with the input on the GPU and the weights on the CPU") {
  DLCAM_REQUIRE_GPU();
  const Array x = randomArray32({4, 3}, "CB", 81), w = randomArray32({2, 4}, "", 82), b = randomArray32({2}, "", 83);
  const Array y = fullyConnect(test::toGpu(x), w, b);
  CHECK(y.device() == Device::GPU);
  test::expectSameOnGpu(y.value(), fullyConnect(x, w, b).value(), 1e-5, 1e-6, "mixed devices");
}
