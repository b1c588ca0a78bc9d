#include <doctest/doctest.h>

#include "autodiff/linear.h"
#include "dlcam.h"
#include "tests/support/gradcheck.h"

using namespace dlcam;
using dlcam::test::checkGradients;
using dlcam::test::expectClose;
using dlcam::test::randomArray;

TEST_CASE("matmul against a naive triple loop, with pages") {
  Array a = randomArray({3, 5, 2}, "", 1), b = randomArray({5, 4, 2}, "", 2);
  Array c = matmul(a, b);
  REQUIRE(c.shape() == Shape{3, 4, 2});
  Tensor ref(Shape{3, 4, 2}, DType::Float64);
  for (int p = 0; p < 2; ++p)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 4; ++j) {
        double s = 0;
        for (int k = 0; k < 5; ++k) s += a.value().at(i + 3 * k + 15 * p) * b.value().at(k + 5 * j + 20 * p);
        ref.data<double>()[i + 3 * j + 12 * p] = s;
      }
  expectClose(c.value(), ref, 1e-12, 1e-12, "matmul");
  checkGradients([](const std::vector<Array>& v) { return matmul(v[0], v[1]); }, {a, b});
  checkGradients([](const std::vector<Array>& v) { return matmul(v[0], v[1]); },
                 {randomArray({1, 7}, "", 3), randomArray({7, 1}, "", 4)});
  CHECK_THROWS_WITH_AS(matmul(a, randomArray({4, 4, 2}, "", 5)), doctest::Contains("a's columns must equal b's rows"), Error);
  CHECK_THROWS_WITH_AS(matmul(randomArray({2, 2}, "CB", 5), a), doctest::Contains("unformatted"), Error);
}

TEST_CASE("fullyConnect flattens S and C, keeps B and T, against a naive loop") {
  Array x = randomArray({3, 2, 4, 5}, "SSCB", 1);  // I = 3·2·4 = 24 features, 5 observations
  Array w = randomArray({7, 24}, "", 2), b = randomArray({7}, "", 3);
  Array y = fullyConnect(x, w, b);
  CHECK(y.format().str() == "CB");
  REQUIRE(y.shape() == Shape{7, 5});
  Tensor ref(Shape{7, 5}, DType::Float64);
  for (int n = 0; n < 5; ++n)
    for (int o = 0; o < 7; ++o) {
      double s = b.value().at(o);
      for (int i = 0; i < 24; ++i) s += w.value().at(o + 7 * i) * x.value().at(i + 24 * n);
      ref.data<double>()[o + 7 * n] = s;
    }
  expectClose(y.value(), ref, 1e-12, 1e-12, "fullyConnect");
  checkGradients([](const std::vector<Array>& v) { return fullyConnect(v[0], v[1], v[2]); }, {x, w, b});

  Array seq = randomArray({4, 3, 5}, "CBT", 4);  // applied at every time step
  Array ws = randomArray({2, 4}, "", 5);
  Array ys = fullyConnect(seq, ws, Array());
  CHECK(ys.format().str() == "CBT");
  CHECK(ys.shape() == Shape{2, 3, 5});
  CHECK(ys.value().at(1 + 2 * (2 + 3 * 4)) ==
        doctest::Approx(ws.value().at(1) * seq.value().at(4 * (2 + 3 * 4)) + ws.value().at(3) * seq.value().at(1 + 4 * (2 + 3 * 4)) +
                        ws.value().at(5) * seq.value().at(2 + 4 * (2 + 3 * 4)) + ws.value().at(7) * seq.value().at(3 + 4 * (2 + 3 * 4))));
  checkGradients([](const std::vector<Array>& v) { return fullyConnect(v[0], v[1], Array()); }, {seq, ws});

  CHECK_THROWS_WITH_AS(fullyConnect(x, randomArray({7, 23}, "", 6), b), doctest::Contains("outputs×24"), Error);
  CHECK_THROWS_WITH_AS(fullyConnect(x, w, randomArray({6}, "", 6)), doctest::Contains("7 elements"), Error);
  CHECK_THROWS_WITH_AS(fullyConnect(randomArray({3, 3}, "", 6), w, b), doctest::Contains("C (channel)"), Error);
}

TEST_CASE("float32 and float64 agree for fullyConnect") {
  Array x = randomArray({5, 3, 6, 2}, "SSCB", 7), w = randomArray({4, 90}, "", 8), b = randomArray({4}, "", 9);
  auto f32 = [](const Array& a) { return Array(a.value().to(DType::Float32), a.format()); };
  Array y64 = fullyConnect(x, w, b), y32 = fullyConnect(f32(x), f32(w), f32(b));
  expectClose(y32.value().to(DType::Float64), y64.value(), 1e-5, 1e-5, "float32 vs float64");
}

TEST_CASE("fullyConnect with no input features, and mixed dtypes") {
  Array x(Tensor::zeros({0, 4}), "CB");
  Array w(Tensor::zeros({5, 0}));
  Array b(Tensor::full({5}, 2.0));
  Array y = fullyConnect(x, w, b);
  CHECK(y.shape() == Shape{5, 4});
  CHECK(y.toVector() == std::vector<float>(20, 2.0f));  // the empty sum is 0, plus the bias
  CHECK_THROWS_WITH_AS(fullyConnect(randomArray({3, 2}, "CB", 1), Array(Tensor::zeros({2, 3})), Array()),
                       doctest::Contains("same dtype"), Error);
}
