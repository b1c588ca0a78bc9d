#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "autodiff/norm.h"
#include "dlcam.h"
#include "tests/support/gradcheck.h"

using namespace dlcam;
using dlcam::test::checkGradients;
using dlcam::test::expectClose;
using dlcam::test::expectValues;
using dlcam::test::randomArray;
using dlcam::test::randomArray32;

namespace {

// Column-major subscripts of linear index k.
std::vector<int64_t> subscripts(const Shape& s, int64_t k) {
  std::vector<int64_t> sub(static_cast<size_t>(s.rank()));
  for (int d = 0; d < s.rank(); ++d) {
    sub[static_cast<size_t>(d)] = k % s[d];
    k /= s[d];
  }
  return sub;
}

// For every element, a key shared exactly by the elements whose subscripts agree outside
// `normDims`: the normalisation group it belongs to.
std::vector<int64_t> groupKeys(const Shape& s, const std::vector<int>& normDims) {
  std::vector<int64_t> keys;
  for (int64_t k = 0; k < s.numel(); ++k) {
    std::vector<int64_t> sub = subscripts(s, k);
    for (int d : normDims) sub[static_cast<size_t>(d)] = 0;
    int64_t key = 0;
    for (int d = s.rank() - 1; d >= 0; --d) key = key * s[d] + sub[static_cast<size_t>(d)];
    keys.push_back(key);
  }
  return keys;
}

struct GroupStats {
  std::map<int64_t, double> mean, biasedVar, unbiasedVar;
};

// Mean and variances of each group by explicit loops (two passes).
GroupStats groupStats(const Array& x, const std::vector<int64_t>& keys) {
  GroupStats st;
  std::map<int64_t, double> sum, count, sq;
  for (int64_t k = 0; k < x.numel(); ++k) {
    sum[keys[static_cast<size_t>(k)]] += x.value().at(k);
    count[keys[static_cast<size_t>(k)]] += 1;
  }
  for (auto& [key, s] : sum) st.mean[key] = s / count[key];
  for (int64_t k = 0; k < x.numel(); ++k) {
    int64_t key = keys[static_cast<size_t>(k)];
    sq[key] += std::pow(x.value().at(k) - st.mean[key], 2);
  }
  for (auto& [key, s] : sq) {
    st.biasedVar[key] = s / count[key];
    st.unbiasedVar[key] = s / (count[key] - 1);
  }
  return st;
}

int64_t channelOf(const Array& x, int64_t k) {
  return subscripts(x.shape(), k)[static_cast<size_t>(x.format().find('C'))];
}

std::vector<int> allBut(const Array& x, char label) {
  std::vector<int> dims;
  for (int d = 0; d < x.rank(); ++d)
    if (x.format()[d] != label) dims.push_back(d);
  return dims;
}

// y = scale_c·(x − mean_g)/sqrt(var_g + ε) + offset_c with group statistics.
std::vector<double> normalizeRef(const Array& x, const std::vector<int64_t>& keys,
                                 const std::map<int64_t, double>& mean, const std::map<int64_t, double>& var,
                                 const Array& offset, const Array& scale, double eps) {
  std::vector<double> y;
  for (int64_t k = 0; k < x.numel(); ++k) {
    int64_t key = keys[static_cast<size_t>(k)], c = channelOf(x, k);
    y.push_back(scale.value().at(c) * (x.value().at(k) - mean.at(key)) / std::sqrt(var.at(key) + eps) +
                offset.value().at(c));
  }
  return y;
}

struct Layout {
  Shape shape;
  const char* format;
};

// Odd sizes, batch > 1, C = 3.
const std::vector<Layout> kLayouts = {
    {{5, 7, 3, 2}, "SSCB"}, {{3, 5, 3}, "CBT"}, {{3, 5, 3, 3, 2}, "SSSCB"}, {{3, 5}, "CB"}, {{7, 3, 3}, "SCB"}};

}  // namespace

TEST_CASE("batchNorm inference: forward against a naive loop") {
  const double eps = 1e-3;
  for (const Layout& l : kLayouts) {
    CAPTURE(l.format);
    Array x = randomArray(l.shape, l.format, 1, -2, 3);
    Array offset = randomArray({3}, "C", 2), scale = randomArray({1, 1, 3}, "", 3, 0.5, 1.5);
    Array mean = randomArray({3}, "", 4), var = randomArray({3, 1}, "CU", 5, 0.2, 2);
    std::vector<int64_t> keys = groupKeys(x.shape(), allBut(x, 'C'));
    std::map<int64_t, double> m, v;
    for (int64_t k = 0; k < x.numel(); ++k) {
      m[keys[static_cast<size_t>(k)]] = mean.value().at(channelOf(x, k));
      v[keys[static_cast<size_t>(k)]] = var.value().at(channelOf(x, k));
    }
    Array y = batchNorm(x, offset, scale, mean, var, {eps});
    CHECK(y.format() == x.format());
    CHECK(y.shape() == x.shape());
    expectValues(y, normalizeRef(x, keys, m, v, offset, scale, eps));
  }
}

TEST_CASE("batchNormTrain: batch statistics per channel, biased for y, unbiased returned") {
  for (const Layout& l : kLayouts) {
    CAPTURE(l.format);
    Array x = randomArray(l.shape, l.format, 6, -1, 4);
    Array offset = randomArray({3}, "C", 7), scale = randomArray({3}, "C", 8, 0.5, 1.5);
    std::vector<int64_t> keys = groupKeys(x.shape(), allBut(x, 'C'));
    GroupStats st = groupStats(x, keys);
    BatchNormTrainResult r = batchNormTrain(x, offset, scale);
    expectValues(r.y, normalizeRef(x, keys, st.mean, st.biasedVar, offset, scale, 1e-5));
    REQUIRE(r.mean.shape() == Shape{3});
    REQUIRE(r.variance.shape() == Shape{3});
    for (int64_t k = 0; k < x.numel(); ++k) {
      int64_t key = keys[static_cast<size_t>(k)], c = channelOf(x, k);
      CHECK(r.mean.at(c) == doctest::Approx(st.mean[key]).epsilon(1e-12));
      CHECK(r.variance.at(c) == doctest::Approx(st.unbiasedVar[key]).epsilon(1e-12));
    }
  }
}

TEST_CASE("layerNorm: both modes and Auto against a naive loop") {
  const double eps = 1e-4;
  for (const Layout& l : kLayouts) {
    for (LayerNormDims dims : {LayerNormDims::Auto, LayerNormDims::Channel, LayerNormDims::SpatialChannel}) {
      CAPTURE(l.format);
      CAPTURE(static_cast<int>(dims));
      Array x = randomArray(l.shape, l.format, 9, -2, 1);
      Array offset = randomArray({3}, "C", 10), scale = randomArray({3}, "", 11, 0.5, 1.5);
      const bool hasT = x.format().find('T') >= 0;
      const bool spatial = dims == LayerNormDims::SpatialChannel || (dims == LayerNormDims::Auto && !hasT);
      std::vector<int> normDims = spatial ? x.format().dimsOf("SC") : x.format().dimsOf("C");
      std::vector<int64_t> keys = groupKeys(x.shape(), normDims);
      GroupStats st = groupStats(x, keys);
      Array y = layerNorm(x, offset, scale, {eps, dims});
      CHECK(y.format() == x.format());
      expectValues(y, normalizeRef(x, keys, st.mean, st.biasedVar, offset, scale, eps));
    }
  }
}

TEST_CASE("layerNorm and batchNorm: tiles and threads on larger arrays match the naive loop") {
  // 17·19 = 323 positions per image (more than one row tile); 46k elements take the threaded
  // path; 300 observations of "CB" span two row tiles of the contiguous-channel layout.
  for (Layout l : {Layout{{17, 19, 5, 29}, "SSCB"}, Layout{{5, 300}, "CB"}, Layout{{5, 97, 71}, "CBT"}}) {
    CAPTURE(l.format);
    Array x = randomArray(l.shape, l.format, 12, -1, 2);
    Array offset = randomArray({5}, "C", 13), scale = randomArray({5}, "C", 14, 0.5, 1.5);
    for (bool spatial : {false, true}) {
      std::vector<int64_t> keys = groupKeys(x.shape(), spatial ? x.format().dimsOf("SC") : x.format().dimsOf("C"));
      GroupStats st = groupStats(x, keys);
      Array y = layerNorm(x, offset, scale, {1e-5, spatial ? LayerNormDims::SpatialChannel : LayerNormDims::Channel});
      expectValues(y, normalizeRef(x, keys, st.mean, st.biasedVar, offset, scale, 1e-5));
    }
    std::vector<int64_t> keys = groupKeys(x.shape(), allBut(x, 'C'));
    GroupStats st = groupStats(x, keys);
    expectValues(batchNormTrain(x, offset, scale).y, normalizeRef(x, keys, st.mean, st.biasedVar, offset, scale, 1e-5));
  }
}

TEST_CASE("batchNorm inference: gradients of x, offset and scale, none for mean and variance") {
  for (const Layout& l : {kLayouts[0], kLayouts[1], kLayouts[2]}) {
    CAPTURE(l.format);
    Array x = randomArray(l.shape, l.format, 15, -2, 2);
    Array mean = randomArray({3}, "C", 16), var = randomArray({3}, "C", 17, 0.2, 2);
    checkGradients([&](const std::vector<Array>& in) { return batchNorm(in[0], in[1], in[2], mean, var); },
                   {x, randomArray({3}, "C", 18), randomArray({1, 1, 3}, "", 19, 0.5, 1.5)});
  }
  Array x = randomArray({5, 7, 3, 2}, "SSCB", 20);
  Array offset = randomArray({3}, "C", 21), scale = randomArray({3}, "C", 22), mean = randomArray({3}, "C", 23);
  Array var = randomArray({3}, "C", 24, 0.2, 2);
  Tape tape;
  tape.watch(x);
  tape.watch(mean);
  tape.watch(var);
  Array s = sum(batchNorm(x, offset, scale, mean, var) * x);
  std::vector<Array> g = tape.gradient(s, {mean, var});
  for (const Array& gi : g)
    for (int64_t c = 0; c < 3; ++c) CHECK(gi.value().at(c) == 0.0);
}

TEST_CASE("batchNormTrain: gradients through the batch statistics") {
  for (const Layout& l : {kLayouts[0], kLayouts[1], kLayouts[2], kLayouts[3]}) {
    CAPTURE(l.format);
    checkGradients(
        [](const std::vector<Array>& in) { return batchNormTrain(in[0], in[1], in[2]).y; },
        {randomArray(l.shape, l.format, 25, -2, 2), randomArray({3}, "C", 26), randomArray({3}, "", 27, 0.5, 1.5)});
  }
}

TEST_CASE("layerNorm: gradients in both modes") {
  for (const Layout& l : {kLayouts[0], kLayouts[1], kLayouts[2], kLayouts[4]}) {
    for (LayerNormDims dims : {LayerNormDims::Channel, LayerNormDims::SpatialChannel}) {
      CAPTURE(l.format);
      CAPTURE(static_cast<int>(dims));
      checkGradients(
          [dims](const std::vector<Array>& in) {
            return layerNorm(in[0], in[1], in[2], {1e-5, dims});
          },
          {randomArray(l.shape, l.format, 28, -2, 2), randomArray({3}, "C", 29), randomArray({3}, "C", 30, 0.5, 1.5)});
    }
  }
}

TEST_CASE("batchNorm and layerNorm: gradient of x alone matches the one computed with all inputs") {
  // Only x traced: the backward runs without x̂ where it is not needed (inference batchNorm).
  Array x = randomArray({5, 7, 3, 2}, "SSCB", 31), offset = randomArray({3}, "C", 32);
  Array scale = randomArray({3}, "C", 33, 0.5, 1.5), mean = randomArray({3}, "C", 34);
  Array var = randomArray({3}, "C", 35, 0.2, 2), w = randomArray({5, 7, 3, 2}, "SSCB", 36);
  std::vector<std::function<Array(const Array&, const Array&, const Array&)>> fs = {
      [&](const Array& a, const Array& o, const Array& s) { return batchNorm(a, o, s, mean, var); },
      [&](const Array& a, const Array& o, const Array& s) { return batchNormTrain(a, o, s).y; },
      [&](const Array& a, const Array& o, const Array& s) { return layerNorm(a, o, s); }};
  for (size_t i = 0; i < fs.size(); ++i) {
    CAPTURE(i);
    Array gAll, gX, gScale;
    {
      Tape tape;
      Array xa = x, oa = offset, sa = scale;
      tape.watch(xa);
      tape.watch(oa);
      tape.watch(sa);
      std::vector<Array> g = tape.gradient(sum(fs[i](xa, oa, sa) * w), {xa, sa});
      gAll = g[0];
      gScale = g[1];
    }
    {
      Tape tape;
      Array xa = x;
      tape.watch(xa);
      gX = tape.gradient(sum(fs[i](xa, offset, scale) * w), xa);
    }
    expectClose(gX.value(), gAll.value(), 1e-14, 1e-14, "x gradient");
    {
      Tape tape;
      Array sa = scale;
      tape.watch(sa);
      expectClose(tape.gradient(sum(fs[i](x, offset, sa) * w), sa).value(), gScale.value(), 1e-14, 1e-14,
                  "scale gradient");
    }
  }
}

TEST_CASE("batchNorm and layerNorm: float32 matches float64") {
  Array x64 = randomArray({5, 7, 3, 2}, "SSCB", 37, -2, 3), x32 = randomArray32({5, 7, 3, 2}, "SSCB", 37, -2, 3);
  Array off = randomArray32({3}, "C", 38), sc = randomArray32({3}, "C", 39, 0.5, 1.5);
  Array mean = randomArray32({3}, "C", 40), var = randomArray32({3}, "C", 41, 0.2, 2);
  auto cmp = [](const Array& a32, const Array& a64, const char* what) {
    CHECK(a32.dtype() == DType::Float32);
    expectClose(a32.value().to(DType::Float64), a64.value(), 1e-5, 1e-5, what);
  };
  // Float32 parameters are used in x's dtype, so the float64 run sees the same values.
  cmp(batchNorm(x32, off, sc, mean, var), batchNorm(x64, off, sc, mean, var), "batchNorm");
  BatchNormTrainResult r32 = batchNormTrain(x32, off, sc), r64 = batchNormTrain(x64, off, sc);
  cmp(r32.y, r64.y, "batchNormTrain");
  CHECK(r32.mean.dtype() == DType::Float32);
  expectClose(r32.variance.to(DType::Float64), r64.variance, 1e-5, 1e-6, "batch variance");
  cmp(layerNorm(x32, off, sc, {1e-5, LayerNormDims::Channel}), layerNorm(x64, off, sc, {1e-5, LayerNormDims::Channel}),
      "layerNorm channel");
  cmp(layerNorm(x32, off, sc), layerNorm(x64, off, sc), "layerNorm spatial-channel");
}

TEST_CASE("batchNorm and layerNorm: parameter gradients keep the parameter's shape and dtype") {
  Array x = randomArray32({5, 7, 3, 2}, "SSCB", 42);
  Array offset = randomArray({1, 1, 3}, "", 43), scale = randomArray({3}, "C", 44, 0.5, 1.5);
  Tape tape;
  tape.watch(x);
  tape.watch(offset);
  tape.watch(scale);
  Array y = layerNorm(x, offset, scale);
  CHECK(y.dtype() == DType::Float32);
  std::vector<Array> g = tape.gradient(sum(y), {x, offset, scale});
  CHECK(g[0].dtype() == DType::Float32);
  CHECK(g[1].shape() == Shape{1, 1, 3});
  CHECK(g[1].dtype() == DType::Float64);
  CHECK(g[2].shape() == Shape{3});
  // d Σy / d offset_c counts the elements of channel c.
  for (int64_t c = 0; c < 3; ++c) CHECK(g[1].value().at(c) == 70.0);
}

TEST_CASE("batchNorm and layerNorm: zero-sized batches do not crash") {
  Array x(Tensor::zeros({5, 7, 3, 0}), "SSCB");
  Array p = Array(Tensor::full({3}, 1.0), "C");
  CHECK(batchNorm(x, p, p, p, p).shape() == x.shape());
  CHECK(layerNorm(x, p, p).numel() == 0);
  CHECK(layerNorm(x, p, p, {1e-5, LayerNormDims::Channel}).numel() == 0);
  Array none(Tensor::zeros({4, 0}), "BC");
  Array empty(Tensor::zeros({0}), "C");
  CHECK(batchNormTrain(none, empty, empty).y.numel() == 0);
}

TEST_CASE("batchNorm and layerNorm: errors name the function, the expected and the given value") {
  Array x = randomArray({5, 7, 3, 2}, "SSCB", 45);
  Array p3 = Array(Tensor::full({3}, 1.0), "C"), p4 = Array(Tensor::full({4}, 1.0), "C");
  CHECK_THROWS_WITH_AS(batchNorm(randomArray({5, 7, 2}, "SSB", 1), p3, p3, p3, p3),
                       doctest::Contains("batchNorm: x must have a C (channel) dimension, got format \"SSB\""), Error);
  CHECK_THROWS_WITH_AS(batchNorm(x, p3, p4, p3, p3),
                       doctest::Contains("scale has 4 elements (shape 4) but x has 3 channels"), Error);
  CHECK_THROWS_WITH_AS(batchNorm(x, p3, p3, p3, p4), doctest::Contains("variance has 4 elements"), Error);
  CHECK_THROWS_WITH_AS(batchNorm(x, p3, p3, p3, p3, {0.0}), doctest::Contains("epsilon must be positive, got 0"),
                       Error);
  std::vector<float> v = {1, -0.5f, 2};
  CHECK_THROWS_WITH_AS(batchNorm(x, p3, p3, p3, Array::fromValues(Shape{3}, std::span<const float>(v))),
                       doctest::Contains("variance must be non-negative, got -0.5 for channel 1"), Error);
  CHECK_THROWS_WITH_AS(batchNormTrain(x, p4, p3), doctest::Contains("batchNormTrain: offset has 4 elements"), Error);
  CHECK_THROWS_WITH_AS(batchNormTrain(randomArray({3, 1}, "CB", 1), p3, p3),
                       doctest::Contains("at least 2 values per channel"), Error);
  CHECK_THROWS_WITH_AS(layerNorm(randomArray({3, 2}, "", 1), p3, p3),
                       doctest::Contains("layerNorm: x must have a C (channel) dimension, got format \"UU\""), Error);
  CHECK_THROWS_WITH_AS(layerNorm(x, p4, p3), doctest::Contains("layerNorm: offset has 4 elements"), Error);
  CHECK_THROWS_WITH_AS(layerNorm(x, p3, p3, {-1e-5}), doctest::Contains("layerNorm: epsilon must be positive"), Error);
  CHECK_THROWS_WITH_AS(layerNorm(x, p3, Array()), doctest::Contains("scale has no value"), Error);
}
