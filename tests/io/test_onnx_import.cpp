// The ONNX importer's graph handling: names and aliases, folding, pruning, and one-line
// errors for broken models (never a crash).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
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
