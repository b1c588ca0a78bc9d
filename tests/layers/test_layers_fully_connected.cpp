#include <doctest/doctest.h>

#include "dlcam.h"
#include "layers/fully_connected_layer.h"
#include "tests/support/gradcheck.h"
#include "tests/layers/layer_test_util.h"

using namespace dlcam;
using dlcam::test::forwardOf;
using dlcam::test::infoOf;
using dlcam::test::expectClose;
using dlcam::test::expectValues;
using dlcam::test::randomArray;

TEST_CASE("Fully connected layer: forward equals fullyConnect and inferOutput its size") {
  for (auto [shape, format, inputs] : std::vector<std::tuple<Shape, const char*, int64_t>>{
           {{3, 5, 2, 4}, "SSCB", 30}, {{7, 3}, "CB", 7}, {{7, 2, 5}, "CBT", 7}, {{7, 5}, "CT", 7},
           {{2, 3, 2, 3, 2}, "SSSCB", 36}, {{3, 2, 2, 4}, "SCBT", 6}}) {
    CAPTURE(format);
    Array w = randomArray({5, inputs}, "", 1), b = randomArray({5}, "", 2);
    Array x = randomArray(shape, format, 3);
    for (bool withBias : {true, false}) {
      FullyConnectedLayer layer("fc", {.weights = w, .bias = withBias ? b : Array()});
      Array y = forwardOf(layer, x);
      Array expected = fullyConnect(x, w, withBias ? b : Array());
      CHECK(y.format() == expected.format());
      REQUIRE(y.shape() == expected.shape());
      expectClose(y.value(), expected.value(), 0, 0, "fc");
      const ActivationInfo in = infoOf(x);
      CHECK(layer.inferOutput(std::span(&in, 1)) == infoOf(y));
    }
  }
  // Hand values: two outputs of a 3-feature input.
  std::vector<double> wv = {1, 0, 2, -1, 0, 1}, bv = {0.5, -0.5}, xv = {1, 2, 3};
  FullyConnectedLayer layer("fc", {.weights = Array::fromValues(Shape{2, 3}, std::span<const double>(wv)),
                                   .bias = Array::fromValues(Shape{2}, std::span<const double>(bv))});
  // w = [1 2 0; 0 -1 1]: outputs 1 + 4 + 0.5 and −2 + 3 − 0.5.
  expectValues(forwardOf(layer, Array::fromValues(Shape{3, 1}, std::span<const double>(xv), "CB")), {5.5, 0.5}, 1e-7);
}

TEST_CASE("Fully connected layer: learnables, description and errors naming the layer") {
  FullyConnectedLayer layer("fc1", {.weights = randomArray({10, 12}, "", 1), .bias = randomArray({10}, "", 2)});
  CHECK(layer.type() == "Fully Connected");
  CHECK(layer.description() == "10 fully connected layer");
  CHECK(layer.outputSize() == 10);
  CHECK(layer.inputSize() == 12);
  REQUIRE(layer.learnables().size() == 2);
  CHECK(layer.learnables()[0].name == "Weights");
  CHECK(layer.learnables()[1].name == "Bias");
  CHECK(layer.numLearnables() == 130);
  FullyConnectedLayer noBias("fc", {.weights = randomArray({10, 12}, "", 1)});
  CHECK(noBias.numLearnables() == 120);
  CHECK_FALSE(noBias.hasBias());

  CHECK_THROWS_WITH_AS(forwardOf(layer, randomArray({2, 2, 2, 1}, "SSCB", 1)),
                       doctest::Contains("layer 'fc1' (Fully Connected): expects 12 input features (weights 10x12), got 8 "
                                         "from input 2(S) × 2(S) × 2(C) × 1(B) (S dims and C flattened)"),
                       Error);
  ActivationInfo bad{Shape{11, 4}, DimFormat("CB")};
  CHECK_THROWS_WITH_AS(layer.inferOutput(std::span(&bad, 1)), doctest::Contains("layer 'fc1' (Fully Connected): expects 12"),
                       Error);
  ActivationInfo huge{Shape{int64_t{1} << 32, int64_t{1} << 32, 3, 1}, DimFormat("SSCB")};
  CHECK_THROWS_WITH_AS(layer.inferOutput(std::span(&huge, 1)),
                       doctest::Contains("layer 'fc1' (Fully Connected): the input's S and C sizes multiply past int64"),
                       Error);
  ActivationInfo noC{Shape{12, 4}, DimFormat("SB")};
  CHECK_THROWS_WITH_AS(layer.inferOutput(std::span(&noC, 1)), doctest::Contains("layer 'fc1' (Fully Connected): expects input with a C"),
                       Error);
  CHECK_THROWS_WITH_AS(FullyConnectedLayer("f", {.weights = randomArray({10}, "", 1)}),
                       doctest::Contains("layer 'f' (Fully Connected): the weights must be an O×I matrix"), Error);
  CHECK_THROWS_WITH_AS(FullyConnectedLayer("f", {.weights = randomArray({10, 3}, "", 1), .bias = randomArray({3}, "", 1)}),
                       doctest::Contains("the bias needs 10 values"), Error);
  CHECK_THROWS_WITH_AS(FullyConnectedLayer("f", {}), doctest::Contains("the weights are missing"), Error);
}
