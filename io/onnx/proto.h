// ONNX messages (onnx.proto) as plain structs, parsed from and serialized to the protobuf
// wire format by io/onnx/wire.h. Only what an inference importer needs is kept; other fields
// (metadata, training info, functions, sparse tensors, doc strings below the graph) are
// skipped when reading and absent when writing.
//
// All parse functions throw dlcam::Error with a one-line message on malformed input, naming
// the byte offset for wire-level damage and the tensor or node for semantic problems.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dlcam::onnx {

// TensorProto.DataType.
enum class DataType : int32_t { Undefined = 0, Float = 1, Uint8 = 2, Int8 = 3, Uint16 = 4,
  Int16 = 5, Int32 = 6, Int64 = 7, String = 8, Bool = 9, Float16 = 10, Double = 11,
  Uint32 = 12, Uint64 = 13, Complex64 = 14, Complex128 = 15, BFloat16 = 16 };

// "float", "int64", "float16", ...; "data type 17" for values this enum does not name.
std::string dataTypeName(DataType type);
// Bytes per element: 4 for Float, 16 for Complex128; 0 for String, Undefined and unknown types.
size_t elementSize(DataType type);

struct TensorProto {
  std::string name;
  DataType dataType = DataType::Undefined;
  std::vector<int64_t> dims;   // ONNX (row-major) order
  // The values as little-endian bytes of dataType's element, whether the file used raw_data
  // or the typed fields (float_data, int32_data, ...). Empty for string tensors.
  std::string raw;

  // Product of dims (1 for rank 0).
  int64_t numel() const;
  // Values converted, in row-major order. Any numeric type (float16/bfloat16 too) for floats
  // and doubles; toInt64s takes integer and bool types and throws for floating ones. All
  // three throw for strings and complex numbers.
  std::vector<float> toFloats() const;
  std::vector<double> toDoubles() const;
  std::vector<int64_t> toInt64s() const;
};

// AttributeProto.AttributeType (sparse tensors and type protos, 11 to 14, are kept as their
// number so that an importer can name them in an error).
enum class AttributeType : int32_t { Undefined = 0, Float = 1, Int = 2, String = 3, Tensor = 4,
  Graph = 5, Floats = 6, Ints = 7, Strings = 8, Tensors = 9, Graphs = 10 };

// "float", "ints", "graph", ...; "attribute type 11" for others.
std::string attributeTypeName(AttributeType type);

struct Attribute {
  std::string name;
  AttributeType type = AttributeType::Undefined;  // inferred from the value in old files
  float f = 0;
  int64_t i = 0;
  std::string s;
  TensorProto t;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::vector<TensorProto> tensors;
  // Graph-valued attributes (If/Loop bodies) are not parsed: only `type` says they exist.
};

struct Node {
  std::string name, opType, domain;
  std::vector<std::string> inputs, outputs;   // "" marks an omitted optional input
  std::vector<Attribute> attributes;

  // The attribute called `name`, or null.
  const Attribute* find(std::string_view name) const;
  // The attribute's value, or `fallback` when absent. A present attribute of another type
  // throws dlcam::Error naming the node, the attribute, the expected and the actual type.
  int64_t attrInt(std::string_view name, int64_t fallback) const;
  float attrFloat(std::string_view name, float fallback) const;
  std::string attrString(std::string_view name, std::string fallback) const;
  std::vector<int64_t> attrInts(std::string_view name, std::vector<int64_t> fallback = {}) const;
  std::vector<float> attrFloats(std::string_view name, std::vector<float> fallback = {}) const;
};

struct Dimension {
  int64_t value = -1;   // -1 when symbolic or unknown
  std::string param;    // the symbol ("N", "batch") when symbolic
};

struct ValueInfo {
  std::string name;
  DataType elemType = DataType::Undefined;   // Undefined for non-tensor types
  bool hasShape = false;                     // false: rank unknown; true with no dims: scalar
  std::vector<Dimension> dims;
};

struct Graph {
  std::string name, docString;
  std::vector<Node> nodes;
  std::vector<TensorProto> initializers;
  std::vector<ValueInfo> inputs, outputs, valueInfo;
};

struct OpsetId {
  std::string domain;   // "" (or "ai.onnx") for the default operator set
  int64_t version = 0;
};

struct Model {
  int64_t irVersion = 0;
  std::vector<OpsetId> opsets;
  std::string producerName, producerVersion, domain, docString;
  int64_t modelVersion = 0;
  Graph graph;

  // Version of the default ("" or "ai.onnx") domain; throws dlcam::Error if absent.
  int64_t opsetVersion() const;
};

// A whole .onnx file.
Model parseModel(std::span<const uint8_t> bytes);
// Reads and parses the file; errors name the path.
Model loadModel(const std::string& path);
// A serialized TensorProto (the input_*.pb / output_*.pb files of ONNX's conformance data).
TensorProto parseTensor(std::span<const uint8_t> bytes);
TensorProto loadTensor(const std::string& path);

// Protobuf bytes of the model / tensor, readable by onnx and onnxruntime. Tensors are written
// as raw_data. Throws dlcam::Error for a tensor whose raw size does not match its dims.
std::string serializeModel(const Model& model);
void saveModel(const Model& model, const std::string& path);
std::string serializeTensor(const TensorProto& t);

// A float32 / int64 tensor with the given ONNX (row-major) dims; values are row-major and
// their count must equal the product of dims.
TensorProto makeTensor(std::string name, std::vector<int64_t> dims, std::span<const float> values);
TensorProto makeTensor(std::string name, std::vector<int64_t> dims, std::span<const int64_t> values);
// Attributes for writers (and tests that build models): the name, the type and one value.
Attribute intAttr(std::string name, int64_t value);
Attribute floatAttr(std::string name, double value);
Attribute intsAttr(std::string name, std::vector<int64_t> values);
Attribute stringAttr(std::string name, std::string value);

}  // namespace dlcam::onnx
