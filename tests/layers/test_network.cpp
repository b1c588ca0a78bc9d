#include <doctest/doctest.h>

#include <memory>

#include "dlcam.h"
#include "layers/activation_layers.h"
#include "layers/conv_layer.h"
#include "layers/fully_connected_layer.h"
#include "layers/input_layers.h"
#include "layers/network.h"
#include "layers/norm_layers.h"
#include "layers/pool_layers.h"
#include "layers/simple_layers.h"
#include "tests/support/gradcheck.h"

using namespace dlcam;
using dlcam::test::expectClose;
using dlcam::test::randomArray32;

namespace {

// input → conv1 → bn1 → relu1 → {convA (1×1), convB (3×3)} → add → cat(add, relu1) → gap → fc → sm
struct SmallCnn {
  Array mean = randomArray32({3}, "", 1);
  Array w1 = randomArray32({3, 3, 3, 4}, "", 2), b1 = randomArray32({4}, "", 3);
  Array offset = randomArray32({4}, "", 4), scale = randomArray32({4}, "", 5, 0.5, 2);
  Array runMean = randomArray32({4}, "", 6), runVar = randomArray32({4}, "", 7, 0.5, 2);
  Array wa = randomArray32({1, 1, 4, 4}, "", 8), ba = randomArray32({4}, "", 9);
  Array wb = randomArray32({3, 3, 4, 4}, "", 10);
  Array wfc = randomArray32({5, 8}, "", 11), bfc = randomArray32({5}, "", 12);
  ConvOptions conv1{.stride = {2}, .padding = ConvPadding::same()};
  ConvOptions same{.padding = ConvPadding::same()};
  Network net;

  SmallCnn() {
    net.add(std::make_shared<ImageInputLayer>(
        "input", ImageInputOptions{.size = {9, 7, 3}, .normalization = {.kind = Normalization::ZeroCenter, .mean = mean}}));
    net.add(std::make_shared<ConvolutionLayer>("conv1", ConvolutionOptions{.weights = w1, .bias = b1, .conv = conv1}));
    net.add(std::make_shared<BatchNormalizationLayer>(
        "bn1", BatchNormalizationOptions{.offset = offset, .scale = scale, .trainedMean = runMean, .trainedVariance = runVar}));
    net.add(std::make_shared<ReluLayer>("relu1"));
    net.add(std::make_shared<ConvolutionLayer>("convA", ConvolutionOptions{.weights = wa, .bias = ba}), {"relu1"});
    net.add(std::make_shared<ConvolutionLayer>("convB", ConvolutionOptions{.weights = wb, .conv = same}), {"relu1"});
    net.add(std::make_shared<AdditionLayer>("add", 2), {"convA", "convB"});
    net.add(std::make_shared<DepthConcatenationLayer>("cat", 2), {"add", "relu1"});
    net.add(std::make_shared<GlobalAveragePoolingLayer>("gap", 2));
    net.add(std::make_shared<FullyConnectedLayer>("fc", FullyConnectedOptions{.weights = wfc, .bias = bfc}));
    net.add(std::make_shared<SoftmaxLayer>("sm"));
    net.initialize();
  }

  // The same network as a chain of autodiff calls. `onRelu` may watch relu1's output.
  struct Activations {
    Array relu1, cat, sm;
  };
  Activations byHand(const Array& x, const std::function<void(Array&)>& onRelu = {}) const {
    Activations a;
    Array h = subtract(x, Array(mean.value(), "C"));
    h = conv(h, w1, b1, conv1);
    h = batchNorm(h, offset, scale, runMean, runVar);
    a.relu1 = relu(h);
    if (onRelu) onRelu(a.relu1);
    Array sum = add(conv(a.relu1, wa, ba, {}), conv(a.relu1, wb, Array(), same));
    a.cat = concat({sum, a.relu1}, 2);
    a.sm = softmax(fullyConnect(globalAvgPool(a.cat), wfc, bfc));
    return a;
  }
};

void expectSame(const Array& actual, const Array& expected, const char* what) {
  CHECK(actual.format() == expected.format());
  REQUIRE(actual.shape() == expected.shape());
  expectClose(actual.value(), expected.value(), 1e-6, 1e-7, what);
}

}  // namespace

TEST_CASE("Network: predict and forward equal the same chain of autodiff calls") {
  SmallCnn cnn;
  Array x = randomArray32({9, 7, 3, 3}, "SSCB", 20);
  SmallCnn::Activations ref = cnn.byHand(x);
  expectSame(cnn.net.predict(x), ref.sm, "predict");

  std::vector<Array> outs = cnn.net.predict(x, {"relu1", "cat", "sm"});
  REQUIRE(outs.size() == 3);
  expectSame(outs[0], ref.relu1, "relu1");
  expectSame(outs[1], ref.cat, "cat");
  expectSame(outs[2], ref.sm, "sm");

  ForwardOptions options;
  options.outputs = {"cat", "relu1"};
  ForwardResult r = cnn.net.forward(x, options);
  REQUIRE(r.outputs.size() == 2);
  expectSame(r.outputs[0], ref.cat, "forward cat");
  expectSame(r.outputs[1], ref.relu1, "forward relu1");
  CHECK(r.stateUpdates.empty());
  CHECK(cnn.net.numLearnables() == 3 * 3 * 3 * 4 + 4 + 8 + 16 + 4 + 3 * 3 * 4 * 4 + 5 * 8 + 5);
}

TEST_CASE("Network: outputInfo equals the activations' real sizes, and summary lists every layer") {
  SmallCnn cnn;
  std::vector<std::string> names;
  for (size_t i = 0; i < cnn.net.numLayers(); ++i) names.push_back(cnn.net.layer(i).name());
  CHECK(names.front() == "input");
  CHECK(names.back() == "sm");
  std::vector<Array> acts = cnn.net.predict(randomArray32({9, 7, 3, 1}, "SSCB", 21), names);
  for (size_t i = 0; i < names.size(); ++i) {
    CAPTURE(names[i]);
    CHECK(cnn.net.outputInfo(names[i]) == ActivationInfo{acts[i].shape(), acts[i].format()});
  }
  CHECK(cnn.net.outputInfo("relu1").str() == "5(S) × 4(S) × 4(C) × 1(B)");
  CHECK(cnn.net.outputInfo("cat").size == Shape{5, 4, 8, 1});
  CHECK(cnn.net.outputInfo("sm") == ActivationInfo{Shape{5, 1}, DimFormat("CB")});

  const std::string summary = cnn.net.summary();
  for (const std::string& name : names) {
    CAPTURE(name);
    const Layer& layer = cnn.net.layer(name);
    CHECK(summary.find(name) != std::string::npos);
    CHECK(summary.find(layer.type()) != std::string::npos);
    CHECK(summary.find(cnn.net.outputInfo(name).str()) != std::string::npos);
  }
}

TEST_CASE("Network: predict records nothing under an active Tape") {
  SmallCnn cnn;
  Array x = randomArray32({9, 7, 3, 2}, "SSCB", 22);
  Tape tape;
  tape.watch(x);
  tape.watch(cnn.net.layer("conv1").learnables()[0].value);
  const uint64_t before = tape.nodesRecorded();
  Array y = cnn.net.predict(x);
  CHECK(tape.nodesRecorded() == before);
  CHECK_FALSE(y.isTraced());
}

TEST_CASE("Network: forward with onActivation and Tape.watch gives the hand chain's gradient") {
  SmallCnn cnn;
  Array x = randomArray32({9, 7, 3, 2}, "SSCB", 23);
  Array weight = randomArray32({5, 2}, "CB", 24);  // scores: a weighted sum of the outputs

  Array viaNet;
  {
    Tape tape;
    Array feature;
    ForwardOptions options;
    options.onActivation = [&](const Layer& layer, Array& a) {
      if (layer.name() != "relu1") return;
      tape.watch(a);
      feature = a;
    };
    Array y = cnn.net.forward(x, options).outputs[0];
    viaNet = tape.gradient(sum(y * weight), feature);
  }
  Array byHand;
  {
    Tape tape;
    Array feature;
    Array y = cnn.byHand(x, [&](Array& a) {
      tape.watch(a);
      feature = a;
    }).sm;
    byHand = tape.gradient(sum(y * weight), feature);
  }
  expectSame(viaNet, byHand, "gradient");
  CHECK(viaNet.shape() == Shape{5, 4, 4, 2});
  CHECK(sum(viaNet * viaNet).item() > 0);
}

TEST_CASE("Network: training forward returns batch normalisation's state updates") {
  SmallCnn cnn;
  ForwardOptions options;
  options.training = true;
  ForwardResult r = cnn.net.forward(randomArray32({9, 7, 3, 2}, "SSCB", 25), options);
  REQUIRE(r.stateUpdates.size() == 2);
  CHECK(r.stateUpdates[0].layer == "bn1");
  CHECK(r.stateUpdates[0].state == "TrainedMean");
  CHECK(r.stateUpdates[1].state == "TrainedVariance");
}

TEST_CASE("Network: graph errors name the problem") {
  auto input = [] { return std::make_shared<ImageInputLayer>("in", ImageInputOptions{.size = {5, 5, 3}}); };
  auto conv = [](const char* name, int64_t channels) {
    return std::make_shared<ConvolutionLayer>(name, ConvolutionOptions{.weights = randomArray32({3, 3, channels, 2}, "", 1)});
  };

  SUBCASE("duplicate name") {
    Network net;
    net.add(input());
    net.add(std::make_shared<ReluLayer>("r"));
    CHECK_THROWS_WITH_AS(net.add(std::make_shared<ReluLayer>("r")), doctest::Contains("'r' is already used"), Error);
  }
  SUBCASE("missing input") {
    Network net;
    net.add(input());
    net.add(std::make_shared<ReluLayer>("r"), {"nowhere"});
    CHECK_THROWS_WITH_AS(net.initialize(), doctest::Contains("layer 'r' is fed by 'nowhere', which is not in the network"),
                         Error);
  }
  SUBCASE("cycle") {
    Network net;
    net.add(input());
    net.add(std::make_shared<AdditionLayer>("a", 2), {"in", "b"});
    net.add(std::make_shared<ReluLayer>("b"), {"a"});
    net.add(std::make_shared<ReluLayer>("out"), {"b"});
    CHECK_THROWS_WITH_AS(net.initialize(), doctest::Contains("form a cycle"), Error);
  }
  SUBCASE("two input layers") {
    Network net;
    net.add(input());
    net.add(std::make_shared<FeatureInputLayer>("in2", FeatureInputOptions{.channels = 3}));
    net.add(std::make_shared<AdditionLayer>("a", 2), {"in", "in2"});
    CHECK_THROWS_WITH_AS(net.initialize(), doctest::Contains("exactly one input layer; found 2 ('in', 'in2')"), Error);
  }
  SUBCASE("two dangling outputs") {
    Network net;
    net.add(input());
    net.add(std::make_shared<ReluLayer>("r1"), {"in"});
    net.add(std::make_shared<ReluLayer>("r2"), {"in"});
    CHECK_THROWS_WITH_AS(net.initialize(), doctest::Contains("exactly one output (a layer no other layer uses); found 2: 'r1', 'r2'"),
                         Error);
  }
  SUBCASE("wrong channel count") {
    Network net;
    net.add(input());
    net.add(conv("conv1", 3));
    net.add(conv("conv2", 3));  // conv1 gives 2 channels
    CHECK_THROWS_WITH_AS(net.initialize(), doctest::Contains("layer 'conv2' (2-D Convolution): expects 3 channels"), Error);
  }
  SUBCASE("wrong data at predict") {
    Network net;
    net.add(input());
    net.add(conv("conv1", 3));
    net.initialize();
    CHECK_THROWS_WITH_AS(net.predict(randomArray32({5, 5, 2, 1}, "SSCB", 1)),
                         doctest::Contains("layer 'in' (Image Input): expects input 5(S) × 5(S) × 3(C)"), Error);
  }
}
