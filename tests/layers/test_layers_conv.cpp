#include <doctest/doctest.h>

#include <cstdint>
#include <limits>

#include "dlcam.h"
#include "layers/conv_layer.h"
#include "tests/support/gradcheck.h"
#include "tests/layers/layer_test_util.h"

using namespace dlcam;
using dlcam::test::forwardOf;
using dlcam::test::infoOf;
using dlcam::test::expectClose;
using dlcam::test::randomArray;

namespace {

// forward equals conv() called directly, and inferOutput predicts forward's size and format.
void checkLayer(const ConvolutionLayer& layer, const Array& x, const Array& w, const Array& b, const ConvOptions& o) {
  dlcam::test::checkLayer(layer, x, conv(x, w, b, o));
}

}  // namespace

TEST_CASE("Convolution layer: forward equals conv and inferOutput its size, 1-D to 3-D") {
  struct Case {
    const char* name;
    int d;
    Shape x;
    const char* format;
    Shape w;
    ConvOptions o;
  };
  const std::vector<Case> cases = {
      {"2-D stride 2, explicit padding", 2, {9, 7, 3, 2}, "SSCB", {3, 3, 3, 4}, {.stride = {2}, .padding = ConvPadding::explicitPad({1}, {1})}},
      {"2-D same, stride 2, odd sizes", 2, {7, 5, 2, 3}, "SSCB", {3, 2, 2, 5}, {.stride = {2, 3}, .padding = ConvPadding::same()}},
      {"2-D dilation, asymmetric padding", 2, {9, 8, 2, 2}, "SSCB", {3, 3, 2, 3}, {.dilation = {2, 1}, .padding = ConvPadding::explicitPad({0, 2}, {1, 0})}},
      {"2-D grouped", 2, {6, 5, 4, 2}, "SSCB", {3, 3, 2, 6}, {.groups = 2}},
      {"2-D depthwise same", 2, {6, 5, 3, 1}, "SSCB", {3, 3, 1, 3}, {.padding = ConvPadding::same(), .groups = 3}},
      {"2-D without B", 2, {6, 5, 2}, "SSC", {2, 2, 2, 3}, {}},
      {"1-D spatial", 1, {11, 3, 2}, "SCB", {4, 3, 2}, {.stride = {3}}},
      {"1-D sequence CBT", 1, {3, 2, 11}, "CBT", {3, 3, 4}, {.stride = {2}, .padding = ConvPadding::same()}},
      {"1-D sequence CT causal", 1, {2, 9}, "CT", {3, 2, 2}, {.dilation = {2}, .padding = ConvPadding::causal()}},
      {"3-D", 3, {5, 6, 4, 2, 2}, "SSSCB", {3, 2, 2, 2, 3}, {.stride = {2, 1, 1}, .padding = ConvPadding::explicitPad({1, 0, 1}, {0, 1, 1})}},
      {"3-D same stride 2", 3, {5, 4, 3, 1, 2}, "SSSCB", {2, 3, 3, 1, 2}, {.stride = {2}, .padding = ConvPadding::same()}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    Array x = randomArray(c.x, c.format, 1);
    Array w = randomArray(c.w, "", 2);
    Array b = randomArray({c.w[c.w.rank() - 1]}, "", 3);
    ConvolutionLayer withBias("conv", {.spatialDims = c.d, .weights = w, .bias = b, .conv = c.o});
    checkLayer(withBias, x, w, b, c.o);
    ConvolutionLayer noBias("conv", {.spatialDims = c.d, .weights = w, .conv = c.o});
    checkLayer(noBias, x, w, Array(), c.o);
  }
}

TEST_CASE("Convolution layer: inferOutput for several input sizes of one layer") {
  Array w = randomArray({3, 3, 2, 4}, "", 1);
  for (auto padding : {ConvPadding::same(), ConvPadding::explicitPad({1}, {0})}) {
    ConvolutionLayer layer("conv", {.weights = w, .conv = {.stride = {2}, .padding = padding}});
    for (Shape s : {Shape{3, 3, 2, 1}, Shape{4, 9, 2, 2}, Shape{17, 8, 2, 3}, Shape{224, 223, 2, 1}}) {
      CAPTURE(s.str());
      ActivationInfo in{s, DimFormat("SSCB")};
      ActivationInfo inferred = layer.inferOutput(std::span(&in, 1));
      CHECK(inferred == infoOf(forwardOf(layer, randomArray(s, "SSCB", 2))));
    }
  }
}

TEST_CASE("Convolution layer: learnables, types and descriptions") {
  Array w = randomArray({3, 3, 3, 16}, "", 1), b = randomArray({16}, "", 2);
  ConvolutionLayer conv2("conv1", {.weights = w, .bias = b, .conv = {.stride = {2}, .padding = ConvPadding::explicitPad({1}, {1})}});
  CHECK(conv2.type() == "2-D Convolution");
  CHECK(conv2.description() == "16 3×3×3 convolutions with stride [2 2] and padding [1 1 1 1]");
  REQUIRE(conv2.learnables().size() == 2);
  CHECK(conv2.learnables()[0].name == "Weights");
  CHECK(conv2.learnables()[1].name == "Bias");
  CHECK(conv2.numLearnables() == 3 * 3 * 3 * 16 + 16);
  CHECK(conv2.learnable("Weights").shape() == Shape{3, 3, 3, 16});
  CHECK(conv2.states().empty());
  CHECK(conv2.numChannels() == 3);
  CHECK(conv2.numFilters() == 16);
  CHECK(conv2.filterSize() == std::vector<int64_t>{3, 3});
  CHECK(conv2.stride() == std::vector<int64_t>{2, 2});

  ConvolutionLayer grouped("g", {.weights = randomArray({3, 3, 2, 8}, "", 3), .conv = {.padding = ConvPadding::same(), .groups = 4}});
  CHECK(grouped.type() == "2-D Grouped Convolution");
  CHECK(grouped.description() == "4 groups of 2 3×3×2 convolutions with stride [1 1] and padding 'same'");
  CHECK(grouped.numChannels() == 8);
  CHECK_FALSE(grouped.hasBias());
  CHECK(grouped.learnables().size() == 1);
  CHECK(grouped.numLearnables() == 3 * 3 * 2 * 8);
  CHECK_THROWS_WITH_AS(grouped.learnable("Bias"), doctest::Contains("has no learnable 'Bias' (it has: Weights)"), Error);

  // Trailing singleton dims of the weights may be left out: one 5-tap filter on one channel.
  ConvolutionLayer conv1("c1", {.spatialDims = 1, .weights = randomArray({5}, "", 4), .conv = {.dilation = {2}}});
  CHECK(conv1.type() == "1-D Convolution");
  CHECK(conv1.weights().shape() == Shape{5, 1, 1});
  CHECK(conv1.description() == "1 5×1 convolutions with stride [1], dilation [2], and padding [0 0]");
  ConvolutionLayer conv3("c3", {.spatialDims = 3, .weights = randomArray({2, 2, 2, 1, 4}, "", 5), .conv = {.padding = ConvPadding::same()}});
  CHECK(conv3.type() == "3-D Convolution");
  CHECK(conv3.description() == "4 2×2×2×1 convolutions with stride [1 1 1] and padding 'same'");
}

TEST_CASE("Convolution layer: bad inputs and options throw errors naming the layer") {
  ConvolutionLayer layer("conv7", {.weights = randomArray({3, 3, 3, 4}, "", 1)});
  auto infer = [&](Shape s, const char* f) {
    ActivationInfo in{std::move(s), DimFormat(f)};
    return layer.inferOutput(std::span(&in, 1));
  };
  CHECK_THROWS_WITH_AS(infer({8, 8, 5, 1}, "SSCB"),
                       doctest::Contains("layer 'conv7' (2-D Convolution): expects 3 channels"), Error);
  CHECK_THROWS_WITH_AS(forwardOf(layer, randomArray({8, 8, 5, 1}, "SSCB", 1)),
                       doctest::Contains("layer 'conv7' (2-D Convolution): expects 3 channels"), Error);
  CHECK_THROWS_WITH_AS(infer({8, 3, 1}, "SCB"),
                       doctest::Contains("layer 'conv7' (2-D Convolution): expects input with 2 S dims, C and B"), Error);
  CHECK_THROWS_WITH_AS(infer({3, 1, 8}, "CBT"), doctest::Contains("layer 'conv7'"), Error);
  CHECK_THROWS_WITH_AS(infer({8, 8, 3, 1, 2}, "SSCBT"), doctest::Contains("layer 'conv7'"), Error);
  CHECK_THROWS_WITH_AS(infer({2, 8, 3, 1}, "SSCB"), doctest::Contains("layer 'conv7' (2-D Convolution): the filter (3"),
                       Error);
  CHECK_THROWS_WITH_AS(forwardOf(layer, randomArray({3, 2}, "CB", 1)), doctest::Contains("layer 'conv7'"), Error);

  auto make = [](ConvolutionOptions o) { return ConvolutionLayer("bad", std::move(o)); };
  CHECK_THROWS_WITH_AS(make({.spatialDims = 4, .weights = randomArray({3}, "", 1)}),
                       doctest::Contains("layer 'bad' (4-D Convolution): spatialDims must be 1, 2 or 3"), Error);
  CHECK_THROWS_WITH_AS(make({}), doctest::Contains("layer 'bad' (2-D Convolution): the weights are missing"), Error);
  CHECK_THROWS_WITH_AS(make({.weights = randomArray({3, 3, 2, 4, 2}, "", 1)}), doctest::Contains("need shape k_1"), Error);
  CHECK_THROWS_WITH_AS(make({.weights = randomArray({3, 3, 2, 3}, "", 1), .conv = {.groups = 2}}),
                       doctest::Contains("3 filters, which is not divisible by groups = 2"), Error);
  CHECK_THROWS_WITH_AS(make({.weights = randomArray({3, 3, 2, 4}, "", 1), .bias = randomArray({3}, "", 2)}),
                       doctest::Contains("the bias needs 4 values"), Error);
  CHECK_THROWS_WITH_AS(make({.weights = randomArray({3, 3, 2, 4}, "", 1), .conv = {.stride = {1, 2, 3}}}),
                       doctest::Contains("stride needs 1 or 2 values"), Error);
  CHECK_THROWS_WITH_AS(make({.weights = randomArray({3, 3, 2, 4}, "", 1), .conv = {.padding = ConvPadding::causal()}}),
                       doctest::Contains("causal padding is for 1-D convolution only"), Error);
}

TEST_CASE("Convolution layer: watched learnables get the gradients conv gives") {
  Array x = randomArray({5, 4, 2, 2}, "SSCB", 3);
  const ConvOptions o{.stride = {2}, .padding = ConvPadding::same()};
  ConvolutionLayer layer("conv", {.weights = randomArray({3, 2, 2, 3}, "", 1), .bias = randomArray({3}, "", 2), .conv = o});
  Array weight = randomArray({3, 2, 3, 2}, "SSCB", 4);  // makes every output count differently
  std::vector<Array> viaLayer, direct;
  {
    Tape tape;
    Array& w = layer.learnables()[0].value;
    Array& b = layer.learnables()[1].value;
    tape.watch(w);
    tape.watch(b);
    viaLayer = tape.gradient(sum(forwardOf(layer, x) * weight), {w, b});
  }
  {
    Tape tape;
    Array w = layer.weights(), b = layer.bias();
    tape.watch(w);
    tape.watch(b);
    direct = tape.gradient(sum(conv(x, w, b, o) * weight), {w, b});
  }
  for (size_t i = 0; i < 2; ++i) expectClose(viaLayer[i].value(), direct[i].value(), 0, 0, "gradient");
}

TEST_CASE("Convolution layer and conv(): sizes past int64 are errors, not wrapped sizes") {
  constexpr int64_t big = int64_t{1} << 62;
  constexpr int64_t maxInt = std::numeric_limits<int64_t>::max();
  const Array w = randomArray({3, 3, 2, 4}, "", 1);
  auto infer = [](const ConvolutionLayer& layer, Shape s) {
    ActivationInfo in{std::move(s), DimFormat("SSCB")};
    return layer.inferOutput(std::span(&in, 1));
  };
  auto make = [](ConvolutionOptions o) { return ConvolutionLayer("huge", std::move(o)); };

  // The filter's span (k − 1)·dilation + 1.
  CHECK_THROWS_WITH_AS(make({.weights = w, .conv = {.dilation = {big}}}),
                       doctest::Contains("layer 'huge' (2-D Convolution): the filter (3 with dilation 4611686018427387904) "
                                         "spans more than 2^63 - 1 positions along spatial dim 1"),
                       Error);
  CHECK_THROWS_WITH_AS(make({.weights = randomArray({2, 2, 2, 4}, "", 1), .conv = {.dilation = {1, maxInt}}}),
                       doctest::Contains("along spatial dim 2"), Error);
  // C = channels per group × groups.
  CHECK_THROWS_WITH_AS(make({.weights = randomArray({1, 1, 2, 4}, "", 1), .conv = {.groups = big}}),
                       doctest::Contains("layer 'huge' (2-D Grouped Convolution): the channel count (2 per group × "
                                         "4611686018427387904 groups) does not fit in int64"),
                       Error);
  // The padded input.
  const ConvolutionLayer padded = make({.weights = w, .conv = {.padding = ConvPadding::explicitPad({big}, {big})}});
  CHECK_THROWS_WITH_AS(infer(padded, {8, 8, 2, 1}),
                       doctest::Contains("layer 'huge' (2-D Convolution): the padded input (8 + 4611686018427387904 + "
                                         "4611686018427387904) along spatial dim 1 does not fit in int64"),
                       Error);
  // Large values that fit give the right sizes: a stride past the input, and a dilated
  // filter as wide as the padding.
  const ConvolutionLayer strided = make({.weights = w, .conv = {.stride = {maxInt}, .padding = ConvPadding::same()}});
  CHECK(infer(strided, {8, 7, 2, 3}) == ActivationInfo{Shape{1, 1, 4, 3}, DimFormat("SSCB")});
  const ConvolutionLayer wide = make(
      {.weights = w, .conv = {.dilation = {big / 2, 1}, .padding = ConvPadding::explicitPad({big / 2, 0}, {big / 2, 0})}});
  CHECK(infer(wide, {8, 7, 2, 3}) == ActivationInfo{Shape{8, 5, 4, 3}, DimFormat("SSCB")});
  CHECK(infoOf(forwardOf(strided, randomArray({8, 7, 2, 3}, "SSCB", 2))) == infer(strided, {8, 7, 2, 3}));

  // conv() itself.
  const Array x = randomArray({8, 7, 2, 1}, "SSCB", 3);
  CHECK_THROWS_WITH_AS(conv(x, w, Array(), {.dilation = {big}}),
                       doctest::Contains("conv: the kernel (3 with dilation 4611686018427387904) spans more than 2^63 - 1"),
                       Error);
  CHECK_THROWS_WITH_AS(conv(x, w, Array(), {.padding = ConvPadding::explicitPad({0, big}, {0, big})}),
                       doctest::Contains("conv: the padded input (7 + 4611686018427387904 + 4611686018427387904) along "
                                         "spatial dim 2 does not fit in int64"),
                       Error);
  CHECK_THROWS_WITH_AS(conv(randomArray({8, 2, 1}, "SCB", 3), randomArray({3, 2, 4}, "", 1), Array(),
                            {.dilation = {maxInt / 2 + 1}, .padding = ConvPadding::causal()}),
                       doctest::Contains("spans more than 2^63 - 1"), Error);
  CHECK(conv(x, w, Array(), {.stride = {maxInt}, .padding = ConvPadding::same()}).shape() == Shape{1, 1, 4, 1});
}
