#include <doctest/doctest.h>

#include <cmath>
#include <functional>

#include "dlcam.h"
#include "layers/input_layers.h"
#include "tests/support/gradcheck.h"
#include "tests/layers/layer_test_util.h"

using namespace dlcam;
using dlcam::test::forwardOf;
using dlcam::test::values;
using dlcam::test::expectValues;
using dlcam::test::randomArray;

namespace {

// (x − shift(k)) / divisor(k) for every element k of x, by a plain loop.
std::vector<double> normalized(const Array& x, const std::function<double(int64_t)>& shift,
                               const std::function<double(int64_t)>& divisor) {
  std::vector<double> out;
  for (int64_t k = 0; k < x.numel(); ++k) out.push_back((x.value().at(k) - shift(k)) / divisor(k));
  return out;
}

}  // namespace

TEST_CASE("Image input layer: declared input, description and pass-through without normalisation") {
  ImageInputLayer layer("in", {.size = {5, 7, 3}});
  CHECK(layer.type() == "Image Input");
  CHECK(layer.description() == "5×7×3 images");
  CHECK(layer.inputInfo() == ActivationInfo{Shape{5, 7, 3, 1}, DimFormat("SSCB")});
  CHECK(layer.inputSize() == std::vector<int64_t>{5, 7, 3});
  CHECK(layer.numLearnables() == 0);
  const ActivationInfo declared = layer.inputInfo();
  CHECK(layer.inferOutput(std::span(&declared, 1)) == declared);
  Array x = randomArray({5, 7, 3, 2}, "SSCB", 1);
  Array y = forwardOf(layer, x);
  CHECK(y.format().str() == "SSCB");
  expectValues(y, normalized(x, [](int64_t) { return 0.0; }, [](int64_t) { return 1.0; }));
  // [h w] means one channel, as MATLAB's InputSize.
  CHECK(ImageInputLayer("gray", {.size = {28, 28}}).inputInfo().size == Shape{28, 28, 1, 1});
}

TEST_CASE("Input normalisation by hand on feature input: zscore, zerocenter and rescale-zero-one") {
  Array x = values({2, 2}, {1, 2, 3, 4}, "CB");  // channel 0: 1, 3; channel 1: 2, 4
  FeatureInputLayer zscore("f", {.channels = 2,
                                 .normalization = {.kind = Normalization::ZScore,
                                                   .mean = values({2}, {1, 2}),
                                                   .standardDeviation = values({2}, {2, 4})}});
  expectValues(forwardOf(zscore, x), {0, 0, 1, 0.5}, 1e-7);
  CHECK(zscore.description() == "2 features with 'zscore' normalization");
  CHECK(zscore.type() == "Feature Input");

  FeatureInputLayer center("f", {.channels = 2,
                                 .normalization = {.kind = Normalization::ZeroCenter, .mean = values({2}, {1, 2})}});
  expectValues(forwardOf(center, x), {0, 0, 2, 2}, 1e-7);

  FeatureInputLayer rescale("f", {.channels = 2,
                                  .normalization = {.kind = Normalization::RescaleZeroOne,
                                                    .min = values({2}, {0, 2}),
                                                    .max = values({2}, {4, 6})}});
  expectValues(forwardOf(rescale, x), {0.25, 0, 0.75, 0.5}, 1e-7);

  // One value for every element.
  FeatureInputLayer scalar("f", {.channels = 2,
                                 .normalization = {.kind = Normalization::ZScore,
                                                   .mean = values({1}, {1}),
                                                   .standardDeviation = values({1}, {2})}});
  expectValues(forwardOf(scalar, x), {0, 0.5, 1, 1.5}, 1e-7);
}

TEST_CASE("Image input normalisation with per-channel and full-size statistics") {
  const int64_t h = 3, w = 5, c = 2, n = 3;
  Array x = randomArray({h, w, c, n}, "SSCB", 2, -2, 2);
  auto channelOf = [&](int64_t k) { return (k / (h * w)) % c; };
  auto pixelOf = [&](int64_t k) { return k % (h * w * c); };  // index into an h×w×c statistic

  Array meanC = randomArray({1, 1, c}, "", 3), stdC = randomArray({c}, "", 4, 0.5, 2);
  Array meanFull = randomArray({h, w, c}, "", 5), stdFull = randomArray({h, w, c}, "", 6, 0.5, 2);
  Array lo = randomArray({h, w, c}, "", 7, -3, -2), hi = randomArray({h, w, c}, "", 8, 2, 3);
  auto perChannel = [&](const Array& a) { return [a, channelOf](int64_t k) { return a.value().at(channelOf(k)); }; };
  auto full = [&](const Array& a) { return [a, pixelOf](int64_t k) { return a.value().at(pixelOf(k)); }; };
  auto one = [](int64_t) { return 1.0; };

  SUBCASE("zerocenter per channel") {
    ImageInputLayer layer("in", {.size = {h, w, c}, .normalization = {.kind = Normalization::ZeroCenter, .mean = meanC}});
    expectValues(forwardOf(layer, x), normalized(x, perChannel(meanC), one), 1e-6);
    CHECK(layer.description() == "3×5×2 images with 'zerocenter' normalization");
  }
  SUBCASE("zerocenter full size") {
    ImageInputLayer layer("in", {.size = {h, w, c}, .normalization = {.kind = Normalization::ZeroCenter, .mean = meanFull}});
    expectValues(forwardOf(layer, x), normalized(x, full(meanFull), one), 1e-6);
  }
  SUBCASE("zscore per channel") {
    ImageInputLayer layer("in", {.size = {h, w, c},
                                 .normalization = {.kind = Normalization::ZScore, .mean = meanC, .standardDeviation = stdC}});
    expectValues(forwardOf(layer, x), normalized(x, perChannel(meanC), perChannel(stdC)), 1e-6);
  }
  SUBCASE("zscore full size, mixed with a per-channel deviation") {
    ImageInputLayer layer("in", {.size = {h, w, c},
                                 .normalization = {.kind = Normalization::ZScore, .mean = meanFull, .standardDeviation = stdC}});
    expectValues(forwardOf(layer, x), normalized(x, full(meanFull), perChannel(stdC)), 1e-6);
  }
  SUBCASE("rescale-zero-one full size") {
    ImageInputLayer layer("in", {.size = {h, w, c},
                                 .normalization = {.kind = Normalization::RescaleZeroOne, .min = lo, .max = hi}});
    auto range = [&](int64_t k) { return hi.value().at(pixelOf(k)) - lo.value().at(pixelOf(k)); };
    expectValues(forwardOf(layer, x), normalized(x, full(lo), range), 1e-6);
  }
  SUBCASE("rescale-zero-one per channel, float32 input") {
    Array lc = values({c}, {-2, -1}), hc = values({c}, {2, 3});
    ImageInputLayer layer("in", {.size = {h, w, c},
                                 .normalization = {.kind = Normalization::RescaleZeroOne, .min = lc, .max = hc}});
    Array x32(x.value().to(DType::Float32), x.format());
    Array y = forwardOf(layer, x32);
    CHECK(y.dtype() == DType::Float32);
    auto range = [&](int64_t k) { return hc.value().at(channelOf(k)) - lc.value().at(channelOf(k)); };
    expectValues(y, normalized(x32, perChannel(lc), range), 1e-6);
  }
}

TEST_CASE("3-D image and sequence input layers declare their input and check T") {
  Image3dInputLayer vol("vol", {.size = {4, 5, 6, 2}});
  CHECK(vol.type() == "3-D Image Input");
  CHECK(vol.description() == "4×5×6×2 images");
  CHECK(vol.inputInfo() == ActivationInfo{Shape{4, 5, 6, 2, 1}, DimFormat("SSSCB")});
  Array xv = randomArray({4, 5, 6, 2, 3}, "SSSCB", 1);
  CHECK(forwardOf(vol, xv).shape() == xv.shape());

  SequenceInputLayer any("seq", {.channels = 3});
  CHECK(any.type() == "Sequence Input");
  CHECK(any.description() == "Sequence input with 3 dimensions");
  CHECK(any.inputInfo() == ActivationInfo{Shape{3, 1, 1}, DimFormat("CBT")});
  CHECK(forwardOf(any, randomArray({3, 2, 7}, "CBT", 2)).shape() == Shape{3, 2, 7});
  CHECK(forwardOf(any, randomArray({3, 2, 4}, "CBT", 3)).shape() == Shape{3, 2, 4});

  SequenceInputLayer fixed("seq", {.channels = 3, .length = 5});
  CHECK(fixed.inputInfo() == ActivationInfo{Shape{3, 1, 5}, DimFormat("CBT")});
  CHECK(fixed.description() == "Sequence input with 3 dimensions and length 5");
  CHECK(forwardOf(fixed, randomArray({3, 2, 5}, "CBT", 4)).shape() == Shape{3, 2, 5});
  CHECK_THROWS_WITH_AS(forwardOf(fixed, randomArray({3, 2, 4}, "CBT", 4)),
                       doctest::Contains("layer 'seq' (Sequence Input): expects input 3(C) × any(B) × 5(T)"), Error);

  // Sequence normalisation per channel, broadcast over B and T.
  SequenceInputLayer centered("seq", {.channels = 2, .normalization = {.kind = Normalization::ZeroCenter,
                                                                         .mean = values({2}, {1, -1})}});
  expectValues(forwardOf(centered, values({2, 1, 2}, {1, 1, 2, 2}, "CBT")), {0, 2, 1, 3}, 1e-7);
}

TEST_CASE("Input layers reject data of the wrong format or size, naming the layer") {
  ImageInputLayer image("pixels", {.size = {5, 7, 3}});
  CHECK_THROWS_WITH_AS(forwardOf(image, randomArray({5, 7, 4, 2}, "SSCB", 1)),
                       doctest::Contains("layer 'pixels' (Image Input): expects input 5(S) × 7(S) × 3(C) × any(B) "
                                         "(\"SSCB\"), got 5(S) × 7(S) × 4(C) × 2(B)"),
                       Error);
  CHECK_THROWS_WITH_AS(forwardOf(image, randomArray({5, 7, 3}, "SSC", 1)), doctest::Contains("layer 'pixels'"), Error);
  CHECK_THROWS_WITH_AS(forwardOf(image, randomArray({7, 5, 3, 1}, "SSCB", 1)), doctest::Contains("got 7(S) × 5(S)"),
                       Error);
  FeatureInputLayer features("feat", {.channels = 4});
  CHECK_THROWS_WITH_AS(forwardOf(features, randomArray({4, 2, 3}, "CBT", 1)),
                       doctest::Contains("layer 'feat' (Feature Input): expects input 4(C) × any(B) (\"CB\")"), Error);
  SequenceInputLayer seq("seq", {.channels = 4});
  CHECK_THROWS_WITH_AS(forwardOf(seq, randomArray({4, 2}, "CB", 1)), doctest::Contains("layer 'seq'"), Error);
}

TEST_CASE("Input layers check their options and statistics at construction") {
  auto stat = [](std::vector<double> v) { return values({static_cast<int64_t>(v.size())}, v); };
  CHECK_THROWS_WITH_AS(ImageInputLayer("in", {.size = {5, 7, 3, 2}}),
                       doctest::Contains("layer 'in' (Image Input): size needs 2 or 3 values"), Error);
  CHECK_THROWS_WITH_AS(ImageInputLayer("in", {.size = {5, 0, 3}}), doctest::Contains("sizes must be positive"), Error);
  CHECK_THROWS_WITH_AS(FeatureInputLayer("in", {.channels = 0}), doctest::Contains("channels must be positive"), Error);
  CHECK_THROWS_WITH_AS(SequenceInputLayer("in", {.channels = 2, .length = 0}), doctest::Contains("length must be positive"),
                       Error);
  CHECK_THROWS_WITH_AS(
      FeatureInputLayer("in", {.channels = 2, .normalization = {.kind = Normalization::ZScore, .mean = stat({1, 2})}}),
      doctest::Contains("layer 'in' (Feature Input): 'zscore' normalization needs standardDeviation"), Error);
  CHECK_THROWS_WITH_AS(FeatureInputLayer("in", {.channels = 2, .normalization = {.mean = stat({1, 2})}}),
                       doctest::Contains("mean is given, but 'none' normalization does not use it"), Error);
  CHECK_THROWS_WITH_AS(
      ImageInputLayer("in", {.size = {2, 2, 3}, .normalization = {.kind = Normalization::ZeroCenter, .mean = stat({1, 2})}}),
      doctest::Contains("mean needs 1 value, 3 (one per channel) or 12 (one per input element), got 2"), Error);
  CHECK_THROWS_WITH_AS(FeatureInputLayer("in", {.channels = 2,
                                                .normalization = {.kind = Normalization::ZScore,
                                                                  .mean = stat({1, 2}),
                                                                  .standardDeviation = stat({1, 0})}}),
                       doctest::Contains("standardDeviation must be positive, got 0 at element 1"), Error);
  CHECK_THROWS_WITH_AS(FeatureInputLayer("in", {.channels = 2,
                                                .normalization = {.kind = Normalization::RescaleZeroOne,
                                                                  .min = stat({1, 2}),
                                                                  .max = stat({3, 2})}}),
                       doctest::Contains("max must be greater than min everywhere"), Error);
}
