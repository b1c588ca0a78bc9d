// gradCAM on small hand-built networks, against maps derived by hand.
//
// Every network here ends in global average pooling → fully connected (→ softmax), so the
// gradient of a class score with respect to a feature map A (K channels, P positions) above
// the pooling has a closed form that does not use the tape:
//   reduction = fc:       dz_c/dA_k(p) = W(c, k) / P
//   reduction = softmax:  dy_c/dA_k(p) = (1/P) · sum_m y_c (δ_cm − y_m) W(m, k)
// constant over positions, so alpha_k is that value and the map is ReLU(sum_k alpha_k A_k).
// A itself comes from Network::predict (tested elsewhere).
#include <doctest/doctest.h>

#include <cmath>

#include "autodiff/reduce.h"
#include "autodiff/resize.h"
#include "autodiff/shape_ops.h"
#include "core/error.h"
#include "gradcam/gradcam.h"
#include "layers/activation_layers.h"
#include "layers/conv_layer.h"
#include "layers/fully_connected_layer.h"
#include "layers/input_layers.h"
#include "layers/pool_layers.h"
#include "layers/simple_layers.h"
#include "tests/support/gradcheck.h"

namespace dlcam {
namespace {

using test::expectClose;
using test::randomArray32;

constexpr int64_t kClasses = 4;

// input → conv (3×…×3 'same', 3 filters) "conv" → relu "relu" [→ max pool 2 "pool"] →
// global average pool "gap" → fc (4) "fc" → softmax "prob".
// dims: 1 (sequences of any length, c = 2, causal conv), 2 (6×8×2 images) or 3 (4×6×5×2
// volumes). Sequences get no pooling: a network is initialized for its declared input, which
// for sequences of any length has T = 1, too short for a pooling window.
Network makeNet(int dims, bool pool = true) {
  pool = pool && dims > 1;
  Network net;
  if (dims == 1) net.add(std::make_shared<SequenceInputLayer>("input", SequenceInputOptions{.channels = 2}));
  if (dims == 2) net.add(std::make_shared<ImageInputLayer>("input", ImageInputOptions{.size = {6, 8, 2}}));
  if (dims == 3) net.add(std::make_shared<Image3dInputLayer>("input", ImageInputOptions{.size = {4, 6, 5, 2}}));
  std::vector<int64_t> w(static_cast<size_t>(dims), 3);
  w.push_back(2);
  w.push_back(3);
  std::string wf = std::string(static_cast<size_t>(dims), 'S') + "CU";
  ConvOptions conv;
  conv.padding = dims == 1 ? ConvPadding::causal() : ConvPadding::same();
  net.add(std::make_shared<ConvolutionLayer>(
      "conv", ConvolutionOptions{.spatialDims = dims, .weights = Array(randomArray32(Shape(w), "", 11).value()),
                                 .bias = Array(randomArray32({3}, "", 12, 0.0, 0.5).value()), .conv = conv}));
  net.add(std::make_shared<ReluLayer>("relu"));
  if (pool) {
    PoolingOptions p{.spatialDims = dims};
    p.pool.size = {2};
    net.add(std::make_shared<MaxPoolingLayer>("pool", p));
  }
  net.add(std::make_shared<GlobalAveragePoolingLayer>("gap", dims));
  net.add(std::make_shared<FullyConnectedLayer>(
      "fc", FullyConnectedOptions{.weights = Array(randomArray32({kClasses, 3}, "", 13, -2, 2).value()),
                                  .bias = Array(randomArray32({kClasses}, "", 14).value())}));
  net.add(std::make_shared<SoftmaxLayer>("prob"));
  net.initialize();
  return net;
}

const Tensor& fcWeights(const Network& net) { return net.layer("fc").learnables()[0].value.value(); }

// X with a batch dimension of 1 when it has none ("SSC" → "SSCB", "CT" → "CBT"), for predict.
Array batched(const Array& X) {
  if (X.format().find('B') >= 0) return X;
  std::vector<int64_t> dims = X.shape().dims();
  std::string labels = X.format().str();
  const size_t at = static_cast<size_t>(X.format().find('C') + 1);
  dims.insert(dims.begin() + static_cast<std::ptrdiff_t>(at), 1);
  labels.insert(at, "B");
  return Array(X.value().reshaped(Shape(dims)), labels);
}

// The hand-derived map (no upsampling) of class c, feature layer `feature`, for one
// observation b of X: a tensor of the feature map's positions (S… or T), float64.
std::vector<double> expectedMap(const Network& net, const Array& X, const std::string& feature, int64_t c, int64_t b,
                                bool softmax) {
  auto acts = net.predict(batched(X), {feature, "prob"});
  const Array& A = acts[0];
  const DimFormat& f = A.format();
  const int64_t K = A.size(f.find('C')), B = A.size(f.find('B'));
  const bool sequence = f.find('T') >= 0;
  const int64_t P = A.numel() / (K * B);
  const Tensor a = A.value().to(DType::Float64);
  const Tensor y = acts[1].value().to(DType::Float64);
  const Tensor W = fcWeights(net).to(DType::Float64);  // kClasses × K
  auto yAt = [&](int64_t m) { return y.data<double>()[m + kClasses * b]; };
  // A(p, k) of observation b: "S…CB" → p + P·(k + K·b); "CBT" → k + K·(b + B·p).
  auto aAt = [&](int64_t p, int64_t k) {
    return sequence ? a.data<double>()[k + K * (b + B * p)] : a.data<double>()[p + P * (k + K * b)];
  };
  std::vector<double> alpha(static_cast<size_t>(K));
  for (int64_t k = 0; k < K; ++k) {
    double g = 0;
    if (!softmax) g = W.data<double>()[c + kClasses * k];
    else
      for (int64_t m = 0; m < kClasses; ++m) g += yAt(c) * ((m == c) - yAt(m)) * W.data<double>()[m + kClasses * k];
    alpha[static_cast<size_t>(k)] = g / static_cast<double>(P);
  }
  std::vector<double> map(static_cast<size_t>(P));
  for (int64_t p = 0; p < P; ++p) {
    double s = 0;
    for (int64_t k = 0; k < K; ++k) s += alpha[static_cast<size_t>(k)] * aAt(p, k);
    map[static_cast<size_t>(p)] = std::max(s, 0.0);
  }
  return map;
}

// Map n, observation b of a result, as doubles.
std::vector<double> slice(const GradCamResult& r, int64_t n, int64_t b) {
  const Shape& s = r.map.shape();
  const int64_t N = s[s.rank() - 2];
  const int64_t P = r.map.numel() / (N * s[s.rank() - 1]);
  const float* v = r.map.data<float>() + P * (n + N * b);
  return std::vector<double>(v, v + P);
}

void checkMap(const std::vector<double>& actual, const std::vector<double>& expected, const std::string& what) {
  REQUIRE(actual.size() == expected.size());
  double peak = 0, worst = 0;
  for (double e : expected) peak = std::max(peak, std::abs(e));
  for (size_t i = 0; i < actual.size(); ++i) worst = std::max(worst, std::abs(actual[i] - expected[i]));
  INFO(what << ": worst difference " << worst << ", map max " << peak);
  CHECK(peak > 0);  // a map that is all zero would prove nothing
  CHECK(worst <= 1e-5 * peak);
}

}  // namespace

TEST_CASE("gradCAM of a 2-D image net equals the hand-derived map, softmax and fc reduction") {
  Network net = makeNet(2);
  Array X = randomArray32({6, 8, 2}, "SSC", 21, 0, 1);
  for (int64_t c = 0; c < kClasses; ++c) {
    GradCamResult r = gradCAM(net, X, c, {.upsampling = Upsampling::None});
    CHECK(r.featureLayer == "pool");  // the last SSCB layer with non-singleton spatial dims
    CHECK(r.reductionLayer == "prob");
    CHECK(r.map.shape() == Shape{3, 4, 1, 1});
    CHECK(r.classes == std::vector<int64_t>{c});
    CHECK(r.scores[0] == doctest::Approx(net.predict(batched(X)).toVector()[static_cast<size_t>(c)]).epsilon(1e-6));
    // Some classes have an all-negative weighted sum, whose map is all zero: check those exactly.
    std::vector<double> expected = expectedMap(net, X, "pool", c, 0, true);
    if (*std::max_element(expected.begin(), expected.end()) > 0) checkMap(slice(r, 0, 0), expected, "softmax");
    else CHECK(*std::max_element(r.map.data<float>(), r.map.data<float>() + r.map.numel()) == 0.0f);

    GradCamResult logits = gradCAM(net, X, c, {.featureLayer = "relu", .reductionLayer = "fc", .upsampling = Upsampling::None});
    CHECK(logits.map.shape() == Shape{6, 8, 1, 1});
    expected = expectedMap(net, X, "relu", c, 0, false);
    if (*std::max_element(expected.begin(), expected.end()) > 0) checkMap(slice(logits, 0, 0), expected, "fc");
  }
}

TEST_CASE("gradCAM of 1-D sequence and 3-D volume nets equals the hand-derived map") {
  SUBCASE("sequence: map 1×t") {
    Network net = makeNet(1);
    Array X = randomArray32({2, 11}, "CT", 31, 0, 1);
    int nonzero = 0;
    for (int64_t c = 0; c < kClasses; ++c) {
      GradCamResult r = gradCAM(net, X, c, {.upsampling = Upsampling::None});
      CHECK(r.featureLayer == "relu");
      CHECK(r.map.shape() == Shape{1, 11, 1, 1});  // causal convolution keeps the length
      std::vector<double> expected = expectedMap(net, X, "relu", c, 0, true);
      if (*std::max_element(expected.begin(), expected.end()) == 0) continue;  // ReLU of a negative sum
      checkMap(slice(r, 0, 0), expected, "sequence");
      ++nonzero;
    }
    CHECK(nonzero >= 1);
    // Another length, with the same network.
    CHECK(gradCAM(net, randomArray32({2, 17}, "CT", 33, 0, 1), 2).map.shape() == Shape{1, 17, 1, 1});
  }
  SUBCASE("volume: map h×w×d") {
    Network net = makeNet(3);
    Array X = randomArray32({4, 6, 5, 2}, "SSSC", 32, 0, 1);
    GradCamResult r = gradCAM(net, X, 1, {.reductionLayer = "fc", .upsampling = Upsampling::None});
    CHECK(r.map.shape() == Shape{2, 3, 2, 1, 1});
    checkMap(slice(r, 0, 0), expectedMap(net, X, "pool", 1, 0, false), "volume");
    GradCamResult up = gradCAM(net, X, 1, {.reductionLayer = "fc"});
    CHECK(up.map.shape() == Shape{4, 6, 5, 1, 1});
  }
}

TEST_CASE("gradCAM upsamples with resize: imresize bicubic and nearest") {
  Network net = makeNet(2);
  Array X = randomArray32({6, 8, 2}, "SSC", 41, 0, 1);
  GradCamResult none = gradCAM(net, X, 0, {.reductionLayer = "fc", .upsampling = Upsampling::None});
  Array small(none.map.reshaped(Shape{3, 4}), "SS");
  for (Upsampling u : {Upsampling::Bicubic, Upsampling::Nearest}) {
    GradCamResult r = gradCAM(net, X, 0, {.reductionLayer = "fc", .upsampling = u});
    CHECK(r.map.shape() == Shape{6, 8, 1, 1});
    ResizeOptions o{.method = u == Upsampling::Bicubic ? ResizeMethod::Cubic : ResizeMethod::Nearest};
    expectClose(r.map.reshaped(Shape{6, 8}), resize(small, {6, 8}, o).value(), 0, 1e-6, upsamplingName(u));
  }
  // Nearest doubling repeats each value in a 2×2 block.
  GradCamResult nearest = gradCAM(net, X, 0, {.reductionLayer = "fc", .upsampling = Upsampling::Nearest});
  for (int64_t j = 0; j < 8; ++j)
    for (int64_t i = 0; i < 6; ++i)
      CHECK(nearest.map.data<float>()[i + 6 * j] == none.map.data<float>()[i / 2 + 3 * (j / 2)]);
}

TEST_CASE("gradCAM with a vector of classes equals one call per class, from one forward pass") {
  Network net = makeNet(2);
  Array X = randomArray32({6, 8, 2}, "SSC", 51, 0, 1);
  GradCamResult all = gradCAM(net, X, std::vector<int64_t>{3, 0, 2});
  CHECK(all.map.shape() == Shape{6, 8, 3, 1});
  CHECK(all.classes == std::vector<int64_t>{3, 0, 2});
  const int64_t cls[] = {3, 0, 2};
  for (int64_t n = 0; n < 3; ++n) {
    GradCamResult one = gradCAM(net, X, cls[n]);
    CHECK(slice(all, n, 0) == slice(one, 0, 0));
    CHECK(all.scores[static_cast<size_t>(n)] == one.scores[0]);
  }
}

// On the CPU: its kernels compute each observation alone, so a batch gives each observation's map
// to rounding (exactly, mostly). cuDNN may choose other algorithms for other batch sizes, so the
// GPU's maps are compared with the CPU's instead (tests/gpu/test_gpu_network.cpp).
const GradCamOptions kOnCpu{.executionEnvironment = ExecutionEnvironment::Cpu};

TEST_CASE("gradCAM of a batch gives each observation its own map") {
  for (int dims : {1, 2, 3}) {
    CAPTURE(dims);
    Network net = makeNet(dims);
    const Shape size = dims == 1 ? Shape{2, 3, 9} : dims == 2 ? Shape{6, 8, 2, 3} : Shape{4, 6, 5, 2, 3};
    const char* format = dims == 1 ? "CBT" : dims == 2 ? "SSCB" : "SSSCB";
    Array X = randomArray32(size, format, 61, 0, 1);
    GradCamResult batch = gradCAM(net, X, std::vector<int64_t>{1, 2}, kOnCpu);
    CHECK(batch.map.shape()[batch.map.rank() - 1] == 3);
    for (int64_t b = 0; b < 3; ++b) {
      Array xb = index(X, X.format().find('B'), {b});
      GradCamResult one = gradCAM(net, xb, std::vector<int64_t>{1, 2}, kOnCpu);
      for (int64_t n = 0; n < 2; ++n) {
        std::vector<double> got = slice(batch, n, b), want = slice(one, n, 0);
        REQUIRE(got.size() == want.size());
        for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-5).scale(1e-6));
        CHECK(batch.scores[static_cast<size_t>(n + 2 * b)] == doctest::Approx(one.scores[static_cast<size_t>(n)]));
      }
    }
  }
}

TEST_CASE("gradCAM targets: reduction function, predicted class, class labels") {
  Network net = makeNet(2);
  Array X = randomArray32({6, 8, 2, 2}, "SSCB", 71, 0, 1);
  GradCamResult byIndex = gradCAM(net, X, 1);

  SUBCASE("a reduction function selecting a channel equals the class index") {
    GradCamResult byFn = gradCAM(net, X, ReductionFunction([](const Array& y) { return sum(selectChannels(y, {1})); }));
    CHECK(slice(byFn, 0, 0) == slice(byIndex, 0, 0));
    CHECK(slice(byFn, 0, 1) == slice(byIndex, 0, 1));
    CHECK(byFn.classes == std::vector<int64_t>{-1, -1});
    CHECK(byFn.scores[1] == doctest::Approx(byIndex.scores[1]));
    // MATLAB's tip: @(x)x(208) picks one element; element() is its 0-based equivalent.
    GradCamResult byElement = gradCAM(net, X, ReductionFunction([](const Array& y) { return element(y, 1); }));
    CHECK(slice(byElement, 0, 1) == slice(byIndex, 0, 1));
  }
  SUBCASE("predicted: each observation's largest score") {
    Array scores = net.predict(X);
    GradCamResult r = gradCAM(net, X, CamTarget::predicted(), kOnCpu);
    std::vector<float> s = scores.toVector();
    for (int64_t b = 0; b < 2; ++b) {
      auto first = s.begin() + kClasses * b;
      int64_t best = std::max_element(first, first + kClasses) - first;
      CHECK(r.classes[static_cast<size_t>(b)] == best);
      CHECK(slice(r, 0, b) == slice(gradCAM(net, index(X, 3, {b}), best, kOnCpu), 0, 0));
    }
  }
  SUBCASE("predicted: NaN scores rank last") {
    // A network whose output is its input's channel means (1×1×3×B: the scores keep leading
    // sizes of 1). X must be finite (gradCAM refuses NaN input), so the NaN comes from the
    // input layer's 'zerocenter' mean, NaN at pixel (1, 1) of channel 0: channel 0's score is
    // NaN in both observations.
    std::vector<float> meanValues(12, 0.0f);
    meanValues[0] = std::nanf("");
    Network means;
    means.add(std::make_shared<ImageInputLayer>(
        "input", ImageInputOptions{.size = {2, 2, 3},
                                   .normalization = {.kind = Normalization::ZeroCenter,
                                                     .mean = Array::fromValues<float>({2, 2, 3}, meanValues)}}));
    means.add(std::make_shared<GlobalAveragePoolingLayer>("gap", 2));  // the feature layer is the input
    means.initialize();
    std::vector<float> v(24, 0.5f);
    v[2 * 2 * 2 + 1] = 2.0f;  // observation 0, channel 2 is the largest real score
    v[12 + 4 + 3] = 3.0f;     // observation 1, channel 1
    GradCamResult r = gradCAM(means, Array::fromValues<float>({2, 2, 3, 2}, v, "SSCB"), CamTarget::predicted(),
                              {.upsampling = Upsampling::None});
    CHECK(std::isnan(r.output.toVector()[0]));
    CHECK(r.classes == std::vector<int64_t>{2, 1});
  }
  SUBCASE("class labels resolve through the network's class names") {
    CHECK_THROWS_WITH_AS(gradCAM(net, X, CamTarget::labels({"cat"})), doctest::Contains("no class names"), Error);
    net.setClassNames({"ant", "bee", "cat", "dog"});
    GradCamResult r = gradCAM(net, X, CamTarget::labels({"bee"}));
    CHECK(slice(r, 0, 1) == slice(byIndex, 0, 1));
    CHECK_THROWS_WITH_AS(gradCAM(net, X, CamTarget::labels({"cow"})), doctest::Contains("unknown class label 'cow'"), Error);
    CHECK_THROWS_WITH_AS(net.setClassNames({"a", "b"}), doctest::Contains("2 class names"), Error);
  }
}

TEST_CASE("gradCAM input formats: unlabelled, InputDataFormats, labelled") {
  Network net = makeNet(2);
  Array X = randomArray32({6, 8, 2}, "SSC", 81, 0, 1);
  GradCamResult labelled = gradCAM(net, X, 0);
  GradCamResult plain = gradCAM(net, Array(X.value()), 0);  // h×w×c by default
  CHECK(slice(plain, 0, 0) == slice(labelled, 0, 0));
  // The same data stored c×h×w, labelled by InputDataFormats.
  Array chw(permute(Array(X.value()), {2, 0, 1}).value());
  GradCamResult permuted = gradCAM(net, chw, 0, {.inputDataFormats = "CSS"});
  CHECK(slice(permuted, 0, 0) == slice(labelled, 0, 0));
  // Sequences default to c×t, and c×t×n for a batch.
  Network seq = makeNet(1);
  Array s = randomArray32({2, 9}, "CT", 82, 0, 1);
  GradCamResult fromPlain = gradCAM(seq, Array(s.value()), 1);
  CHECK(fromPlain.map.shape() == Shape{1, 9, 1, 1});
  CHECK(slice(fromPlain, 0, 0) == slice(gradCAM(seq, s, 1), 0, 0));
  // A batch of sequences stored c×t×n.
  Array ctn = randomArray32({2, 9, 3}, "", 83, 0, 1);
  GradCamResult batch = gradCAM(seq, ctn, 1);
  CHECK(batch.map.shape() == Shape{1, 9, 1, 3});
  CHECK(slice(batch, 0, 2) == slice(gradCAM(seq, Array(ctn.value(), "CTB"), 1), 0, 2));
}

TEST_CASE("gradCAM default layers follow the page's rule") {
  // Without pooling the last SSCB layer with non-singleton spatial dims is the relu.
  CHECK(defaultGradCamLayers(makeNet(2, false)).featureLayer == "relu");
  GradCamLayers layers = defaultGradCamLayers(makeNet(2));
  CHECK(layers.featureLayer == "pool");
  CHECK(layers.reductionLayer == "prob");
  // A sequence input of any length declares T = 1, yet its layers keep time.
  CHECK(defaultGradCamLayers(makeNet(1)).featureLayer == "relu");
  // With an earlier reduction layer the feature layer comes from the layers that feed it.
  CHECK(defaultGradCamLayers(makeNet(2), "conv").featureLayer == "conv");
}

TEST_CASE("gradCAM records only the layers above the feature layer") {
  // A layer that notes whether its input is traced, i.e. whether the tape records it.
  struct Probe : Layer {
    mutable bool sawTraced = false, ran = false;
    explicit Probe(std::string name) : Layer(std::move(name)) {}
    std::string type() const override { return "Probe"; }
    ActivationInfo inferOutput(std::span<const ActivationInfo> in) const override { return in[0]; }
    Array forward(std::span<const Array> in, ForwardContext&) const override {
      ran = true;
      sawTraced = in[0].isTraced();
      return in[0];
    }
  };
  auto below = std::make_shared<Probe>("below"), above = std::make_shared<Probe>("above"),
       after = std::make_shared<Probe>("after");
  Network net;
  net.add(std::make_shared<ImageInputLayer>("input", ImageInputOptions{.size = {5, 5, 1}}));
  net.add(below);
  net.add(std::make_shared<ConvolutionLayer>(
      "conv", ConvolutionOptions{.weights = Array(randomArray32({3, 3, 1, 2}, "", 91).value()),
                                 .bias = Array(), .conv = {.padding = ConvPadding::same()}}));
  net.add(std::make_shared<ReluLayer>("relu"));
  net.add(above);
  net.add(std::make_shared<GlobalAveragePoolingLayer>("gap", 2));
  net.add(after);
  net.initialize();
  GradCamResult r = gradCAM(net, randomArray32({5, 5, 1}, "SSC", 92, 0, 1), 1,
                            {.featureLayer = "conv", .reductionLayer = "gap"});
  CHECK(below->ran);
  CHECK_FALSE(below->sawTraced);
  CHECK(above->ran);
  CHECK(above->sawTraced);
  CHECK(after->ran);  // the network's output is computed (GradCamResult::output) ...
  CHECK_FALSE(after->sawTraced);  // ... but not recorded
  CHECK(r.featureLayer == "conv");
  CHECK(r.reductionLayer == "gap");
  CHECK(r.featureActivation.str() == "5(S) × 5(S) × 2(C) × 1(B)");
  CHECK(r.output.shape() == Shape{1, 1, 2, 1});
}

TEST_CASE("gradCAM bad input: one-line errors naming the problem") {
  Network net = makeNet(2);
  Array X = randomArray32({6, 8, 2}, "SSC", 101, 0, 1);
  auto throwsWith = [&](auto call, const char* text) { CHECK_THROWS_WITH_AS(call(), doctest::Contains(text), Error); };
  throwsWith([&] { gradCAM(net, X, -1); }, "class index -1 is out of range");
  throwsWith([&] { gradCAM(net, X, 4); }, "has 4 classes (0 to 3");
  throwsWith([&] { gradCAM(net, X, std::vector<int64_t>{}); }, "list of class indices is empty");
  throwsWith([&] { gradCAM(net, X, 0, {.featureLayer = "nope"}); }, "nope");
  throwsWith([&] { gradCAM(net, X, 0, {.reductionLayer = "nope"}); }, "nope");
  throwsWith([&] { gradCAM(net, X, 0, {.featureLayer = "pool", .reductionLayer = "relu"}); }, "comes after it");
  throwsWith([&] { gradCAM(net, X, 0, {.featureLayer = "gap"}); }, "singleton spatial dimensions (1×1)");
  throwsWith([&] { gradCAM(net, X, 0, {.featureLayer = "fc"}); }, "not the input layer's format SSCB");
  throwsWith([&] { gradCAM(net, X, ReductionFunction([](const Array& y) { return y; })); }, "must return a scalar");
  throwsWith([&] { gradCAM(net, X, ReductionFunction([](const Array&) { return Array(Tensor::scalar(1.0)); })); },
             "does not depend on its input");
  throwsWith([&] { gradCAM(net, randomArray32({6, 7, 2}, "SSC", 1), 0); }, "spatial size differs");
  throwsWith([&] { gradCAM(net, randomArray32({6, 8, 3}, "SSC", 1), 0); }, "channel count differs");
  throwsWith([&] { gradCAM(net, randomArray32({2, 9}, "CT", 1), 0); }, "takes SSCB data");
  throwsWith([&] { gradCAM(net, Array(X.value()), 0, {.inputDataFormats = "SS"}); }, "labels 2");
  throwsWith([&] { gradCAM(net, X, 0, {.inputDataFormats = "CSS"}); }, "already labelled");
  if (!gpuAvailable())  // 'gpu' without a GPU is a clear error (tests/core/test_device.cpp has the rest)
    throwsWith([&] { gradCAM(net, X, 0, {.executionEnvironment = ExecutionEnvironment::Gpu}); },
               "gradCAM with ExecutionEnvironment 'gpu' needs a GPU, but");
  throwsWith([&] { gradCAM(net, randomArray32({6, 8, 2, 0}, "SSCB", 1), 0); }, "which is empty");
  throwsWith([&] { gradCAM(net, Array(randomArray32({6, 8, 2, 1, 1}, "", 1).value()), 0, {.inputDataFormats = "SSCBB"}); },
             "InputDataFormats 'SSCBB'");
  // A class index is any integer type, never a bool or a character.
  static_assert(std::is_constructible_v<CamTarget, int> && std::is_constructible_v<CamTarget, unsigned long>);
  static_assert(!std::is_constructible_v<CamTarget, bool> && !std::is_constructible_v<CamTarget, char>);
  Network features;
  features.add(std::make_shared<FeatureInputLayer>("in", FeatureInputOptions{.channels = 3}));
  features.add(std::make_shared<SoftmaxLayer>("prob"));
  features.initialize();
  throwsWith([&] { gradCAM(features, randomArray32({3}, "C", 1), 0); }, "needs an image, 3-D image or sequence input");
  CHECK_THROWS_WITH_AS(parseUpsampling("cubic"), doctest::Contains("'bicubic', 'nearest' or 'none'"), Error);
}

}  // namespace dlcam
