#include <doctest/doctest.h>

#include <cstdint>
#include <limits>

#include "dlcam.h"
#include "layers/pool_layers.h"
#include "tests/support/gradcheck.h"
#include "tests/layers/layer_test_util.h"

using namespace dlcam;
using dlcam::test::checkLayer;
using dlcam::test::forwardOf;
using dlcam::test::infoOf;
using dlcam::test::expectClose;
using dlcam::test::randomArray;

namespace {

// PoolOptions by position, to keep the many cases below on one line each.
PoolOptions opts(std::vector<int64_t> size, std::vector<int64_t> stride = {}, PoolPadding padding = {},
                 bool countIncludePad = true, bool ceilMode = false) {
  PoolOptions o;
  o.size = std::move(size);
  o.stride = std::move(stride);
  o.padding = std::move(padding);
  o.countIncludePad = countIncludePad;
  o.ceilMode = ceilMode;
  return o;
}

}  // namespace

TEST_CASE("Pooling layers: forward equals maxPool/avgPool and inferOutput its size") {
  struct Case {
    const char* name;
    int d;
    Shape x;
    const char* format;
    PoolOptions o;
  };
  const std::vector<Case> cases = {
      {"2-D 2x2 stride 2, odd sizes", 2, {7, 9, 3, 2}, "SSCB", opts({2}, {2})},
      {"2-D 3x3 stride 2 padding 1", 2, {9, 8, 2, 2}, "SSCB", opts({3}, {2}, PoolPadding::explicitPad({1}, {1}))},
      {"2-D same stride 2", 2, {7, 5, 2, 3}, "SSCB", opts({3, 2}, {2}, PoolPadding::same())},
      {"2-D ceil mode", 2, {8, 7, 2, 1}, "SSCB", opts({3}, {2}, {}, true, true)},
      {"2-D exclude padding", 2, {6, 5, 2, 2}, "SSCB", opts({3}, {1}, PoolPadding::explicitPad({1}, {1}), false)},
      {"2-D image sequence", 2, {5, 6, 2, 2, 3}, "SSCBT", opts({2}, {2})},
      {"1-D spatial", 1, {11, 3, 2}, "SCB", opts({3}, {2})},
      {"1-D sequence CBT", 1, {3, 2, 11}, "CBT", opts({2}, {3}, PoolPadding::same())},
      {"1-D sequence CT", 1, {3, 10}, "CT", opts({3})},
      {"3-D", 3, {5, 6, 7, 2, 2}, "SSSCB", opts({2, 3, 2}, {2, 1, 3})},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    Array x = randomArray(c.x, c.format, 1);
    checkLayer(MaxPoolingLayer("pool", {.spatialDims = c.d, .pool = c.o}), x, maxPool(x, c.o));
    checkLayer(AveragePoolingLayer("pool", {.spatialDims = c.d, .pool = c.o}), x, avgPool(x, c.o));
  }
}

TEST_CASE("Global pooling layers: forward equals globalAvgPool/globalMaxPool, pooled dims become 1") {
  for (auto [d, shape, format] : std::vector<std::tuple<int, Shape, const char*>>{
           {2, {5, 7, 3, 2}, "SSCB"}, {1, {9, 3, 2}, "SCB"}, {1, {3, 2, 9}, "CBT"}, {3, {3, 4, 5, 2, 2}, "SSSCB"}}) {
    CAPTURE(format);
    Array x = randomArray(shape, format, 2);
    GlobalAveragePoolingLayer avg("gap", d);
    GlobalMaxPoolingLayer max("gmp", d);
    checkLayer(avg, x, globalAvgPool(x));
    checkLayer(max, x, globalMaxPool(x));
    Array y = forwardOf(avg, x);
    for (int dim : x.format().spatialDims()) CHECK(y.size(dim) == 1);
  }
  GlobalAveragePoolingLayer gap("gap", 2);
  CHECK(gap.type() == "2-D Global Average Pooling");
  CHECK(gap.description() == "Global average pooling");
  CHECK(GlobalMaxPoolingLayer("gmp", 1).type() == "1-D Global Max Pooling");
  CHECK(GlobalMaxPoolingLayer("gmp", 3).description() == "Global max pooling");
  CHECK_THROWS_WITH_AS(forwardOf(gap, randomArray({5, 3, 2}, "SCB", 1)),
                       doctest::Contains("layer 'gap' (2-D Global Average Pooling): expects input with 2 S dims"), Error);
  CHECK_THROWS_WITH_AS(GlobalMaxPoolingLayer("gmp", 0), doctest::Contains("spatialDims must be 1, 2 or 3"), Error);
}

TEST_CASE("Pooling layers: inferOutput for several input sizes of one layer") {
  for (const PoolOptions& o : {opts({3}, {2}, PoolPadding::same()),
                        opts({3}, {2}, PoolPadding::explicitPad({1}, {0}), true, true)}) {
    MaxPoolingLayer layer("pool", {.pool = o});
    for (Shape s : {Shape{3, 3, 2, 1}, Shape{4, 9, 2, 2}, Shape{17, 8, 1, 3}, Shape{112, 111, 1, 1}}) {
      CAPTURE(s.str());
      ActivationInfo in{s, DimFormat("SSCB")};
      CHECK(layer.inferOutput(std::span(&in, 1)) == infoOf(forwardOf(layer, randomArray(s, "SSCB", 2))));
    }
  }
}

TEST_CASE("Pooling layers: types, descriptions and errors naming the layer") {
  MaxPoolingLayer max("pool1", {.pool = opts({2}, {2})});
  CHECK(max.type() == "2-D Max Pooling");
  CHECK(max.description() == "2×2 max pooling with stride [2 2] and padding [0 0 0 0]");
  CHECK(max.numLearnables() == 0);
  AveragePoolingLayer avg("pool2", {.spatialDims = 1, .pool = opts({3}, {1}, PoolPadding::same())});
  CHECK(avg.type() == "1-D Average Pooling");
  CHECK(avg.description() == "3 average pooling with stride [1] and padding 'same'");
  CHECK(AveragePoolingLayer("p", {.spatialDims = 3, .pool = opts({2, 2, 1})}).type() == "3-D Average Pooling");
  CHECK(avg.poolSize() == std::vector<int64_t>{3});

  auto infer = [&](const Layer& layer, Shape s, const char* f) {
    ActivationInfo in{std::move(s), DimFormat(f)};
    return layer.inferOutput(std::span(&in, 1));
  };
  CHECK_THROWS_WITH_AS(infer(max, {3, 2, 5}, "CBT"),
                       doctest::Contains("layer 'pool1' (2-D Max Pooling): expects input with 2 S dims and C"), Error);
  CHECK_THROWS_WITH_AS(infer(max, {5, 5, 1}, "SSB"), doctest::Contains("layer 'pool1'"), Error);
  CHECK_THROWS_WITH_AS(infer(max, {1, 5, 3, 1}, "SSCB"),
                       doctest::Contains("layer 'pool1' (2-D Max Pooling): the pool size (2) is larger than the padded input"),
                       Error);
  CHECK_THROWS_WITH_AS(forwardOf(max, randomArray({4, 3, 2}, "SCB", 1)), doctest::Contains("layer 'pool1'"), Error);

  auto make = [](PoolOptions o, int d = 2) { return MaxPoolingLayer("bad", {.spatialDims = d, .pool = std::move(o)}); };
  CHECK_THROWS_WITH_AS(make(PoolOptions()), doctest::Contains("layer 'bad' (2-D Max Pooling): the pool size is required"), Error);
  CHECK_THROWS_WITH_AS(make(opts({2, 2, 2})), doctest::Contains("pool size needs 1 or 2 values"), Error);
  CHECK_THROWS_WITH_AS(make(opts({2}, {0})), doctest::Contains("the stride must be positive"), Error);
  CHECK_THROWS_WITH_AS(make(opts({2}, {}, PoolPadding::explicitPad({2}, {0}))),
                       doctest::Contains("smaller than the pool size"), Error);
  CHECK_THROWS_WITH_AS(make(opts({2}, {}, PoolPadding::same(), true, true)),
                       doctest::Contains("ceilMode applies to explicit padding only"), Error);
  CHECK_THROWS_WITH_AS(make(opts({2}), 4), doctest::Contains("spatialDims must be 1, 2 or 3"), Error);
}

TEST_CASE("Pooling layers and maxPool/avgPool: sizes past int64 are errors, not wrapped sizes") {
  constexpr int64_t big = int64_t{1} << 62;
  constexpr int64_t maxInt = std::numeric_limits<int64_t>::max();
  auto infer = [](const Layer& layer, Shape s) {
    ActivationInfo in{std::move(s), DimFormat("SSCB")};
    return layer.inferOutput(std::span(&in, 1));
  };
  const Shape s{8, 7, 2, 3};
  const Array x = randomArray(s, "SSCB", 4);

  // A stride past the input: one window ('same', and ceil mode with a partial window).
  for (const PoolOptions& o : {opts({3}, {maxInt}, PoolPadding::same()),
                               opts({3}, {maxInt}, PoolPadding::explicitPad({1}, {1}), true, true)}) {
    const MaxPoolingLayer layer("pool", {.pool = o});
    CHECK(infer(layer, s) == ActivationInfo{Shape{1, 1, 2, 3}, DimFormat("SSCB")});
    CHECK(infoOf(forwardOf(layer, x)) == infer(layer, s));
    CHECK(avgPool(x, o).shape() == Shape{1, 1, 2, 3});
  }
  // Windows and padding that fit but are far larger than the input.
  const MaxPoolingLayer wide("wide", {.pool = opts({big, 3}, {1}, PoolPadding::explicitPad({big - 1, 0}, {0, 0}))});
  CHECK(infer(wide, s) == ActivationInfo{Shape{8, 5, 2, 3}, DimFormat("SSCB")});
  const MaxPoolingLayer ceil("ceil", {.pool = opts({big}, {big}, PoolPadding::explicitPad({big - 1}, {0}), true, true)});
  CHECK(infer(ceil, s) == ActivationInfo{Shape{2, 2, 2, 3}, DimFormat("SSCB")});
  // The padded input.
  const PoolOptions huge = opts({maxInt}, {1}, PoolPadding::explicitPad({maxInt - 1}, {maxInt - 1}));
  CHECK_THROWS_WITH_AS(infer(MaxPoolingLayer("huge", {.pool = huge}), s),
                       doctest::Contains("layer 'huge' (2-D Max Pooling): the padded input (8 + 9223372036854775806 + "
                                         "9223372036854775806) in pooled dim 1 does not fit in int64"),
                       Error);
  CHECK_THROWS_WITH_AS(maxPool(x, huge),
                       doctest::Contains("maxPool: the padded input (8 + 9223372036854775806 + 9223372036854775806) in "
                                         "pooled dimension 1 does not fit in int64"),
                       Error);
}
