#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "dlcam.h"
#include "tests/support/gradcheck.h"

using namespace dlcam;

TEST_CASE("DimFormat validates labels and counts") {
  CHECK(DimFormat("SSCB").rank() == 4);
  CHECK(DimFormat("SSCB").isCanonical());
  CHECK_FALSE(DimFormat("TCB").isCanonical());
  CHECK_THROWS_WITH_AS(DimFormat("SSCCB"), doctest::Contains("2 'C' labels"), Error);
  CHECK_THROWS_WITH_AS(DimFormat("X"), doctest::Contains("invalid dimension label 'X'"), Error);
  CHECK_THROWS_AS(DimFormat("BB"), Error);
  CHECK_THROWS_AS(DimFormat("CTT"), Error);
  CHECK(DimFormat("SSSU").spatialDims() == std::vector<int>{0, 1, 2});
  CHECK(DimFormat("SSCB").find('B') == 3);
  CHECK(DimFormat("CBT").find('S') == -1);
  CHECK(DimFormat("SSCBT").dimsOf("ST") == std::vector<int>{0, 1, 4});
}

TEST_CASE("Array permutes data into canonical order, as dlarray does") {
  // 2 time steps × 3 channels, stored T-fastest: value(t, c) = 10·c + t.
  std::vector<float> tc = {0, 1, 10, 11, 20, 21};
  Array x = Array::fromValues(Shape{2, 3}, std::span<const float>(tc), "TC");
  CHECK(x.format().str() == "CT");
  CHECK(x.shape() == Shape{3, 2});
  // Canonical C×T, C fastest: (c0,t0) (c1,t0) (c2,t0) (c0,t1) ...
  CHECK(x.toVector() == std::vector<float>{0, 10, 20, 1, 11, 21});
}

TEST_CASE("Array pads missing trailing dimensions and rejects too few labels") {
  Array x(Tensor::zeros({4, 5}), "SSCB");
  CHECK(x.shape() == Shape{4, 5, 1, 1});
  CHECK_THROWS_WITH_AS(Array(Tensor::zeros({4, 5, 3}), "SS"), doctest::Contains("has 2 labels but the data has 3"), Error);
  Array u(Tensor::zeros({2, 3}));
  CHECK(u.format().str() == "UU");
  CHECK_FALSE(u.format().isFormatted());
}

TEST_CASE("Arrays are built from every MATLAB numeric type and stored as float32") {
  auto check = [](auto sample) {
    using V = decltype(sample);
    std::vector<V> v = {V(1), V(2), std::numeric_limits<V>::max()};
    Array a = Array::fromValues(Shape{3}, std::span<const V>(v));
    CHECK(a.dtype() == DType::Float32);
    CHECK(a.toVector()[1] == 2.0f);
    CHECK(a.toVector()[2] == static_cast<float>(std::numeric_limits<V>::max()));
  };
  check(uint8_t{}); check(int8_t{}); check(uint16_t{}); check(int16_t{});
  check(uint32_t{}); check(int32_t{}); check(uint64_t{}); check(int64_t{});
  check(float{}); check(double{});
  std::vector<double> wrong = {1, 2};
  CHECK_THROWS_WITH_AS(Array::fromValues(Shape{3}, std::span<const double>(wrong)), doctest::Contains("needs 3 values, got 2"), Error);
}

TEST_CASE("Shapes: zero-sized dimensions, overflow, negative sizes") {
  Tensor empty(Shape{0, 3});
  CHECK(empty.numel() == 0);
  CHECK_THROWS_AS(Shape({-1, 2}), Error);
  CHECK_THROWS_WITH_AS(Shape({1 << 30, 1 << 30, 1 << 30}).numel(), doctest::Contains("int64"), Error);
  CHECK_THROWS_AS(Tensor(Shape{int64_t(1) << 40, int64_t(1) << 30}), Error);
  // Fits int64 elements, but the byte count overflows size_t once rounded up for alignment.
  CHECK_THROWS_AS(Tensor(Shape{(int64_t(1) << 61) - 1}, DType::Float64), Error);
  CHECK_THROWS_WITH_AS(Array(Tensor(), "SSCB"), doctest::Contains("no value"), Error);
  Array z(Tensor::zeros({0, 4}), "CB");
  CHECK((relu(z)).numel() == 0);
  CHECK(sum(z).item() == 0.0);
}

TEST_CASE("Tensor type checks and conversions") {
  Tensor t = Tensor::full({2, 2}, 1.5);
  CHECK_THROWS_WITH_AS(t.data<double>(), doctest::Contains("holds float32, accessed as float64"), Error);
  Tensor d = t.to(DType::Float64);
  CHECK(d.data<double>()[3] == 1.5);
  Tensor c = t.clone();
  c.data<float>()[0] = 7;
  CHECK(t.at(0) == 1.5);
  CHECK_THROWS_AS(t.reshaped({3}), Error);
  CHECK_THROWS_AS(Array(t).item(), Error);
}
