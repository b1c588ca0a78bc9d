#include <doctest/doctest.h>

#include "dlcam.h"
#include "layers/norm_layers.h"
#include "tests/support/gradcheck.h"
#include "tests/layers/layer_test_util.h"

using namespace dlcam;
using dlcam::test::forwardOf;
using dlcam::test::infoOf;
using dlcam::test::values;
using dlcam::test::expectClose;
using dlcam::test::expectValues;
using dlcam::test::randomArray;

namespace {

BatchNormalizationOptions bnOptions(int64_t c, unsigned seed) {
  return {.offset = randomArray({c}, "", seed),
          .scale = randomArray({1, 1, c}, "", seed + 1, 0.5, 2),
          .trainedMean = randomArray({c}, "", seed + 2),
          .trainedVariance = randomArray({c}, "", seed + 3, 0.5, 2),
          .epsilon = 1e-3};
}

}  // namespace

TEST_CASE("Batch normalization layer: inference equals batchNorm for several formats") {
  const int64_t c = 3;
  BatchNormalizationOptions o = bnOptions(c, 1);
  BatchNormalizationLayer layer("bn", o);
  for (auto [shape, format] : std::vector<std::pair<Shape, const char*>>{
           {{5, 7, c, 2}, "SSCB"}, {{3, 4, 5, c, 2}, "SSSCB"}, {{c, 4}, "CB"}, {{c, 2, 5}, "CBT"}, {{9, c, 1}, "SCB"}}) {
    CAPTURE(format);
    Array x = randomArray(shape, format, 7);
    Array y = forwardOf(layer, x);
    expectClose(y.value(), batchNorm(x, o.offset, o.scale, o.trainedMean, o.trainedVariance, {1e-3}).value(), 0, 0, "bn");
    const ActivationInfo in = infoOf(x);
    CHECK(layer.inferOutput(std::span(&in, 1)) == infoOf(y));
  }
}

TEST_CASE("Batch normalization layer: learnables, states and description") {
  BatchNormalizationLayer layer("bn1", bnOptions(4, 2));
  CHECK(layer.type() == "Batch Normalization");
  CHECK(layer.description() == "Batch normalization with 4 channels");
  REQUIRE(layer.learnables().size() == 2);
  CHECK(layer.learnables()[0].name == "Offset");
  CHECK(layer.learnables()[1].name == "Scale");
  REQUIRE(layer.states().size() == 2);
  CHECK(layer.states()[0].name == "TrainedMean");
  CHECK(layer.states()[1].name == "TrainedVariance");
  CHECK(layer.numLearnables() == 8);
  CHECK(layer.state("TrainedVariance").numel() == 4);
  CHECK(layer.numChannels() == 4);
  CHECK(layer.epsilon() == 1e-3);
  CHECK(layer.meanDecay() == 0.1);
}

TEST_CASE("Batch normalization layer: training uses batch statistics and reports decayed running statistics") {
  // Channel 0: 1, 2, 3 (mean 2, unbiased variance 1); channel 1: 0, 4, 8 (mean 4, variance 16).
  Array x = values({2, 3}, {1, 0, 2, 4, 3, 8}, "CB");
  BatchNormalizationLayer layer("bn", {.offset = values({2}, {0, 0}),
                                       .scale = values({2}, {1, 1}),
                                       .trainedMean = values({1, 1, 2}, {0.5, 1}),
                                       .trainedVariance = values({1, 1, 2}, {1, 2}),
                                       .meanDecay = 0.1,
                                       .varianceDecay = 0.2});
  ForwardContext context;
  context.training = true;
  Array y = forwardOf(layer, x, context);
  expectClose(y.value(), batchNormTrain(x, layer.learnable("Offset"), layer.learnable("Scale")).y.value(), 0, 0, "train");
  REQUIRE(context.stateUpdates.size() == 2);
  const auto& mean = context.stateUpdates[0];
  const auto& var = context.stateUpdates[1];
  CHECK(mean.layer == "bn");
  CHECK(mean.state == "TrainedMean");
  CHECK(var.state == "TrainedVariance");
  CHECK(mean.value.shape() == Shape{1, 1, 2});  // the state's own shape
  CHECK(mean.value.dtype() == DType::Float32);
  expectValues(Array(mean.value), {0.1 * 2 + 0.9 * 0.5, 0.1 * 4 + 0.9 * 1}, 1e-6);
  expectValues(Array(var.value), {0.2 * 1 + 0.8 * 1, 0.2 * 16 + 0.8 * 2}, 1e-6);
  // The layer's own states are the caller's to update.
  expectValues(layer.state("TrainedMean"), {0.5, 1}, 1e-7);

  // Inference reports nothing.
  ForwardContext inference;
  forwardOf(layer, x, inference);
  CHECK(inference.stateUpdates.empty());
  // One value per channel gives no batch statistics.
  CHECK_THROWS_WITH_AS(forwardOf(layer, values({2, 1}, {1, 2}, "CB"), context),
                       doctest::Contains("layer 'bn' (Batch Normalization): training needs at least 2 values per channel"),
                       Error);
}

TEST_CASE("Batch normalization layer: bad inputs and parameters throw errors naming the layer") {
  BatchNormalizationLayer layer("bn2", bnOptions(3, 3));
  auto infer = [&](Shape s, const char* f) {
    ActivationInfo in{std::move(s), DimFormat(f)};
    return layer.inferOutput(std::span(&in, 1));
  };
  CHECK_THROWS_WITH_AS(infer({4, 4, 5, 1}, "SSCB"),
                       doctest::Contains("layer 'bn2' (Batch Normalization): expects 3 channels, got 5"), Error);
  CHECK_THROWS_WITH_AS(infer({4, 4, 1}, "SSB"), doctest::Contains("layer 'bn2' (Batch Normalization): expects input with a C"),
                       Error);
  CHECK_THROWS_WITH_AS(forwardOf(layer, randomArray({4, 2, 1}, "SCB", 1)), doctest::Contains("layer 'bn2'"), Error);

  auto make = [](BatchNormalizationOptions o) { return BatchNormalizationLayer("b", std::move(o)); };
  BatchNormalizationOptions o = bnOptions(3, 4);
  o.scale = randomArray({4}, "", 1);
  CHECK_THROWS_WITH_AS(make(o), doctest::Contains("layer 'b' (Batch Normalization): scale has 4 values"), Error);
  o = bnOptions(3, 4);
  o.trainedMean = Array();
  CHECK_THROWS_WITH_AS(make(o), doctest::Contains("trainedMean is missing"), Error);
  o = bnOptions(3, 4);
  o.trainedVariance = values({3}, {1, -1, 1});
  CHECK_THROWS_WITH_AS(make(o), doctest::Contains("trainedVariance must be non-negative"), Error);
  o = bnOptions(3, 4);
  o.epsilon = 0;
  CHECK_THROWS_WITH_AS(make(o), doctest::Contains("epsilon must be positive"), Error);
  o = bnOptions(3, 4);
  o.varianceDecay = 1.5;
  CHECK_THROWS_WITH_AS(make(o), doctest::Contains("varianceDecay must be in [0, 1]"), Error);
}

TEST_CASE("Layer normalization layer: forward equals layerNorm, inferOutput, errors") {
  const int64_t c = 4;
  Array offset = randomArray({c}, "", 1), scale = randomArray({c}, "", 2, 0.5, 2);
  for (LayerNormDims dims : {LayerNormDims::Auto, LayerNormDims::Channel, LayerNormDims::SpatialChannel}) {
    LayerNormalizationLayer layer("ln", {.offset = offset, .scale = scale, .epsilon = 1e-4, .dims = dims});
    for (auto [shape, format] : std::vector<std::pair<Shape, const char*>>{
             {{3, 5, c, 2}, "SSCB"}, {{c, 3, 5}, "CBT"}, {{c, 3}, "CB"}, {{5, c, 2, 3}, "SCBT"}}) {
      CAPTURE(format);
      Array x = randomArray(shape, format, 3);
      Array y = forwardOf(layer, x);
      expectClose(y.value(), layerNorm(x, offset, scale, {1e-4, dims}).value(), 0, 0, "layerNorm");
      const ActivationInfo in = infoOf(x);
      CHECK(layer.inferOutput(std::span(&in, 1)) == infoOf(y));
    }
  }
  LayerNormalizationLayer layer("ln3", {.offset = offset, .scale = scale});
  CHECK(layer.type() == "Layer Normalization");
  CHECK(layer.description() == "Layer normalization with 4 channels");
  CHECK(layer.numLearnables() == 8);
  CHECK(layer.learnables()[0].name == "Offset");
  CHECK(layer.learnables()[1].name == "Scale");
  CHECK(layer.states().empty());
  CHECK_THROWS_WITH_AS(forwardOf(layer, randomArray({3, 2}, "CB", 1)),
                       doctest::Contains("layer 'ln3' (Layer Normalization): expects 4 channels, got 3"), Error);
  CHECK_THROWS_WITH_AS(LayerNormalizationLayer("ln", {.offset = offset}), doctest::Contains("scale is missing"), Error);
}
