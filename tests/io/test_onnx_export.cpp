// ONNX export: networks built in dlcam (random weights) and imported ONNX nets are exported,
// re-imported with importNetwork, and must give the same output and, for every layer name
// of the original, the same activation (relative 1e-5 to the largest magnitude). Every
// exported file must also pass onnx.checker.check_model(full_check=True) of Debian's
// python3-onnx (/usr/bin/python3); a missing checker fails the test unless DLCAM_NO_PYTHON
// is set.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>
#include <string>

#include <unistd.h>

#include "io/npy.h"
#include "io/onnx/exporter.h"
#include "io/onnx/importer.h"
#include "io/onnx/layout.h"
#include "io/onnx/tensor_layers.h"
#include "layers/activation_layers.h"
#include "layers/conv_layer.h"
#include "layers/fully_connected_layer.h"
#include "layers/input_layers.h"
#include "layers/norm_layers.h"
#include "layers/pool_layers.h"
#include "layers/simple_layers.h"
#include "tests/support/gradcheck.h"
#include "tests/support/onnx_nets.h"

namespace fs = std::filesystem;
using namespace dlcam;
using dlcam::test::randomArray32;

namespace {


fs::path exportPath(const std::string& name) {
  return fs::temp_directory_path() / ("dlcam_export_" + name + "_" + std::to_string(::getpid()) + ".onnx");
}

// max |a − b| / max |b|; infinite when the shapes differ or only one is NaN.
double relativeError(const Array& a, const Array& b) {
  if (a.shape() != b.shape() || a.format() != b.format()) return std::numeric_limits<double>::infinity();
  Tensor x = a.value().to(DType::Float64), y = b.value().to(DType::Float64);
  double scale = 0, worst = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double u = x.data<double>()[i], v = y.data<double>()[i];
    if (std::isnan(u) != std::isnan(v)) return std::numeric_limits<double>::infinity();
    scale = std::max(scale, std::abs(v));
    worst = std::max(worst, std::abs(u - v));
  }
  return worst / std::max(scale, 1e-30);
}

void checkWithOnnx(const fs::path& file) {
  if (std::getenv("DLCAM_NO_PYTHON")) {
    MESSAGE("DLCAM_NO_PYTHON is set: onnx.checker not run on " << file.string());
    return;
  }
  const std::string command =
      "/usr/bin/python3 -c \"import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)\" '" +
      file.string() + "'";
  INFO("onnx.checker (python3-onnx, installed by scripts/setup.sh) on ", file.string());
  CHECK(std::system(command.c_str()) == 0);
}

// Exports, checks and re-imports `net`, then compares the output and every non-input
// layer's activation on x. Returns the model written.
onnx::Model roundTrip(const Network& net, const Array& x, const std::string& name) {
  const fs::path file = exportPath(name);
  onnx::Model model = onnx::toOnnxModel(net);
  onnx::exportNetwork(net, file.string());
  checkWithOnnx(file);
  Network again = onnx::importNetwork(file.string());
  fs::remove(file);

  CHECK(relativeError(again.predict(x), net.predict(x)) < 1e-5);
  std::vector<std::string> names;
  for (size_t i = 0; i < net.numLayers(); ++i) {
    const Layer& layer = net.layer(i);
    INFO("layer ", layer.name());
    REQUIRE(again.contains(layer.name()));
    if (&layer != static_cast<const Layer*>(&net.inputLayer())) names.push_back(layer.name());
  }
  const std::vector<Array> before = net.predict(x, names), after = again.predict(x, names);
  for (size_t i = 0; i < names.size(); ++i) {
    INFO("activation of layer ", names[i], ": ", after[i].shape().str(), " ", after[i].format().str(), " vs ",
         before[i].shape().str(), " ", before[i].format().str());
    CHECK(relativeError(after[i], before[i]) < 1e-5);
  }
  return model;
}

std::vector<std::string> opTypes(const onnx::Model& m) {
  std::vector<std::string> ops;
  for (const onnx::Node& n : m.graph.nodes) ops.push_back(n.opType);
  return ops;
}

bool hasOp(const onnx::Model& m, const std::string& op) {
  const auto ops = opTypes(m);
  return std::find(ops.begin(), ops.end(), op) != ops.end();
}

template <class L, class... Args>
std::shared_ptr<Layer> make(Args&&... args) {
  return std::make_shared<L>(std::forward<Args>(args)...);
}

ConvolutionOptions convOptions(int d, Shape w, unsigned seed, ConvOptions conv, bool bias = true) {
  const int64_t filters = w[w.rank() - 1];
  return ConvolutionOptions{.spatialDims = d,
                            .weights = randomArray32(w, "", seed),
                            .bias = bias ? randomArray32({filters}, "", seed + 1) : Array(),
                            .conv = std::move(conv)};
}

BatchNormalizationOptions batchNorm(int64_t c, unsigned seed) {
  return BatchNormalizationOptions{.offset = randomArray32({c}, "", seed),
                                   .scale = randomArray32({c}, "", seed + 1, 0.5, 2),
                                   .trainedMean = randomArray32({c}, "", seed + 2),
                                   .trainedVariance = randomArray32({c}, "", seed + 3, 0.5, 2),
                                   .epsilon = 1e-3};
}

LayerNormalizationOptions layerNorm(int64_t c, unsigned seed, LayerNormDims dims) {
  return LayerNormalizationOptions{.offset = randomArray32({c}, "", seed),
                                   .scale = randomArray32({c}, "", seed + 1, 0.5, 2),
                                   .epsilon = 1e-4,
                                   .dims = dims};
}

FullyConnectedOptions fc(int64_t out, int64_t in, unsigned seed, bool bias = true) {
  return FullyConnectedOptions{.weights = randomArray32({out, in}, "", seed),
                               .bias = bias ? randomArray32({out}, "", seed + 1) : Array()};
}

PoolingOptions pool(int d, PoolOptions o) { return PoolingOptions{.spatialDims = d, .pool = std::move(o)}; }

// Every layer kind on 2-D images: the input (z-score per channel), convolutions (plain
// 'same', grouped with stride, dilation and asymmetric padding, 1×1 without bias), both
// normalisations in both layer-norm modes, every activation, max and average pooling
// ('same', ceil mode, count_include_pad both ways), global pooling, fully connected on
// "SSCB" (flattening order) and "CB", flatten, dropout, addition of 2 and 3 inputs, depth
// concatenation and softmax.
Network cnn2d() {
  Network net;
  net.add(make<ImageInputLayer>(
      "input", ImageInputOptions{.size = {9, 11, 3},
                                 .normalization = {.kind = Normalization::ZScore,
                                                   .mean = randomArray32({3}, "", 1),
                                                   .standardDeviation = randomArray32({3}, "", 2, 0.5, 2)}}));
  net.add(make<ConvolutionLayer>("conv1", convOptions(2, {3, 3, 3, 6}, 10, {.padding = ConvPadding::same()})));
  net.add(make<BatchNormalizationLayer>("bn1", batchNorm(6, 20)));
  net.add(make<ReluLayer>("relu1"));
  net.add(make<ConvolutionLayer>(
      "conv2", convOptions(2, {2, 3, 2, 6}, 30,
                           {.stride = {2, 1}, .dilation = {1, 2}, .padding = ConvPadding::explicitPad({1, 0}, {0, 2}),
                            .groups = 3})));
  net.add(make<LeakyReluLayer>("leaky", 0.1));
  net.add(make<ConvolutionLayer>("conv3", convOptions(2, {1, 1, 6, 6}, 40, {}, false)), {"leaky"});
  net.add(make<ClippedReluLayer>("clipped", 0.8));
  net.add(make<HardSwishLayer>("hswish"), {"leaky"});
  net.add(make<AdditionLayer>("add2", 2), {"clipped", "hswish"});
  net.add(make<SigmoidLayer>("sigmoid"), {"leaky"});
  net.add(make<TanhLayer>("tanh"), {"add2"});
  net.add(make<HardSigmoidLayer>("hsigmoid", 0.25, 0.4), {"conv2"});
  net.add(make<DepthConcatenationLayer>("concat", 3), {"sigmoid", "tanh", "hsigmoid"});
  net.add(make<LayerNormalizationLayer>("lnSpatial", layerNorm(18, 50, LayerNormDims::Auto)));
  net.add(make<LayerNormalizationLayer>("lnChannel", layerNorm(18, 60, LayerNormDims::Channel)));
  net.add(make<MaxPoolingLayer>("maxCeil",
                                pool(2, {.size = {3, 2}, .stride = {2, 2},
                                         .padding = PoolPadding::explicitPad({1, 0}, {0, 0}), .ceilMode = true})));
  net.add(make<AveragePoolingLayer>("avgSame", pool(2, {.size = {2, 3}, .stride = {1, 1}, .padding = PoolPadding::same(),
                                                        .countIncludePad = false})));
  net.add(make<MaxPoolingLayer>("maxSame", pool(2, {.size = {2, 2}, .stride = {1, 1}, .padding = PoolPadding::same()})));
  net.add(make<AveragePoolingLayer>("avgPad",
                                    pool(2, {.size = {3, 3}, .stride = {1, 1}, .padding = PoolPadding::explicitPad({1}, {1}),
                                             .countIncludePad = true})),
          {"maxCeil"});
  net.add(make<ClipLayer>("clip", -0.5, 0.7), {"avgSame"});
  net.add(make<DropoutLayer>("dropout", 0.3));
  net.add(make<AdditionLayer>("add3", 3), {"maxSame", "avgPad", "dropout"});
  net.add(make<FullyConnectedLayer>("fcSpatial", fc(7, 3 * 5 * 18, 70)));
  net.add(make<FlattenLayer>("flatten"), {"add3"});
  net.add(make<FullyConnectedLayer>("fcFlat", fc(7, 3 * 5 * 18, 80, false)));
  net.add(make<GlobalAveragePoolingLayer>("gap", 2), {"add3"});
  net.add(make<GlobalMaxPoolingLayer>("gmp", 2), {"add3"});
  net.add(make<DepthConcatenationLayer>("poolCat", 2), {"gap", "gmp"});
  net.add(make<FullyConnectedLayer>("fcPooled", fc(7, 36, 90)));
  net.add(make<AdditionLayer>("sum", 3), {"fcSpatial", "fcFlat", "fcPooled"});
  net.add(make<SoftmaxLayer>("softmax"));
  net.initialize();
  return net;
}

}  // namespace

TEST_CASE("ONNX export: a 2-D CNN with every layer kind round-trips") {
  Network net = cnn2d();
  REQUIRE(net.outputInfo("maxCeil").size == Shape({3, 5, 18, 1}));  // ceil mode adds a row and a column
  const Array x = randomArray32({9, 11, 3, 2}, "SSCB", 100, -2, 2);
  const onnx::Model m = roundTrip(net, x, "cnn2d");

  REQUIRE(m.graph.inputs.size() == 1);
  const onnx::ValueInfo& in = m.graph.inputs[0];
  CHECK(in.name == "input");
  REQUIRE(in.dims.size() == 4);
  CHECK(in.dims[0].param == "N");
  CHECK(in.dims[1].value == 3);
  CHECK(in.dims[2].value == 9);
  CHECK(in.dims[3].value == 11);
  CHECK(m.opsetVersion() == 17);
  for (const char* op : {"Sub", "Div", "Conv", "BatchNormalization", "Relu", "LeakyRelu", "Clip", "HardSwish", "Add",
                         "Sigmoid", "Tanh", "HardSigmoid", "Concat", "LayerNormalization", "Transpose", "MaxPool",
                         "AveragePool", "Dropout", "Sum", "Flatten", "Gemm", "GlobalAveragePool", "GlobalMaxPool",
                         "Softmax"})
    CHECK_MESSAGE(hasOp(m, op), op);
}

TEST_CASE("ONNX export: a 3-D net round-trips") {
  Network net;
  net.add(make<Image3dInputLayer>(
      "volume", ImageInputOptions{.size = {5, 6, 7, 2},
                                  .normalization = {.kind = Normalization::RescaleZeroOne,
                                                    .min = randomArray32({5, 6, 7, 2}, "", 1, -2, -1),
                                                    .max = randomArray32({2}, "", 2, 1, 2)}}));
  net.add(make<ConvolutionLayer>("conv3d",
                                 convOptions(3, {3, 2, 3, 2, 4}, 10, {.stride = {1, 2, 1}, .padding = ConvPadding::same()})));
  net.add(make<BatchNormalizationLayer>("bn", batchNorm(4, 20)));
  net.add(make<ReluLayer>("relu"));
  net.add(make<ConvolutionLayer>(
      "conv3dGrouped", convOptions(3, {2, 2, 2, 2, 4}, 30,
                                   {.dilation = {2, 1, 1}, .padding = ConvPadding::explicitPad({1, 0, 1}, {0, 1, 0}),
                                    .groups = 2})));
  net.add(make<LayerNormalizationLayer>("ln", layerNorm(4, 40, LayerNormDims::SpatialChannel)));
  net.add(make<MaxPoolingLayer>("maxpool", pool(3, {.size = {2, 2, 2}, .stride = {1, 1, 2}, .padding = {}})));
  net.add(make<AveragePoolingLayer>("avgpool", pool(3, {.size = {2}, .stride = {1}, .padding = PoolPadding::explicitPad({1}, {0}),
                                                        .countIncludePad = false})));
  net.add(make<GlobalMaxPoolingLayer>("gmp", 3), {"avgpool"});
  net.add(make<FullyConnectedLayer>("fc1", fc(3, 4, 50)));
  net.add(make<FlattenLayer>("flatten"), {"avgpool"});
  net.add(make<FullyConnectedLayer>("fc2", fc(3, 3 * 2 * 3 * 4, 60)));
  net.add(make<FullyConnectedLayer>("fc3", fc(3, 3 * 2 * 3 * 4, 70)), {"avgpool"});
  net.add(make<AdditionLayer>("add", 3), {"fc1", "fc2", "fc3"});
  net.initialize();
  REQUIRE(net.outputInfo("avgpool").size == Shape({3, 2, 3, 4, 1}));
  const Array x = randomArray32({5, 6, 7, 2, 3}, "SSSCB", 100, -2, 2);
  const onnx::Model m = roundTrip(net, x, "net3d");
  REQUIRE(m.graph.inputs[0].dims.size() == 5);
  CHECK(m.graph.inputs[0].dims[2].value == 7);  // N×C×D×H×W
  CHECK(m.graph.inputs[0].dims[3].value == 5);
  CHECK(m.graph.inputs[0].dims[4].value == 6);
}

TEST_CASE("ONNX export: a sequence net with causal convolution and channel layer norm round-trips") {
  for (int64_t length : {int64_t{13}, int64_t{-1}}) {
    CAPTURE(length);
    Network net;
    net.add(make<SequenceInputLayer>(
        "seq", SequenceInputOptions{.channels = 4, .length = length,
                                    .normalization = {.kind = Normalization::ZeroCenter, .mean = randomArray32({4}, "", 1)}}));
    net.add(make<ConvolutionLayer>("causal",
                                   convOptions(1, {3, 4, 6}, 10, {.dilation = {2}, .padding = ConvPadding::causal()})));
    net.add(make<LayerNormalizationLayer>("ln", layerNorm(6, 20, LayerNormDims::Auto)));
    net.add(make<ReluLayer>("relu"));
    net.add(make<ConvolutionLayer>("strided", convOptions(1, {3, 2, 6}, 30, {.stride = {2}, .padding = ConvPadding::same(),
                                                                             .groups = 3})));
    net.add(make<BatchNormalizationLayer>("bn", batchNorm(6, 40)));
    net.add(make<MaxPoolingLayer>("maxpool", pool(1, {.size = {2}, .stride = {2}, .padding = PoolPadding::same()})));
    net.add(make<AveragePoolingLayer>("avgpool", pool(1, {.size = {3}, .stride = {1}, .padding = PoolPadding::same()})));
    net.add(make<FullyConnectedLayer>("fcStep", fc(5, 6, 50)));
    net.add(make<FlattenLayer>("flatten"));
    net.add(make<SoftmaxLayer>("softmax"));
    net.initialize();
    const Array x = randomArray32({4, 2, 13}, "CBT", 100, -2, 2);
    const onnx::Model m = roundTrip(net, x, "seq");
    REQUIRE(m.graph.inputs[0].dims.size() == 3);
    CHECK(m.graph.inputs[0].dims[1].value == 4);
    if (length < 0) {
      CHECK(m.graph.inputs[0].dims[2].param == "T");
      // A different length runs too.
      Network again = onnx::importNetwork(m);
      const Array longer = randomArray32({4, 3, 20}, "CBT", 101, -2, 2);
      CHECK(relativeError(again.predict(longer), net.predict(longer)) < 1e-5);
    } else {
      CHECK(m.graph.inputs[0].dims[2].value == 13);
    }
  }
}

TEST_CASE("ONNX export: an MLP with feature input round-trips") {
  Network net;
  net.add(make<FeatureInputLayer>(
      "features", FeatureInputOptions{.channels = 10,
                                      .normalization = {.kind = Normalization::ZScore,
                                                        .mean = randomArray32({10}, "", 1),
                                                        .standardDeviation = randomArray32({1}, "", 2, 0.5, 2)}}));
  net.add(make<FullyConnectedLayer>("fc1", fc(16, 10, 10)));
  net.add(make<TanhLayer>("tanh"));
  net.add(make<DropoutLayer>("dropout"));
  net.add(make<FullyConnectedLayer>("fc2", fc(12, 16, 20, false)));
  net.add(make<HardSwishLayer>("hswish"));
  net.add(make<LayerNormalizationLayer>("ln", layerNorm(12, 30, LayerNormDims::Auto)));
  net.add(make<BatchNormalizationLayer>("bn", batchNorm(12, 40)));
  net.add(make<FlattenLayer>("flatten"));
  net.add(make<FullyConnectedLayer>("fc3", fc(4, 12, 50)));
  net.add(make<SoftmaxLayer>("softmax"));
  net.initialize();
  const Array x = randomArray32({10, 5}, "CB", 100, -2, 2);
  const onnx::Model m = roundTrip(net, x, "mlp");
  REQUIRE(m.graph.outputs.size() == 1);
  CHECK(m.graph.outputs[0].name == "softmax");
  REQUIRE(m.graph.outputs[0].dims.size() == 2);
  CHECK(m.graph.outputs[0].dims[0].param == "N");
  CHECK(m.graph.outputs[0].dims[1].value == 4);
}

namespace {

// An ONNX-order constant operand with this ONNX shape and random values.
Array onnxConstant(const std::vector<int64_t>& shape, unsigned seed, double lo = -1, double hi = 1) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return onnx::onnxOrderArray(dlcam::test::randomArray({n}, "", seed, lo, hi).value(), shape);
}

}  // namespace

TEST_CASE("ONNX export: the ONNX tensor layers round-trip as their ops") {
  using namespace dlcam::onnx;
  constexpr int64_t kEnd = std::numeric_limits<int64_t>::max(), kBegin = std::numeric_limits<int64_t>::min();
  const Array run;  // a run-time operand
  Network net;      // ONNX shapes with N = 1 in the comments
  net.add(make<ImageInputLayer>("img", ImageInputOptions{.size = {4, 5, 3}}));  // 1×3×4×5
  net.add(make<SliceLayer>("slice", SliceOptions{.starts = {1, 0}, .ends = {kEnd, -1}, .axes = {2, 3}, .steps = {1, 2}}));
  net.add(make<PadLayer>("padEdge", PadOptions{.mode = PadMode::Edge, .pads = {0, 0, 1, 2, 0, 0, 0, 1}}));  // 1×3×4×5
  net.add(make<PadLayer>("padReflect", PadOptions{.mode = PadMode::Reflect, .pads = {0, 0, 2, 1, 0, 0, 1, 2}}),
          {"img"});  // 1×3×7×8
  net.add(make<PadLayer>("padConstant", PadOptions{.pads = {0, 0, -1, 1, 0, 0, -2, -3}, .value = 0.5}));  // 1×3×4×6
  net.add(make<SliceLayer>("reverse", SliceOptions{.starts = {4}, .ends = {kBegin}, .axes = {3}, .steps = {-1}}));
  net.add(make<ElementwiseLayer>("mean", ElementwiseOptions{.op = ElementwiseOp::Mean}, std::vector<Array>{run, run}),
          {"padEdge", "reverse"});
  net.add(make<ElementwiseLayer>("max", ElementwiseOptions{.op = ElementwiseOp::Max},
                                 std::vector<Array>{run, run, onnxConstant({1, 1, 5}, 1)}),
          {"mean", "padEdge"});
  net.add(make<ElementwiseLayer>("sub", ElementwiseOptions{.op = ElementwiseOp::Sub},
                                 std::vector<Array>{onnxConstant({3, 1, 1}, 2), run}));
  net.add(make<ElementwiseLayer>("pow", ElementwiseOptions{.op = ElementwiseOp::Pow},
                                 std::vector<Array>{run, onnxConstant({}, 3, 2, 2)}));
  net.add(make<ElementwiseLayer>("div", ElementwiseOptions{.op = ElementwiseOp::Div},
                                 std::vector<Array>{run, onnxConstant({5}, 4, 1, 2)}));
  net.add(make<TransposeLayer>("transpose", std::vector<int64_t>{0, 2, 3, 1}));  // 1×4×5×3
  net.add(make<ReshapeLayer>("reshape", ReshapeOptions{.shape = {1, -1, 3}, .importShape = {1, 4, 5, 3}}));  // 1×20×3
  net.add(make<GatherLayer>("gather", GatherOptions{.axis = 1, .indices = {0, 5, 19, -1}, .indicesShape = {2, 2}}));
  net.add(make<SqueezeLayer>("unsqueeze", SqueezeOptions{.unsqueeze = true, .axes = {1}}));  // 1×1×2×2×3
  net.add(make<SqueezeLayer>("squeeze", SqueezeOptions{.axes = {1}}));                       // 1×2×2×3
  net.add(make<ReduceLayer>("reduceMean", ReduceOptions{.op = ReduceOp::Mean, .axes = {2}}));  // 1×2×1×3
  net.add(make<ExpandLayer>("expand", std::vector<int64_t>{1, 2, 4, 3}));                       // 1×2×4×3
  net.add(make<AxisSoftmaxLayer>("softmaxCoerced", AxisSoftmaxOptions{.axis = 1, .coerce2d = true}));
  net.add(make<AxisSoftmaxLayer>("logSoftmax", AxisSoftmaxOptions{.log = true, .axis = 2}), {"expand"});
  net.add(make<AxisLayerNormLayer>("ln", 2, 1e-3, std::vector<Array>{run, onnxConstant({4, 3}, 5), onnxConstant({3}, 6)}));
  net.add(make<AxisLayerNormLayer>("lnTinyEpsilon", -1, 1e-9, std::vector<Array>{run, onnxConstant({3}, 7, 1, 2)}),
          {"softmaxCoerced"});
  net.add(make<ElementwiseLayer>("times10", ElementwiseOptions{.op = ElementwiseOp::Mul},
                                 std::vector<Array>{run, onnxConstant({}, 8, 10, 10)}));
  net.add(make<CastLayer>("cast", DataType::Int32));
  net.add(make<ConcatLayer>("concat", 2, std::vector<Array>{run, run}), {"ln", "cast"});  // 1×2×8×3
  net.add(make<MatMulLayer>("matmul", std::vector<Array>{run, onnxConstant({3, 5}, 9)}));  // 1×2×8×5
  net.add(make<ReduceLayer>("reduceMax", ReduceOptions{.op = ReduceOp::Max, .axes = {3}, .keepDims = false}));
  net.add(make<ReduceLayer>("reduceSum", ReduceOptions{.op = ReduceOp::Sum, .axes = {1}}));  // 1×1×8
  net.add(make<FlattenToMatrixLayer>("flatten", 1));                                          // 1×8
  net.add(make<ElementwiseLayer>("min", ElementwiseOptions{.op = ElementwiseOp::Min},
                                 std::vector<Array>{run, onnxConstant({8}, 10, 0, 3)}));
  net.initialize();
  REQUIRE(net.outputInfo("padConstant").size == Shape({4, 6, 3, 1}));  // H×W×C×N
  REQUIRE(net.outputInfo("gather").size == Shape({2, 3, 2, 1}));
  REQUIRE(net.outputInfo("min").size == Shape({8, 1}));

  const Array x = randomArray32({4, 5, 3, 2}, "SSCB", 100, -2, 2);
  const onnx::Model m = roundTrip(net, x, "tensor_layers");
  for (const char* op : {"Slice", "Pad", "Mean", "Max", "Sub", "Pow", "Div", "Transpose", "Reshape", "Gather", "Unsqueeze",
                         "Squeeze", "ReduceMean", "Expand", "Flatten", "Softmax", "LogSoftmax", "LayerNormalization",
                         "Mul", "Cast", "Concat", "MatMul", "ReduceMax", "ReduceSum", "Min"})
    CHECK_MESSAGE(hasOp(m, op), op);
}

TEST_CASE("ONNX export: integer-mode arithmetic keeps its truncation") {
  using namespace dlcam::onnx;
  const Array run;
  // Integer shape arithmetic, as the importer builds it for int64 operands: Div truncates
  // toward zero (7 / 2 = 3, −7 / 2 = −3), Mean too.
  const std::vector<double> divisors = {2, 3, -4, 5, 7};
  const Array divisor = onnxOrderArray(
      Tensor::fromValues(Shape{5}, std::span<const double>(divisors), DType::Float64), {5});
  Network net;
  net.add(make<FeatureInputLayer>("features", FeatureInputOptions{.channels = 5}));  // N×5
  net.add(make<ElementwiseLayer>("idiv", ElementwiseOptions{.op = ElementwiseOp::Div, .integer = true},
                                 std::vector<Array>{run, divisor}));
  net.add(make<ElementwiseLayer>("imean", ElementwiseOptions{.op = ElementwiseOp::Mean, .integer = true},
                                 std::vector<Array>{run, run}),
          {"idiv", "features"});
  net.initialize();

  // Integers from −20 to 20, so that most quotients and means have a fraction to drop.
  const int64_t n = 3;
  std::vector<float> values;
  for (int64_t i = 0; i < 5 * n; ++i) values.push_back(static_cast<float>((i * 13) % 41 - 20));
  const Array x(Tensor::fromValues(Shape{5, n}, std::span<const float>(values), DType::Float32), "CB");

  // Naive reference: C-style integer arithmetic, channel c of sample b at c + 5·b.
  std::vector<float> expected;
  for (int64_t i = 0; i < 5 * n; ++i) {
    const auto v = static_cast<int64_t>(values[static_cast<size_t>(i)]);
    const int64_t q = v / static_cast<int64_t>(divisors[static_cast<size_t>(i % 5)]);
    expected.push_back(static_cast<float>((q + v) / 2));
  }
  const Array reference(Tensor::fromValues(Shape{5, n}, std::span<const float>(expected), DType::Float32), "CB");
  REQUIRE(relativeError(net.predict(x), reference) == 0);

  const onnx::Model m = roundTrip(net, x, "integer_mode");
  CHECK(relativeError(onnx::importNetwork(m).predict(x), reference) == 0);
  // Each layer: its op, then Cast to int64 and back to float, the last node named after it.
  for (const std::string layer : {"idiv", "imean"}) {
    CAPTURE(layer);
    const auto last = std::find_if(m.graph.nodes.begin(), m.graph.nodes.end(),
                                   [&](const onnx::Node& node) { return node.name == layer; });
    REQUIRE(last != m.graph.nodes.end());
    REQUIRE(last - m.graph.nodes.begin() >= 2);
    const onnx::Node& toInt = *(last - 1);
    CHECK((last - 2)->opType == (layer == "idiv" ? "Div" : "Mean"));
    CHECK(toInt.opType == "Cast");
    CHECK(toInt.attrInt("to", 0) == static_cast<int64_t>(DataType::Int64));
    CHECK(last->opType == "Cast");
    CHECK(last->attrInt("to", 0) == static_cast<int64_t>(DataType::Float));
    CHECK(toInt.inputs == std::vector<std::string>{(last - 2)->outputs[0]});
    CHECK(last->inputs == std::vector<std::string>{toInt.outputs[0]});
  }
}

namespace {

// Imports dir/model.onnx, round-trips it on dir/input.npy and checks the re-imported net
// against PyTorch's dir/output.npy as test_onnx_torch_nets.cpp does (1e-4 of the largest).
void roundTripImported(const fs::path& dir) {
  const std::string name = dir.filename().string();
  CAPTURE(name);
  Network net = onnx::importNetwork((dir / "model.onnx").string());
  const Tensor input = readNpy((dir / "input.npy").string()).to(DType::Float32);
  const Array x = onnx::fromOnnxOrder(Array(input, DimFormat::unformatted(input.rank())));
  roundTrip(net, x, name);

  onnx::Model model = onnx::toOnnxModel(net);
  Network again = onnx::importNetwork(model);
  const Tensor expected = readNpy((dir / "output.npy").string()).to(DType::Float32);
  const Array torch = onnx::fromOnnxOrder(Array(expected, DimFormat::unformatted(expected.rank())));
  CHECK(relativeError(again.predict(x), torch) < 1e-4);
}

}  // namespace

TEST_CASE("ONNX export: imported ONNX nets round-trip") {
  REQUIRE(fs::is_directory(test::smallNetsDir()));
  for (const char* name : test::kSmallNets) roundTripImported(test::smallNetsDir() / name);
}

TEST_CASE("ONNX export: imported torchvision nets round-trip") {
  if (auto root = test::torchvisionExports())
    for (const char* name : test::kTorchvisionNets) roundTripImported(*root / name);
}

TEST_CASE("ONNX export: errors") {
  SUBCASE("uninitialized network") {
    Network net;
    net.add(make<FeatureInputLayer>("features", FeatureInputOptions{.channels = 3}));
    net.add(make<ReluLayer>("relu"));
    CHECK_THROWS_WITH_AS(onnx::toOnnxModel(net), doctest::Contains("not initialized"), Error);
  }
  SUBCASE("unsupported opset") {
    Network net;
    net.add(make<FeatureInputLayer>("features", FeatureInputOptions{.channels = 3}));
    net.add(make<ReluLayer>("relu"));
    net.initialize();
    CHECK_THROWS_WITH_AS(onnx::toOnnxModel(net, {.opset = 13}), doctest::Contains("opset 13"), Error);
  }
  SUBCASE("a layer class without an ONNX export") {
    struct Doubling : Layer {
      using Layer::Layer;
      std::string type() const override { return "Doubling"; }
      ActivationInfo inferOutput(std::span<const ActivationInfo> inputs) const override { return inputs[0]; }
      Array forward(std::span<const Array> inputs, ForwardContext&) const override { return inputs[0]; }
    };
    Network net;
    net.add(make<FeatureInputLayer>("features", FeatureInputOptions{.channels = 3}));
    net.add(make<Doubling>("twice"));
    net.initialize();
    CHECK_THROWS_WITH_AS(onnx::toOnnxModel(net), doctest::Contains("layer 'twice' (Doubling)"), Error);
  }
}
