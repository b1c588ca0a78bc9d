// The ONNX importer's graph handling: names and aliases, folding, pruning, and one-line
// errors for broken models (never a crash).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include "autodiff/conv.h"
#include "autodiff/elementwise.h"
#include "core/error.h"
#include "io/onnx/importer.h"
#include "io/onnx/layout.h"
#include "io/onnx/proto.h"
#include "tests/support/gradcheck.h"

using namespace dlcam;
using namespace dlcam::onnx;

namespace {

ValueInfo tensorInfo(std::string name, std::vector<int64_t> dims) {
  ValueInfo v;
  v.name = std::move(name);
  v.elemType = DataType::Float;
  v.hasShape = true;
  for (int64_t d : dims) v.dims.push_back(Dimension{d, ""});
  return v;
}

Node node(std::string name, std::string op, std::vector<std::string> in, std::vector<std::string> out) {
  Node n;
  n.name = std::move(name);
  n.opType = std::move(op);
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

std::vector<float> ramp(int64_t n, float scale) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = scale * static_cast<float>((i * 7) % 11 - 5);
  return v;
}

// x (1×2×5×5) → Conv (3 filters 3×3, W and B initializers) → Relu → y.
Model convRelu() {
  Model m;
  m.irVersion = 8;
  m.opsets.push_back(OpsetId{"", 13});
  Graph& g = m.graph;
  g.inputs.push_back(tensorInfo("x", {1, 2, 5, 5}));
  g.outputs.push_back(tensorInfo("y", {1, 3, 5, 5}));
  std::vector<float> w = ramp(3 * 2 * 3 * 3, 0.1f), b = ramp(3, 0.5f);
  g.initializers.push_back(makeTensor("W", {3, 2, 3, 3}, std::span<const float>(w)));
  g.initializers.push_back(makeTensor("B", {3}, std::span<const float>(b)));
  Node conv = node("conv", "Conv", {"x", "W", "B"}, {"c"});
  Attribute pads;
  pads.name = "pads";
  pads.type = AttributeType::Ints;
  pads.ints = {1, 1, 1, 1};
  conv.attributes.push_back(pads);
  g.nodes.push_back(conv);
  g.nodes.push_back(node("relu", "Relu", {"c"}, {"y"}));
  return m;
}

std::string importError(const Model& m) {
  try {
    importNetwork(m);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("ONNX import: a conv + relu model matches dlcam's own conv, names and aliases work") {
  Model m = convRelu();
  Network net = importNetwork(m);
  REQUIRE(net.numLayers() == 3);
  CHECK(net.layer(0).name() == "x");
  CHECK(net.layer("conv").type() == "2-D Convolution");
  CHECK(&net.layer("c") == &net.layer("conv"));  // the output tensor name is an alias
  CHECK(&net.layer("y") == &net.layer("relu"));
  CHECK(net.outputInfo("conv").str() == "5(S) × 5(S) × 3(C) × 1(B)");

  // Reference: the same convolution written directly with dlcam's conv on the labelled
  // data. ONNX W is 3×2×3×3 row-major = column-major kw×kh×C×F; MATLAB wants kh×kw×C×F.
  std::vector<float> xv = ramp(2 * 5 * 5 * 2, 0.3f);
  Array xOnnx = onnxOrderArray(Tensor::fromValues(Shape{100}, std::span<const float>(xv)), {2, 2, 5, 5});
  Array x = fromOnnxOrder(xOnnx);
  CHECK(x.format().str() == "SSCB");
  std::vector<float> w = ramp(54, 0.1f), b = ramp(3, 0.5f);
  Tensor wt({3, 3, 2, 3});
  for (int f = 0; f < 3; ++f)
    for (int c = 0; c < 2; ++c)
      for (int i = 0; i < 3; ++i)      // kh
        for (int j = 0; j < 3; ++j)    // kw
          wt.data<float>()[i + 3 * (j + 3 * (c + 2 * f))] = w[static_cast<size_t>(((f * 2 + c) * 3 + i) * 3 + j)];
  Array expected = relu(conv(x, Array(wt), Array::fromValues(Shape{3}, std::span<const float>(b)),
                             ConvOptions{.padding = ConvPadding::explicitPad({1}, {1})}));
  test::expectClose(net.predict(x).value(), expected.value(), 1e-6, 1e-6);
  // Any batch size runs, though the file says 1.
  CHECK(net.predict(x).size(3) == 2);
  // The summary lists every layer.
  std::string summary = net.summary();
  for (const char* name : {"x", "conv", "relu", "2-D Convolution", "ReLU"}) CHECK(contains(summary, name));
}

TEST_CASE("ONNX import: shape sub-graphs fold at load and dead branches are dropped") {
  Model m = convRelu();
  Graph& g = m.graph;
  // y2 = Reshape(y, Concat(Gather(Shape(y), 0), [-1])) → N × 75; an unused Sigmoid branch.
  std::vector<int64_t> zero{0}, minusOne{-1};
  g.initializers.push_back(makeTensor("zero", {}, std::span<const int64_t>(zero)));
  g.initializers.push_back(makeTensor("minus_one", {1}, std::span<const int64_t>(minusOne)));
  g.nodes.push_back(node("shape", "Shape", {"y"}, {"s"}));
  Node gather = node("gather", "Gather", {"s", "zero"}, {"n"});
  g.nodes.push_back(gather);
  Node unsq = node("unsqueeze", "Unsqueeze", {"n", "axes"}, {"n1"});
  std::vector<int64_t> axes{0};
  g.initializers.push_back(makeTensor("axes", {1}, std::span<const int64_t>(axes)));
  g.nodes.push_back(unsq);
  Node cat = node("cat", "Concat", {"n1", "minus_one"}, {"target"});
  Attribute axis;
  axis.name = "axis";
  axis.type = AttributeType::Int;
  axis.i = 0;
  cat.attributes.push_back(axis);
  g.nodes.push_back(cat);
  g.nodes.push_back(node("reshape", "Reshape", {"y", "target"}, {"z"}));
  g.nodes.push_back(node("unused", "Sigmoid", {"c"}, {"dead"}));
  g.outputs[0] = tensorInfo("z", {1, 75});

  Network net = importNetwork(m);
  CHECK(net.numLayers() == 4);  // x, conv, relu, reshape: the shape ops folded, the Sigmoid dropped
  CHECK_FALSE(net.contains("unused"));
  CHECK_FALSE(net.contains("gather"));
  CHECK(net.outputInfo("reshape").str() == "75(C) × 1(B)");
  // The folded target holds the import-time batch (1); a batch of 3 still reshapes per observation.
  Array x = fromOnnxOrder(onnxOrderArray(Tensor::full({3 * 50}, 0.25f), {3, 2, 5, 5}));
  Array z = net.predict(x);
  CHECK(z.format().str() == "CB");
  CHECK(z.size(0) == 75);
  CHECK(z.size(1) == 3);
}

TEST_CASE("ONNX import: broken models give one-line errors naming the problem") {
  SUBCASE("missing initializer") {
    Model m = convRelu();
    m.graph.initializers.erase(m.graph.initializers.begin());  // W
    std::string e = importError(m);
    CHECK(contains(e, "'conv'"));
    CHECK(contains(e, "'W'"));
    CHECK(contains(e, "not produced"));
  }
  SUBCASE("dangling node input") {
    Model m = convRelu();
    m.graph.nodes[1].inputs[0] = "nowhere";
    std::string e = importError(m);
    CHECK(contains(e, "'relu'"));
    CHECK(contains(e, "'nowhere'"));
  }
  SUBCASE("cycle") {
    Model m = convRelu();
    m.graph.nodes[0].inputs[0] = "y";  // conv consumes relu's output, relu consumes conv's
    std::string e = importError(m);
    CHECK(contains(e, "'conv'"));
    CHECK(contains(e, "cycle"));
  }
  SUBCASE("initializer that does not fit the layer") {
    Model m = convRelu();
    std::vector<float> w = ramp(3 * 4 * 3 * 3, 0.1f);
    m.graph.initializers[0] = makeTensor("W", {3, 4, 3, 3}, std::span<const float>(w));  // 4 channels, x has 2
    std::string e = importError(m);
    CHECK(contains(e, "conv"));
    CHECK(contains(e, "channel"));
  }
  SUBCASE("initializer whose data does not match its dims") {
    Model m = convRelu();
    m.graph.initializers[1].dims = {4};  // 3 values stored
    std::string e = importError(m);
    CHECK(contains(e, "'B'"));
    CHECK(contains(e, "declared by dims [4]"));
    // The writer refuses to write such a tensor too.
    CHECK_THROWS_AS(serializeModel(m), Error);
  }
  SUBCASE("several inputs") {
    Model m = convRelu();
    m.graph.inputs.push_back(tensorInfo("extra", {1, 3}));
    std::string e = importError(m);
    CHECK(contains(e, "one input"));
    CHECK(contains(e, "'extra'"));
  }
  SUBCASE("several outputs") {
    Model m = convRelu();
    m.graph.outputs.push_back(tensorInfo("c", {1, 3, 5, 5}));
    CHECK(contains(importError(m), "one output"));
  }
  SUBCASE("unsupported op") {
    Model m = convRelu();
    m.graph.nodes[1].opType = "Einsum";
    std::string e = importError(m);
    CHECK(contains(e, "'relu'"));
    CHECK(contains(e, "Einsum"));
    CHECK(contains(e, "Supported: "));
  }
  SUBCASE("opset out of range") {
    Model m = convRelu();
    m.opsets[0].version = 18;
    CHECK(contains(importError(m), "opset 18"));
  }
  SUBCASE("output computed by nothing") {
    Model m = convRelu();
    m.graph.outputs[0].name = "ghost";
    CHECK(contains(importError(m), "'ghost'"));
  }
  SUBCASE("duplicate value names") {
    Model m = convRelu();
    m.graph.nodes[1].outputs[0] = "c";
    CHECK(contains(importError(m), "defined twice"));
  }
}

TEST_CASE("ONNX import: truncated and corrupted files throw dlcam::Error, never crash") {
  const std::string bytes = serializeModel(convRelu());
  const auto path = std::filesystem::temp_directory_path() / "dlcam_test_import_truncated.onnx";
  int errors = 0, loaded = 0;
  auto attempt = [&](const std::string& data) {
    {
      std::ofstream f(path, std::ios::binary);
      f.write(data.data(), static_cast<std::streamsize>(data.size()));
    }
    try {
      Network net = importNetwork(path.string());
      ++loaded;
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find('\n') == std::string::npos);  // one line
      ++errors;
    }
  };
  for (size_t n = 0; n < bytes.size(); n += 3) attempt(bytes.substr(0, n));
  std::mt19937 rng(7);
  for (int k = 0; k < 300; ++k) {
    std::string corrupted = bytes;
    for (int flips = 0; flips < 4; ++flips)
      corrupted[rng() % corrupted.size()] = static_cast<char>(rng() & 0xFF);
    attempt(corrupted);
  }
  std::filesystem::remove(path);
  CHECK(errors > 0);
  CHECK(errors + loaded == static_cast<int>((bytes.size() + 2) / 3) + 300);
}

// ---- review findings: input dimensions, names, padding, constants --------------------------

namespace {

Node withAttrs(Node n, std::vector<Attribute> attributes) {
  n.attributes = std::move(attributes);
  return n;
}

Dimension fixedDim(int64_t size) { return Dimension{size, ""}; }
Dimension openDim(std::string symbol) { return Dimension{-1, std::move(symbol)}; }

ValueInfo inputInfo(std::vector<Dimension> dims) {
  ValueInfo v;
  v.name = "x";
  v.elemType = DataType::Float;
  v.hasShape = true;
  v.dims = std::move(dims);
  return v;
}

// Input x, output y (the last node's output unless named otherwise).
Model graphOf(ValueInfo x, std::vector<Node> nodes, std::vector<TensorProto> initializers = {}, int64_t opset = 13,
              std::string output = "y") {
  Model m;
  m.irVersion = 8;
  m.opsets.push_back(OpsetId{"", opset});
  m.graph.inputs.push_back(std::move(x));
  m.graph.outputs.push_back(tensorInfo(std::move(output), {}));
  m.graph.nodes = std::move(nodes);
  m.graph.initializers = std::move(initializers);
  return m;
}

std::string importError(const Model& m, const ImportOptions& options) {
  try {
    importNetwork(m, options);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// A labelled input from row-major values of an ONNX shape, and the output back in ONNX order.
Array onnxInput(const std::vector<float>& values, const std::vector<int64_t>& shape) {
  const Shape flat{static_cast<int64_t>(values.size())};
  return fromOnnxOrder(onnxOrderArray(Tensor::fromValues(flat, std::span<const float>(values)), shape));
}

std::vector<double> onnxValues(const Array& labelled) {
  Tensor t = toOnnxOrder(labelled).value().to(DType::Float64);
  return std::vector<double>(t.data<double>(), t.data<double>() + t.numel());
}

// Conv1d of one channel (no bias) with ONNX's SAME_LOWER padding, written out directly.
std::vector<double> conv1dSameLower(const std::vector<float>& x, const std::vector<float>& w, int64_t stride) {
  const int64_t n = static_cast<int64_t>(x.size()), k = static_cast<int64_t>(w.size());
  const int64_t outs = (n + stride - 1) / stride;
  const int64_t total = std::max<int64_t>((outs - 1) * stride + k - n, 0);
  const int64_t before = total - total / 2;  // SAME_LOWER: the odd one goes first
  std::vector<double> y(static_cast<size_t>(outs), 0.0);
  for (int64_t o = 0; o < outs; ++o)
    for (int64_t j = 0; j < k; ++j) {
      const int64_t i = o * stride + j - before;
      if (i >= 0 && i < n)
        y[static_cast<size_t>(o)] += static_cast<double>(w[static_cast<size_t>(j)]) * x[static_cast<size_t>(i)];
    }
  return y;
}

Model sameLowerConv1d(int64_t stride) {
  std::vector<float> w{1, 2, 3, 4};
  return graphOf(inputInfo({openDim("N"), fixedDim(1), openDim("L")}),
                 {withAttrs(node("conv", "Conv", {"x", "w"}, {"y"}),
                            {stringAttr("auto_pad", "SAME_LOWER"), intsAttr("strides", {stride})})},
                 {makeTensor("w", {1, 1, 4}, std::span<const float>(w))});
}

std::vector<float> iota(int64_t n, float start = 1) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = start + static_cast<float>(i);
  return v;
}

}  // namespace

TEST_CASE("ONNX import: SAME_LOWER with a stride on a sequence of any length is refused, fixed lengths work") {
  const std::vector<float> w{1, 2, 3, 4};
  SUBCASE("stride 2: the padding depends on the length") {
    Model m = sameLowerConv1d(2);
    std::string e = importError(m);
    CHECK(contains(e, "'conv'"));
    CHECK(contains(e, "SAME_LOWER"));
    CHECK(contains(e, "ImportOptions::inputShape"));
    // With the length fixed, the padding is exact (L = 7, k = 4, s = 2: 2 before, 1 after).
    ImportOptions options;
    options.inputShape = {1, 1, 7};
    Network net = importNetwork(m, options);
    const std::vector<float> x = iota(7);
    std::vector<double> y = onnxValues(net.predict(onnxInput(x, {1, 1, 7})));
    std::vector<double> expected = conv1dSameLower(x, w, 2);
    REQUIRE(expected.size() == 4);
    CHECK(expected[0] == 1 * 0 + 2 * 0 + 3 * 1 + 4 * 2);  // the reference pads two in front
    REQUIRE(y.size() == expected.size());
    for (size_t i = 0; i < y.size(); ++i) CHECK(y[i] == doctest::Approx(expected[i]));
  }
  SUBCASE("stride 1: the padding is k − 1 for every length, so any length runs") {
    Network net = importNetwork(sameLowerConv1d(1));
    for (int64_t length : {6, 9}) {
      const std::vector<float> x = iota(length, -2);
      std::vector<double> y = onnxValues(net.predict(onnxInput(x, {1, 1, length})));
      std::vector<double> expected = conv1dSameLower(x, w, 1);
      REQUIRE(y.size() == expected.size());
      for (size_t i = 0; i < y.size(); ++i) CHECK(y[i] == doctest::Approx(expected[i]));
    }
  }
}

TEST_CASE("ONNX import: open and negative input dimensions, and ImportOptions::inputShape checked against the file") {
  auto convWith = [](std::vector<Dimension> dims) {
    Model m = convRelu();
    m.graph.inputs[0] = inputInfo(std::move(dims));
    return m;
  };
  SUBCASE("an open batch is taken as 1 and any batch runs") {
    Network net = importNetwork(convWith({openDim("N"), fixedDim(2), fixedDim(5), fixedDim(5)}));
    CHECK(net.outputInfo("conv").str() == "5(S) × 5(S) × 3(C) × 1(B)");
  }
  SUBCASE("a batch written as 0 is open too (exporters write 0 for any)") {
    Network net = importNetwork(convWith({fixedDim(0), fixedDim(2), fixedDim(5), fixedDim(5)}));
    CHECK(net.outputInfo("conv").str() == "5(S) × 5(S) × 3(C) × 1(B)");
    CHECK(contains(importError(convWith({fixedDim(1), fixedDim(2), fixedDim(0), fixedDim(5)})), "leaves dimension 2"));
  }
  SUBCASE("open H or W must be given") {
    Model m = convWith({openDim("N"), fixedDim(2), openDim("H"), openDim("W")});
    std::string e = importError(m);
    CHECK(contains(e, "ONNX input 'x' leaves dimension 2 ('H') open"));
    CHECK(contains(e, "ImportOptions::inputShape"));
    ImportOptions options;
    options.inputShape = {1, 2, 7, 6};
    Network net = importNetwork(m, options);
    CHECK(net.outputInfo("conv").str() == "7(S) × 6(S) × 3(C) × 1(B)");
  }
  SUBCASE("an unnamed open channel dimension") {
    std::string e = importError(convWith({fixedDim(1), Dimension{}, fixedDim(5), fixedDim(5)}));
    CHECK(contains(e, "leaves dimension 1 open"));
  }
  SUBCASE("a negative size") {
    std::string e = importError(convWith({fixedDim(1), fixedDim(2), fixedDim(-5), fixedDim(5)}));
    CHECK(contains(e, "'x'"));
    CHECK(contains(e, "dimension 2"));
    CHECK(contains(e, "-5"));
  }
  SUBCASE("inputShape of another rank") {
    ImportOptions options;
    options.inputShape = {1, 2, 5};
    std::string e = importError(convWith({openDim("N"), fixedDim(2), openDim("H"), fixedDim(5)}), options);
    CHECK(contains(e, "ImportOptions::inputShape [1 2 5]"));
    CHECK(contains(e, "rank 4"));
  }
  SUBCASE("inputShape against a fixed dimension") {
    ImportOptions options;
    options.inputShape = {1, 3, 5, 5};
    std::string e = importError(convWith({openDim("N"), fixedDim(2), openDim("H"), fixedDim(5)}), options);
    CHECK(contains(e, "dimension 1"));
    CHECK(contains(e, "fixes it to 2"));
  }
}

TEST_CASE("ONNX import: every tensor name reaches the layer computing it; clashing node names get _2") {
  SUBCASE("node 'b' and tensor 'b' (the output of node 'a')") {
    Model m = graphOf(tensorInfo("x", {1, 3}), {node("a", "Relu", {"x"}, {"b"}), node("b", "Sigmoid", {"b"}, {"y"})});
    Network net = importNetwork(m);
    CHECK(&net.layer("b") == &net.layer("a"));  // tensor b is the Relu's output
    CHECK(net.layer("b_2").type() == "Sigmoid");
    CHECK(&net.layer("y") == &net.layer("b_2"));
  }
  SUBCASE("an unnamed node does not take the name of another node's output") {
    Model m = graphOf(tensorInfo("x", {1, 3}),
                      {node("", "Relu", {"x"}, {"r"}), node("sig", "Sigmoid", {"r"}, {"Relu_1"})}, {}, 13, "Relu_1");
    Network net = importNetwork(m);
    CHECK(&net.layer("Relu_1") == &net.layer("sig"));
    CHECK(&net.layer("r") == &net.layer(1));
    CHECK(net.layer(1).type() == "ReLU");
    CHECK(net.layer(1).name() != "Relu_1");
  }
}

TEST_CASE("ONNX import: ceil_mode under SAME padding is ignored, as ONNX does") {
  const std::vector<float> x = iota(25);  // 5×5, increasing: each window's max is its last element
  for (const char* autoPad : {"SAME_UPPER", "SAME_LOWER"}) {
    CAPTURE(autoPad);
    Model m = graphOf(tensorInfo("x", {1, 1, 5, 5}),
                      {withAttrs(node("pool", "MaxPool", {"x"}, {"y"}),
                                 {stringAttr("auto_pad", autoPad), intsAttr("kernel_shape", {2, 2}),
                                  intsAttr("strides", {2, 2}), intAttr("ceil_mode", 1)})});
    Network net = importNetwork(m);
    std::vector<double> y = onnxValues(net.predict(onnxInput(x, {1, 1, 5, 5})));
    REQUIRE(y.size() == 9);  // ceil(5 / 2) = 3 per side
    // SAME_UPPER pads one after (windows 0–1, 2–3, 4), SAME_LOWER one before (0, 1–2, 3–4).
    const bool upper = std::string(autoPad) == "SAME_UPPER";
    const int last[3] = {upper ? 1 : 0, upper ? 3 : 2, 4};
    for (int r = 0; r < 3; ++r)
      for (int s = 0; s < 3; ++s)
        CHECK(y[static_cast<size_t>(3 * r + s)] == x[static_cast<size_t>(5 * last[r] + last[s])]);
  }
}

TEST_CASE("ONNX import: opset < 11 Clip's default bounds (∓FLT_MAX) are no bounds") {
  SUBCASE("opset 10 Clip(min = 0) is a ReLU") {
    Model m = graphOf(tensorInfo("x", {1, 3}), {withAttrs(node("clip", "Clip", {"x"}, {"y"}), {floatAttr("min", 0)})},
                      {}, 10);
    CHECK(importNetwork(m).layer("clip").type() == "ReLU");
  }
  SUBCASE("opset 10 Clip(max = 1) has no lower bound, not −FLT_MAX") {
    Model m = graphOf(tensorInfo("x", {1, 2}), {withAttrs(node("clip", "Clip", {"x"}, {"y"}), {floatAttr("max", 1)})},
                      {}, 10);
    Network net = importNetwork(m);
    const float inf = std::numeric_limits<float>::infinity();
    std::vector<double> y = onnxValues(net.predict(onnxInput({-inf, 3}, {1, 2})));
    CHECK(y[0] == -inf);
    CHECK(y[1] == 1);
  }
}

TEST_CASE("ONNX import: a constant input read as one value must hold exactly one") {
  const std::vector<float> none;
  const TensorProto empty = makeTensor("e", {0}, std::span<const float>(none));
  auto check = [](const std::string& e, const char* nodeName) {
    CHECK(contains(e, nodeName));
    CHECK(contains(e, "('e') must hold one value, got 0"));
  };
  SUBCASE("Clip min") {
    check(importError(graphOf(tensorInfo("x", {1, 3}), {node("clip", "Clip", {"x", "e"}, {"y"})}, {empty})), "'clip'");
  }
  SUBCASE("Clip max") {
    check(importError(graphOf(tensorInfo("x", {1, 3}), {node("clip", "Clip", {"x", "", "e"}, {"y"})}, {empty})),
          "'clip'");
  }
  SUBCASE("Dropout ratio") {
    check(importError(graphOf(tensorInfo("x", {1, 3}), {node("drop", "Dropout", {"x", "e"}, {"y"})}, {empty})),
          "'drop'");
  }
  SUBCASE("Pad constant_value") {
    std::vector<int64_t> pads{0, 1, 0, 1};
    check(importError(graphOf(tensorInfo("x", {1, 3}), {node("pad", "Pad", {"x", "p", "e"}, {"y"})},
                              {makeTensor("p", {4}, std::span<const int64_t>(pads)), empty})),
          "'pad'");
  }
}

// Just over the limit, so that the unfixed importer still fits in memory; see the next test
// for sizes past any memory.
TEST_CASE("ONNX import: constants computed at load are limited to 2^24 elements") {
  SUBCASE("ConstantOfShape") {
    std::vector<int64_t> shape{1, 1, 4097, 4096};
    Model m = graphOf(tensorInfo("x", {1, 1, 1, 1}),
                      {node("cos", "ConstantOfShape", {"s"}, {"z"}), node("mul", "Mul", {"z", "x"}, {"y"})},
                      {makeTensor("s", {4}, std::span<const int64_t>(shape))});
    std::string e = importError(m);
    CHECK(contains(e, "'cos'"));
    CHECK(contains(e, "2^24"));
  }
  SUBCASE("Expand of a constant") {
    std::vector<float> one{1};
    std::vector<int64_t> shape{4097, 4096};
    Model m = graphOf(tensorInfo("x", {1, 1}),
                      {node("e", "Expand", {"c", "s"}, {"z"}), node("add", "Add", {"x", "z"}, {"y"})},
                      {makeTensor("c", {1}, std::span<const float>(one)),
                       makeTensor("s", {2}, std::span<const int64_t>(shape))});
    std::string e = importError(m);
    CHECK(contains(e, "'e'"));
    CHECK(contains(e, "[4097 4096]"));
    CHECK(contains(e, "2^24"));
  }
  SUBCASE("Pad of a constant") {
    std::vector<float> one{1};
    std::vector<int64_t> pads{0, 17000000};
    Model m = graphOf(tensorInfo("x", {1, 1}),
                      {node("pad", "Pad", {"c", "p"}, {"z"}), node("add", "Add", {"x", "z"}, {"y"})},
                      {makeTensor("c", {1}, std::span<const float>(one)),
                       makeTensor("p", {2}, std::span<const int64_t>(pads))});
    std::string e = importError(m);
    CHECK(contains(e, "'pad'"));
    CHECK(contains(e, "2^24"));
  }
}

TEST_CASE("ONNX import: constants far past memory are refused before anything is allocated") {
  std::vector<int64_t> shape{1, 3, 8, 3200000000};
  Model m = graphOf(tensorInfo("x", {1, 3, 8, 8}),
                    {node("cos", "ConstantOfShape", {"s"}, {"z"}), node("add", "Add", {"x", "z"}, {"y"})},
                    {makeTensor("s", {4}, std::span<const int64_t>(shape))});
  CHECK(contains(importError(m), "2^24"));
  // Sizes whose product overflows int64.
  std::vector<int64_t> huge{int64_t{1} << 40, int64_t{1} << 40};
  m.graph.initializers[0] = makeTensor("s", {2}, std::span<const int64_t>(huge));
  CHECK(contains(importError(m), "2^24"));
  std::vector<float> one{1};
  Model e = graphOf(tensorInfo("x", {1, 1}),
                    {node("e", "Expand", {"c", "s"}, {"z"}), node("add", "Add", {"x", "z"}, {"y"})},
                    {makeTensor("c", {1}, std::span<const float>(one)),
                     makeTensor("s", {2}, std::span<const int64_t>(huge))});
  CHECK(contains(importError(e), "2^24"));
}

TEST_CASE("ONNX import: reductions refuse an axis named twice; Gemm transA says it is unsupported") {
  for (const char* op : {"ReduceMean", "ReduceSum", "ReduceMax"}) {
    CAPTURE(op);
    Model m = graphOf(tensorInfo("x", {1, 3, 4, 4}),
                      {withAttrs(node("reduce", op, {"x"}, {"y"}), {intsAttr("axes", {1, 2, -3})})}, {}, 11);
    std::string e = importError(m);
    CHECK(contains(e, "'reduce'"));
    CHECK(contains(e, "twice"));
  }
  std::vector<float> w = ramp(12, 0.1f);
  Model m = graphOf(tensorInfo("x", {3, 1}),
                    {withAttrs(node("gemm", "Gemm", {"x", "w"}, {"y"}), {intAttr("transA", 1)})},
                    {makeTensor("w", {3, 4}, std::span<const float>(w))});
  std::string e = importError(m);
  CHECK(contains(e, "transA = 1 is not supported"));
  CHECK_FALSE(contains(e, "constant A"));
}
