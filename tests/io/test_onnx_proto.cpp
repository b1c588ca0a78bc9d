// ONNX messages against files written by Debian's python3-onnx (protobuf's official
// serializer): tests/io/make_onnx_proto_fixtures.py writes them and documents their contents.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/onnx/proto.h"
#include "io/onnx/wire.h"
#include "tests/support/paths.h"

using namespace dlcam;
using namespace dlcam::onnx;
namespace fs = std::filesystem;

namespace {

// This file is tests/io/<name>.cpp; the fixtures are in tests/fixtures/onnx_proto/.
std::string fixture(const std::string& name) {
  return (test::fixturesDir() / "onnx_proto" / name).string();
}

const std::string kConformance = "/usr/share/libonnx-testdata/data/node";
const std::string kConvModel = kConformance + "/test_conv_with_strides_padding";

std::vector<uint8_t> readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot open ", path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::span<const uint8_t> span(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

const TensorProto& initializer(const Graph& g, const std::string& name) {
  auto it = std::find_if(g.initializers.begin(), g.initializers.end(), [&](const TensorProto& t) { return t.name == name; });
  REQUIRE_MESSAGE(it != g.initializers.end(), "no initializer ", name);
  return *it;
}

void checkValueInfo(const ValueInfo& v, const std::string& name, std::vector<Dimension> dims) {
  CAPTURE(name);
  CHECK(v.name == name);
  CHECK(v.elemType == DataType::Float);
  CHECK(v.hasShape);
  REQUIRE(v.dims.size() == dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    CHECK(v.dims[i].value == dims[i].value);
    CHECK(v.dims[i].param == dims[i].param);
  }
}

// Every field of two_node.onnx (see two_node_model() in the fixture script). Also applied
// to the model after a serialize -> parse round trip.
void checkTwoNodeModel(const Model& m) {
  CHECK(m.irVersion == 7);
  REQUIRE(m.opsets.size() == 2);
  CHECK(m.opsets[0].domain == "");
  CHECK(m.opsets[0].version == 13);
  CHECK(m.opsets[1].domain == "com.example");
  CHECK(m.opsets[1].version == 1);
  CHECK(m.opsetVersion() == 13);
  CHECK(m.producerName == "dlcam-test");
  CHECK(m.producerVersion == "0.1");
  CHECK(m.domain == "org.dlcam");
  CHECK(m.modelVersion == 7);
  CHECK(m.docString == "two nodes");

  const Graph& g = m.graph;
  CHECK(g.name == "two_node");
  CHECK(g.docString == "graph doc");
  REQUIRE(g.nodes.size() == 2);
  const Node& gemm = g.nodes[0];
  CHECK(gemm.name == "gemm");
  CHECK(gemm.opType == "Gemm");
  CHECK(gemm.domain == "");
  CHECK(gemm.inputs == std::vector<std::string>{"X", "W", "B"});
  CHECK(gemm.outputs == std::vector<std::string>{"H"});
  REQUIRE(gemm.attributes.size() == 2);
  CHECK(gemm.attrFloat("alpha", 1) == 2.0f);
  CHECK(gemm.attrInt("transB", 1) == 0);
  CHECK(gemm.attrFloat("beta", 1.0f) == 1.0f);   // absent: the fallback
  const Node& reshape = g.nodes[1];
  CHECK(reshape.name == "reshape");
  CHECK(reshape.opType == "Reshape");
  CHECK(reshape.inputs == std::vector<std::string>{"H", "shape"});
  CHECK(reshape.outputs == std::vector<std::string>{"Y"});
  CHECK(reshape.attributes.empty());

  REQUIRE(g.initializers.size() == 3);
  const TensorProto& w = initializer(g, "W");   // raw_data in the file
  CHECK(w.dataType == DataType::Float);
  CHECK(w.dims == std::vector<int64_t>{3, 2});
  CHECK(w.numel() == 6);
  CHECK(w.raw.size() == 24);
  CHECK(w.toFloats() == std::vector<float>{-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f});
  const TensorProto& b = initializer(g, "B");   // float_data in the file
  CHECK(b.dataType == DataType::Float);
  CHECK(b.dims == std::vector<int64_t>{2});
  CHECK(b.toFloats() == std::vector<float>{0.25f, -0.75f});
  const TensorProto& shape = initializer(g, "shape");   // int64_data in the file
  CHECK(shape.dataType == DataType::Int64);
  CHECK(shape.toInt64s() == std::vector<int64_t>{-1, 2});

  REQUIRE(g.inputs.size() == 1);
  checkValueInfo(g.inputs[0], "X", {{-1, "N"}, {3, ""}});
  REQUIRE(g.outputs.size() == 1);
  checkValueInfo(g.outputs[0], "Y", {{-1, "N"}, {-1, ""}});   // None: neither value nor symbol
  REQUIRE(g.valueInfo.size() == 1);
  checkValueInfo(g.valueInfo[0], "H", {{-1, "N"}, {2, ""}});
}

// The attributes of attributes.onnx's first node, one of each type.
void checkEveryAttribute(const Node& n, bool withGraphs) {
  CHECK(n.name == "every");
  CHECK(n.opType == "Every");
  CHECK(n.domain == "com.example");
  CHECK(n.inputs == std::vector<std::string>{"A", "", "C"});
  auto type = [&](const char* name) {
    const Attribute* a = n.find(name);
    REQUIRE_MESSAGE(a, name);
    return a->type;
  };
  CHECK(type("f") == AttributeType::Float);
  CHECK(n.attrFloat("f", 0) == 1.5f);
  CHECK(type("i") == AttributeType::Int);
  CHECK(n.attrInt("i", 0) == -3);
  CHECK(type("s") == AttributeType::String);
  CHECK(n.attrString("s", "") == "hello");
  CHECK(type("t") == AttributeType::Tensor);
  CHECK(n.find("t")->t.name == "tv");
  CHECK(n.find("t")->t.dataType == DataType::Int32);
  CHECK(n.find("t")->t.toInt64s() == std::vector<int64_t>{7, -8});
  CHECK(type("floats") == AttributeType::Floats);
  CHECK(n.attrFloats("floats") == std::vector<float>{0.5f, -1.0f});
  CHECK(type("ints") == AttributeType::Ints);
  CHECK(n.attrInts("ints") == std::vector<int64_t>{1, -2, 300});
  CHECK(type("strings") == AttributeType::Strings);
  CHECK(n.find("strings")->strings == std::vector<std::string>{"x", "yz"});
  CHECK(type("tensors") == AttributeType::Tensors);
  const std::vector<TensorProto>& ts = n.find("tensors")->tensors;
  REQUIRE(ts.size() == 2);
  CHECK(ts[0].name == "t0");
  CHECK(ts[0].toFloats() == std::vector<float>{2.5f});
  CHECK(ts[1].name == "t1");
  CHECK(ts[1].dataType == DataType::Double);
  CHECK(ts[1].dims.empty());
  CHECK(ts[1].numel() == 1);
  CHECK(ts[1].toDoubles() == std::vector<double>{-4.0});
  if (withGraphs) {
    CHECK(type("g") == AttributeType::Graph);
    CHECK(type("graphs") == AttributeType::Graphs);
  }
  CHECK(n.find("absent") == nullptr);
}

// Removes graph-valued attributes (not kept, so not writable) and string tensors.
Model writable(Model m) {
  for (Node& n : m.graph.nodes)
    std::erase_if(n.attributes, [](const Attribute& a) {
      return a.type == AttributeType::Graph || a.type == AttributeType::Graphs;
    });
  std::erase_if(m.graph.initializers, [](const TensorProto& t) { return t.dataType == DataType::String; });
  return m;
}

Model roundTrip(const Model& m) { return parseModel(span(serializeModel(m))); }

// Parses, or throws dlcam::Error; anything else (a crash, another exception) fails the test.
bool parsesOrThrowsError(std::span<const uint8_t> bytes) {
  try {
    parseModel(bytes);
    return true;
  } catch (const Error&) {
    return false;
  }
}

std::string tensorBytes(const std::function<void(WireWriter&)>& fill) {
  WireWriter w;
  fill(w);
  return w.take();
}

}  // namespace

TEST_CASE("onnx proto: a two-node model written by python3-onnx, every field") {
  checkTwoNodeModel(loadModel(fixture("two_node.onnx")));
}

TEST_CASE("onnx proto: attributes of every type, old untyped attributes, omitted inputs") {
  Model m = loadModel(fixture("attributes.onnx"));
  REQUIRE(m.graph.nodes.size() == 2);
  checkEveryAttribute(m.graph.nodes[0], true);

  const Node& old = m.graph.nodes[1];   // written without `type`: inferred from the value
  REQUIRE(old.attributes.size() == 3);
  CHECK(old.find("alpha")->type == AttributeType::Float);
  CHECK(old.attrFloat("alpha", 0) == 0.5f);
  CHECK(old.find("axes")->type == AttributeType::Ints);
  CHECK(old.attrInts("axes") == std::vector<int64_t>{0, 2});
  CHECK(old.find("mode")->type == AttributeType::String);
  CHECK(old.attrString("mode", "") == "nearest");

  CHECK_THROWS_WITH_AS(m.opsetVersion(),
                       "ONNX model imports no default (ai.onnx) operator set; it imports: com.example v1", Error);
}

TEST_CASE("onnx proto: attribute accessors give fallbacks and name a wrong type") {
  Model m = loadModel(fixture("attributes.onnx"));
  const Node& n = m.graph.nodes[0];
  CHECK(n.attrInt("missing", 42) == 42);
  CHECK(n.attrString("missing", "dflt") == "dflt");
  CHECK(n.attrInts("missing", {1, 2}) == std::vector<int64_t>{1, 2});
  CHECK(n.attrFloats("missing").empty());
  CHECK_THROWS_WITH_AS(n.attrInt("f", 0), "Every node 'every': attribute 'f' should be int, got float", Error);
  CHECK_THROWS_WITH_AS(n.attrFloat("i", 0), "Every node 'every': attribute 'i' should be float, got int", Error);
  CHECK_THROWS_WITH_AS(n.attrInts("i"), "Every node 'every': attribute 'i' should be ints, got int", Error);
  CHECK_THROWS_WITH_AS(n.attrFloats("ints"), "Every node 'every': attribute 'ints' should be floats, got ints", Error);
  CHECK_THROWS_WITH_AS(n.attrString("g", ""), "Every node 'every': attribute 'g' should be string, got graph", Error);
}

TEST_CASE("onnx proto: every data type, from its typed field and from raw_data") {
  Model m = loadModel(fixture("dtypes.onnx"));
  const Graph& g = m.graph;
  struct Case {
    const char* name;
    DataType type;
    std::vector<double> values;
    bool hasRaw;   // numpy has no bfloat16: only the typed form exists
  };
  const std::vector<double> floats = {1.5, -2.0, 0.25}, signedInts = {1, -2, 100}, unsignedInts = {1, 2, 250};
  std::vector<Case> cases = {
      {"float", DataType::Float, floats, true},
      {"double", DataType::Double, floats, true},
      {"float16", DataType::Float16, floats, true},
      {"bfloat16", DataType::BFloat16, floats, false},
      {"int8", DataType::Int8, signedInts, true},
      {"uint8", DataType::Uint8, unsignedInts, true},
      {"int16", DataType::Int16, signedInts, true},
      {"uint16", DataType::Uint16, unsignedInts, true},
      {"int32", DataType::Int32, signedInts, true},
      {"uint32", DataType::Uint32, unsignedInts, true},
      {"int64", DataType::Int64, signedInts, true},
      {"uint64", DataType::Uint64, {1, 2, 1099511627776.0}, true},
      {"bool", DataType::Bool, {1, 0, 1}, true},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    const TensorProto& typed = initializer(g, std::string(c.name) + "_typed");
    CHECK(typed.dataType == c.type);
    CHECK(dataTypeName(c.type) == c.name);
    CHECK(typed.dims == std::vector<int64_t>{3});
    CHECK(typed.raw.size() == 3 * elementSize(c.type));
    CHECK(typed.toDoubles() == c.values);
    std::vector<float> asFloats(c.values.begin(), c.values.end());
    CHECK(typed.toFloats() == asFloats);
    bool floating = c.type == DataType::Float || c.type == DataType::Double || c.type == DataType::Float16 ||
                    c.type == DataType::BFloat16;
    if (floating) {
      CHECK_THROWS_WITH_AS(typed.toInt64s(), doctest::Contains("toInt64s needs an integer or bool tensor, got"), Error);
    } else {
      std::vector<int64_t> asInts(c.values.begin(), c.values.end());
      CHECK(typed.toInt64s() == asInts);
    }
    if (c.hasRaw) {
      const TensorProto& raw = initializer(g, std::string(c.name) + "_raw");
      CHECK(raw.dataType == c.type);
      CHECK(raw.raw == typed.raw);   // both encodings give the same bytes
    }
  }

  const TensorProto& complex = initializer(g, "complex64_typed");   // float_data pairs
  CHECK(complex.dims == std::vector<int64_t>{2});
  REQUIRE(complex.raw.size() == 16);
  std::vector<float> parts(4);
  std::memcpy(parts.data(), complex.raw.data(), 16);
  CHECK(parts == std::vector<float>{1, 2, -3, 0.5});
  CHECK_THROWS_WITH_AS(complex.toFloats(), "tensor 'complex64_typed': toFloats needs a real numeric tensor, got complex64", Error);

  const TensorProto& strings = initializer(g, "string_typed");
  CHECK(strings.dataType == DataType::String);
  CHECK(strings.dims == std::vector<int64_t>{2});
  CHECK(strings.raw.empty());
  CHECK_THROWS_WITH_AS(strings.toDoubles(), doctest::Contains("needs a real numeric tensor, got string"), Error);
}

TEST_CASE("onnx proto: 16-bit floats convert exactly, including subnormals, infinities and NaN") {
  auto half = [](uint16_t bits) {
    TensorProto t;
    t.dataType = DataType::Float16;
    t.dims = {1};
    t.raw.assign(reinterpret_cast<const char*>(&bits), 2);
    return t.toFloats()[0];
  };
  CHECK(half(0x3c00) == 1.0f);
  CHECK(half(0xc000) == -2.0f);
  CHECK(half(0x7bff) == 65504.0f);                     // largest half
  CHECK(half(0x0001) == std::ldexp(1.0f, -24));        // smallest subnormal
  CHECK(half(0x03ff) == std::ldexp(1023.0f, -24));     // largest subnormal
  CHECK(half(0x8000) == 0.0f);
  CHECK(std::signbit(half(0x8000)));
  CHECK(half(0x7c00) == std::numeric_limits<float>::infinity());
  CHECK(half(0xfc00) == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(half(0x7e00)));
  TensorProto b;
  b.dataType = DataType::BFloat16;
  b.dims = {2};
  uint16_t bits[2] = {0x3fc0, 0xff80};   // 1.5, -inf
  b.raw.assign(reinterpret_cast<const char*>(bits), 4);
  CHECK(b.toFloats() == std::vector<float>{1.5f, -std::numeric_limits<float>::infinity()});
}

TEST_CASE("onnx proto: a standalone TensorProto file and a real conformance model") {
  TensorProto t = loadTensor(fixture("tensor.pb"));
  CHECK(t.name == "t");
  CHECK(t.dims == std::vector<int64_t>{2, 3});
  CHECK(t.toFloats() == std::vector<float>{-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f});

  if (!fs::exists(kConvModel + "/model.onnx")) {
    MESSAGE("skipped: ", kConvModel, " is missing (scripts/setup.sh installs libonnx-testdata)");
    return;
  }
  Model m = loadModel(kConvModel + "/model.onnx");
  CHECK(m.irVersion == 6);
  CHECK(m.opsetVersion() == 11);
  CHECK(m.producerName == "backend-test");
  CHECK(m.graph.name == "test_conv_with_strides_padding");
  REQUIRE(m.graph.nodes.size() == 1);
  const Node& conv = m.graph.nodes[0];
  CHECK(conv.opType == "Conv");
  CHECK(conv.inputs == std::vector<std::string>{"x", "W"});
  CHECK(conv.outputs == std::vector<std::string>{"y"});
  CHECK(conv.attrInts("kernel_shape") == std::vector<int64_t>{3, 3});
  CHECK(conv.attrInts("pads") == std::vector<int64_t>{1, 1, 1, 1});
  CHECK(conv.attrInts("strides") == std::vector<int64_t>{2, 2});
  REQUIRE(m.graph.inputs.size() == 2);
  checkValueInfo(m.graph.inputs[0], "x", {{1, ""}, {1, ""}, {7, ""}, {5, ""}});
  checkValueInfo(m.graph.inputs[1], "W", {{1, ""}, {1, ""}, {3, ""}, {3, ""}});
  checkValueInfo(m.graph.outputs.at(0), "y", {{1, ""}, {1, ""}, {4, ""}, {3, ""}});

  TensorProto x = loadTensor(kConvModel + "/test_data_set_0/input_0.pb");
  CHECK(x.name == "x");
  CHECK(x.dims == std::vector<int64_t>{1, 1, 7, 5});
  std::vector<float> xv = x.toFloats();
  REQUIRE(xv.size() == 35);
  for (size_t i = 0; i < xv.size(); ++i) CHECK(xv[i] == static_cast<float>(i));   // arange(35)
  TensorProto y = loadTensor(kConvModel + "/test_data_set_0/output_0.pb");
  CHECK(y.dims == std::vector<int64_t>{1, 1, 4, 3});
  CHECK(y.toFloats().size() == 12);
  CHECK(y.toFloats()[0] == 12.0f);

  // Written back, the model is byte for byte the file protobuf's own serializer wrote.
  std::vector<uint8_t> original = readBytes(kConvModel + "/model.onnx");
  std::string written = serializeModel(m);
  CHECK(std::vector<uint8_t>(written.begin(), written.end()) == original);
}

TEST_CASE("onnx proto: every conformance model.onnx parses") {
  if (!fs::exists(kConformance)) {
    MESSAGE("skipped: ", kConformance, " is missing (scripts/setup.sh installs libonnx-testdata)");
    return;
  }
  int models = 0;
  for (const fs::directory_entry& dir : fs::directory_iterator(kConformance)) {
    fs::path path = dir.path() / "model.onnx";
    if (!fs::exists(path)) continue;
    CAPTURE(path.string());
    CHECK_NOTHROW(loadModel(path.string()));
    ++models;
  }
  MESSAGE(models, " conformance models parsed");
  CHECK(models > 100);
}

// input_<k>.pb / output_<k>.pb hold the model's k-th graph input / output. Those the model
// declares as tensors must parse, with the declared element type and fixed dims; the others
// (sequences, optionals) are other messages and are not read.
TEST_CASE("onnx proto: every conformance tensor file parses and matches its model's declaration") {
  if (!fs::exists(kConformance)) {
    MESSAGE("skipped: ", kConformance, " is missing (scripts/setup.sh installs libonnx-testdata)");
    return;
  }
  int tensors = 0;
  for (const fs::directory_entry& dir : fs::directory_iterator(kConformance)) {
    fs::path data = dir.path() / "test_data_set_0";
    if (!fs::exists(dir.path() / "model.onnx") || !fs::exists(data)) continue;
    Model m = loadModel((dir.path() / "model.onnx").string());
    for (auto [prefix, declared] : {std::pair{"input_", &m.graph.inputs}, std::pair{"output_", &m.graph.outputs}}) {
      for (size_t k = 0; k < declared->size(); ++k) {
        fs::path file = data / (prefix + std::to_string(k) + ".pb");
        const ValueInfo& v = (*declared)[k];
        if (!fs::exists(file) || v.elemType == DataType::Undefined) continue;
        CAPTURE(file.string());
        TensorProto t = loadTensor(file.string());
        // numpy has no bfloat16: ONNX's generator stores such data as uint16 bit patterns.
        bool bfloatAsUint16 = v.elemType == DataType::BFloat16 && t.dataType == DataType::Uint16;
        CHECK((t.dataType == v.elemType || bfloatAsUint16));
        if (v.hasShape && v.dims.size() == t.dims.size()) {
          for (size_t d = 0; d < t.dims.size(); ++d)
            if (v.dims[d].value >= 0) CHECK(t.dims[d] == v.dims[d].value);
        }
        if (t.dataType != DataType::String) CHECK(t.raw.size() == static_cast<size_t>(t.numel()) * elementSize(t.dataType));
        ++tensors;
      }
    }
  }
  MESSAGE(tensors, " conformance tensors parsed");
  CHECK(tensors > 1000);
}

TEST_CASE("onnx proto: serialize then parse gives the same model") {
  Model twoNode = loadModel(fixture("two_node.onnx"));
  checkTwoNodeModel(roundTrip(twoNode));
  CHECK(serializeModel(roundTrip(twoNode)) == serializeModel(twoNode));

  Model attrs = loadModel(fixture("attributes.onnx"));
  CHECK_THROWS_WITH_AS(serializeModel(attrs),
                       "Every node 'every': attribute 'g' of type graph cannot be written", Error);
  checkEveryAttribute(roundTrip(writable(attrs)).graph.nodes[0], false);

  Model dtypes = writable(loadModel(fixture("dtypes.onnx")));
  Model back = roundTrip(dtypes);
  REQUIRE(back.graph.initializers.size() == dtypes.graph.initializers.size());
  for (size_t i = 0; i < dtypes.graph.initializers.size(); ++i) {
    const TensorProto &a = dtypes.graph.initializers[i], &b = back.graph.initializers[i];
    CAPTURE(a.name);
    CHECK(b.name == a.name);
    CHECK(b.dataType == a.dataType);
    CHECK(b.dims == a.dims);
    CHECK(b.raw == a.raw);
  }

  TensorProto t = loadTensor(fixture("tensor.pb"));
  TensorProto u = parseTensor(span(serializeTensor(t)));
  CHECK(u.name == t.name);
  CHECK(u.dims == t.dims);
  CHECK(u.raw == t.raw);
}

TEST_CASE("onnx proto: a model built in C++ saves and loads") {
  std::vector<float> w = {1, 2, 3, 4, 5, 6};
  std::vector<int64_t> s = {3, -1};
  Model m;
  m.irVersion = 8;
  m.opsets = {{"", 13}};
  m.producerName = "dlcam";
  m.graph.name = "g";
  m.graph.initializers = {makeTensor("w", {2, 3}, std::span<const float>(w)),
                          makeTensor("s", {2}, std::span<const int64_t>(s))};
  Node node;
  node.opType = "Reshape";
  node.inputs = {"w", "s"};
  node.outputs = {"y"};
  m.graph.nodes = {node};
  m.graph.outputs = {ValueInfo{"y", DataType::Float, true, {{3, ""}, {-1, "n"}}}};
  m.graph.valueInfo = {ValueInfo{"scalar", DataType::Float, true, {}}, ValueInfo{"unknown", DataType::Float, false, {}}};

  fs::path path = fs::temp_directory_path() / "dlcam_test_onnx_proto.onnx";
  saveModel(m, path.string());
  Model back = loadModel(path.string());
  fs::remove(path);
  CHECK(back.irVersion == 8);
  CHECK(back.opsetVersion() == 13);
  CHECK(back.graph.initializers.at(0).toFloats() == w);
  CHECK(back.graph.initializers.at(1).toInt64s() == s);
  CHECK(back.graph.initializers.at(1).dims == std::vector<int64_t>{2});
  CHECK(back.graph.nodes.at(0).inputs == node.inputs);
  checkValueInfo(back.graph.outputs.at(0), "y", {{3, ""}, {-1, "n"}});
  CHECK(back.graph.valueInfo.at(0).hasShape);        // rank 0 stays distinct from unknown
  CHECK(back.graph.valueInfo.at(0).dims.empty());
  CHECK_FALSE(back.graph.valueInfo.at(1).hasShape);

  CHECK_THROWS_WITH_AS(makeTensor("w", {2, 2}, std::span<const float>(w)),
                       "makeTensor: tensor 'w': 4 values declared by dims [2, 2] but 6 given", Error);
  TensorProto bad = makeTensor("w", {2, 3}, std::span<const float>(w));
  bad.raw.pop_back();
  CHECK_THROWS_WITH_AS(serializeTensor(bad), "tensor 'w': 6 values declared by dims [2, 3] but 23 bytes of float stored", Error);
  CHECK_THROWS_WITH_AS(bad.toFloats(), "tensor 'w': 6 float values declared by dims [2, 3] but 23 bytes stored", Error);
  // 2^62 floats are 2^64 bytes, which wraps to 0 in a 64-bit product: the check must not be fooled.
  TensorProto huge;
  huge.dataType = DataType::Float;
  huge.dims = {int64_t{1} << 62};
  CHECK_THROWS_WITH_AS(huge.toFloats(), doctest::Contains("4611686018427387904 float values declared"), Error);
  CHECK_THROWS_WITH_AS(serializeTensor(huge), doctest::Contains("4611686018427387904 values declared"), Error);
}

TEST_CASE("onnx proto: size mismatch, external data and missing files are one-line errors") {
  CHECK_THROWS_WITH_AS(loadModel(fixture("size_mismatch.onnx")),
                       doctest::Contains("size_mismatch.onnx': initializer 'w': 4 values declared by dims [2, 2] but 3 stored"), Error);
  CHECK_THROWS_WITH_AS(loadModel(fixture("external_data.onnx")),
                       doctest::Contains("initializer 'big': external data is not supported: re-save the model with all tensors inside"), Error);
  CHECK_THROWS_WITH_AS(loadModel("/nonexistent/model.onnx"),
                       doctest::Contains("cannot open ONNX model '/nonexistent/model.onnx'"), Error);
  CHECK_THROWS_WITH_AS(loadModel(fixture("")), doctest::Contains("not a regular file"), Error);
  // A tensor file is not a model: its field 2 (data_type) is a varint where ModelProto has a string.
  CHECK_THROWS_WITH_AS(loadModel(fixture("tensor.pb")),
                       doctest::Contains("tensor.pb': malformed protobuf: field 2 should have wire type bytes, got varint at byte 4"), Error);
  CHECK_THROWS_WITH_AS(parseModel({}), "not an ONNX model: no graph (ModelProto field 7) in 0 bytes", Error);
  WireWriter noGraph;
  noGraph.int64(1, 8);
  CHECK_THROWS_WITH_AS(parseModel(span(noGraph.str())), "not an ONNX model: no graph (ModelProto field 7) in 2 bytes", Error);
}

TEST_CASE("onnx proto: malformed tensors are rejected before their values are allocated") {
  auto parse = [](const std::function<void(WireWriter&)>& fill) {
    std::string bytes = tensorBytes(fill);
    return parseTensor(span(bytes));
  };
  // 2^40 elements declared, none stored: a count comparison, no allocation.
  CHECK_THROWS_WITH_AS(parse([](WireWriter& w) { w.int64(1, int64_t{1} << 40); w.int64(2, 1); w.bytes(8, "w"); }),
                       "tensor 'w': 1099511627776 values declared by dims [1099511627776] but 0 stored", Error);
  CHECK_THROWS_WITH_AS(parse([](WireWriter& w) { w.int64(1, int64_t{1} << 62); w.int64(1, 8); w.int64(2, 1); }),
                       "tensor '': dims [4611686018427387904, 8] hold more than 2^63 values", Error);
  CHECK_THROWS_WITH_AS(parse([](WireWriter& w) { w.int64(1, -2); w.int64(2, 1); }),
                       "tensor '': negative dimension in dims [-2]", Error);
  CHECK_THROWS_WITH_AS(parse([](WireWriter& w) { w.int64(1, 1); w.bytes(9, "abcd"); }), "tensor '': no data_type", Error);
  CHECK_THROWS_WITH_AS(parse([](WireWriter& w) { w.int64(2, 99); }), "tensor '': unsupported data type 99", Error);
  CHECK_THROWS_WITH_AS(parse([](WireWriter& w) { w.int64(1, 2); w.int64(2, 1); w.bytes(9, "abcde"); }),
                       "tensor '': raw_data holds 5 bytes, not a whole number of 4-byte float values", Error);
  CHECK_THROWS_WITH_AS(parse([](WireWriter& w) { w.int64(1, 1); w.int64(2, 7); w.float32(4, 1); }),
                       "tensor '': int64 values belong in int64_data or raw_data, not in float_data", Error);
  CHECK_THROWS_WITH_AS(parse([](WireWriter& w) { w.int64(1, 1); w.int64(2, 1); w.float32(4, 1); w.bytes(9, "abcd"); }),
                       "tensor '': values in both raw_data and float_data", Error);
  CHECK_THROWS_WITH_AS(parse([](WireWriter& w) { w.int64(1, 1); w.int64(2, 14); w.float32(4, 1); }),
                       "tensor '': float_data holds 1 values; complex64 takes 2 per element", Error);
  CHECK_THROWS_WITH_AS(parse([](WireWriter& w) { w.int64(2, 1); w.bytes(3, ""); }),
                       "tensor '': segmented tensors are not supported", Error);
  CHECK_THROWS_WITH_AS(parse([](WireWriter& w) { w.int64(2, 1); w.int64(14, 1); }),
                       doctest::Contains("external data is not supported"), Error);
  // A huge packed length inside a tensor fails at the wire level, naming the offset.
  std::string bytes = tensorBytes([](WireWriter& w) { w.int64(2, 1); });
  bytes += std::string("\x22\x80\x80\x80\x80\x80\x20", 7);   // float_data, 2^40 bytes declared
  CHECK_THROWS_WITH_AS(parseTensor(span(bytes)),
                       "malformed protobuf: field 4 declares 1099511627776 bytes but only 0 are left at byte 3", Error);
  // uint64 values past int64's range.
  CHECK_THROWS_WITH_AS(parse([](WireWriter& w) { w.int64(1, 1); w.int64(2, 13); w.varint(11, ~uint64_t{0}); }).toInt64s(),
                       "tensor '': uint64 value 18446744073709551615 does not fit in int64", Error);
}

TEST_CASE("onnx proto: truncated and random input parses or throws dlcam::Error, never crashes") {
  std::vector<std::vector<uint8_t>> reals = {readBytes(fixture("two_node.onnx")), readBytes(fixture("attributes.onnx"))};
  if (fs::exists(kConvModel + "/model.onnx")) reals.push_back(readBytes(kConvModel + "/model.onnx"));

  int parsed = 0, rejected = 0;
  for (const std::vector<uint8_t>& real : reals) {
    for (size_t n = 0; n < real.size(); ++n) {   // every proper prefix
      CAPTURE(n);
      parsesOrThrowsError(std::span(real.data(), n)) ? ++parsed : ++rejected;
    }
    CHECK(parsesOrThrowsError(real));
  }

  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 2000; ++i) {   // random buffers
    std::vector<uint8_t> buf(std::uniform_int_distribution<size_t>(0, 400)(rng));
    for (uint8_t& b : buf) b = static_cast<uint8_t>(byte(rng));
    CAPTURE(i);
    parsesOrThrowsError(buf) ? ++parsed : ++rejected;
  }
  for (int i = 0; i < 2000; ++i) {   // real models with a few bytes changed: deeper paths
    std::vector<uint8_t> buf = reals[static_cast<size_t>(i) % reals.size()];
    int flips = std::uniform_int_distribution<int>(1, 4)(rng);
    for (int k = 0; k < flips; ++k)
      buf[std::uniform_int_distribution<size_t>(0, buf.size() - 1)(rng)] = static_cast<uint8_t>(byte(rng));
    CAPTURE(i);
    parsesOrThrowsError(buf) ? ++parsed : ++rejected;
  }
  MESSAGE(parsed, " inputs parsed, ", rejected, " rejected with dlcam::Error");
  CHECK(rejected > 0);
}

TEST_CASE("onnx proto: type names") {
  CHECK(dataTypeName(DataType::Float) == "float");
  CHECK(dataTypeName(DataType::Int64) == "int64");
  CHECK(dataTypeName(DataType::Complex128) == "complex128");
  CHECK(dataTypeName(static_cast<DataType>(17)) == "data type 17");
  CHECK(elementSize(DataType::Complex128) == 16);
  CHECK(elementSize(DataType::String) == 0);
  CHECK(attributeTypeName(AttributeType::Ints) == "ints");
  CHECK(attributeTypeName(static_cast<AttributeType>(11)) == "attribute type 11");
}
