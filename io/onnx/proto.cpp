#include "io/onnx/proto.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <type_traits>

#include "core/error.h"
#include "core/half.h"
#include "core/limits.h"
#include "io/onnx/wire.h"

namespace dlcam::onnx {

using detail::cat;

// ---- Names ----

std::string dataTypeName(DataType type) {
  static const char* const names[] = {"undefined", "float",  "uint8",  "int8",      "uint16",
                                      "int16",     "int32",  "int64",  "string",    "bool",
                                      "float16",   "double", "uint32", "uint64",    "complex64",
                                      "complex128", "bfloat16"};
  auto i = static_cast<int32_t>(type);
  if (i < 0 || i > 16) return cat("data type ", i);
  return names[i];
}

size_t elementSize(DataType type) {
  switch (type) {
    case DataType::Uint8: case DataType::Int8: case DataType::Bool: return 1;
    case DataType::Uint16: case DataType::Int16: case DataType::Float16: case DataType::BFloat16: return 2;
    case DataType::Float: case DataType::Int32: case DataType::Uint32: return 4;
    case DataType::Int64: case DataType::Uint64: case DataType::Double: case DataType::Complex64: return 8;
    case DataType::Complex128: return 16;
    case DataType::Undefined: case DataType::String: return 0;
  }
  return 0;
}

std::string attributeTypeName(AttributeType type) {
  static const char* const names[] = {"undefined", "float", "int",    "string",  "tensor", "graph",
                                      "floats",    "ints",  "strings", "tensors", "graphs"};
  auto i = static_cast<int32_t>(type);
  if (i < 0 || i > 10) return cat("attribute type ", i);
  return names[i];
}

namespace {

// "[2, 2]": ONNX dims as they appear in error messages.
std::string dimsStr(const std::vector<int64_t>& dims) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < dims.size(); ++i) out << (i ? ", " : "") << dims[i];
  out << ']';
  return out.str();
}

// Product of dims; negative dims and products past int64 throw (they come from the file).
int64_t checkedNumel(const std::vector<int64_t>& dims, std::string_view label) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) fail(label, ": negative dimension in dims ", dimsStr(dims));
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      fail(label, ": dims ", dimsStr(dims), " hold more than 2^63 values");
    n *= d;
  }
  return n;
}

// raw.size() == numel * esize, without the product (which can overflow for dims from a file).
bool holdsExactly(const std::string& raw, int64_t numel, size_t esize) {
  return raw.size() % esize == 0 && raw.size() / esize == static_cast<uint64_t>(numel);
}

std::string tensorLabel(std::string_view role, const std::string& name) {
  return cat(role, " '", name, "'");
}

// ---- Tensor values: typed fields -> raw bytes ----

// ONNX stores each data type's values, when not in raw_data, in one typed field: small
// integers, bools and 16-bit floats widened into int32_data, complex numbers as pairs.
struct Carrier {
  uint32_t field;   // TensorProto field number
  int perElement;   // stored values per element (2 for complex)
};

Carrier carrierOf(DataType type) {
  switch (type) {
    case DataType::Float: return {4, 1};
    case DataType::Complex64: return {4, 2};
    case DataType::Double: return {10, 1};
    case DataType::Complex128: return {10, 2};
    case DataType::Int64: return {7, 1};
    case DataType::Uint32: case DataType::Uint64: return {11, 1};
    case DataType::String: return {6, 1};
    default: return {5, 1};   // int32, int16, int8, uint16, uint8, bool, float16, bfloat16
  }
}

const char* typedFieldName(uint32_t field) {
  switch (field) {
    case 4: return "float_data";
    case 5: return "int32_data";
    case 6: return "string_data";
    case 7: return "int64_data";
    case 10: return "double_data";
    case 11: return "uint64_data";
  }
  return "?";
}

struct TypedData {
  std::vector<float> floats;      // float_data
  std::vector<int32_t> int32s;    // int32_data
  std::vector<int64_t> int64s;    // int64_data
  std::vector<double> doubles;    // double_data
  std::vector<uint64_t> uint64s;  // uint64_data
  size_t strings = 0;             // string_data entries
  uint32_t seen = 0;              // bit n set: field n appeared
};

size_t typedCount(const TypedData& d, uint32_t field) {
  switch (field) {
    case 4: return d.floats.size();
    case 5: return d.int32s.size();
    case 6: return d.strings;
    case 7: return d.int64s.size();
    case 10: return d.doubles.size();
    case 11: return d.uint64s.size();
  }
  return 0;
}

// Appends the low `nbytes` bytes of each value, little-endian (an int32_data value 0xFFFD
// of an int8 tensor becomes the byte 0xFD).
template <typename V>
void appendLowBytes(std::string& raw, const std::vector<V>& values, size_t nbytes) {
  if (nbytes == sizeof(V)) {
    raw.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(V));
    return;
  }
  raw.reserve(values.size() * nbytes);
  for (V v : values) {
    auto bits = static_cast<uint64_t>(v);
    for (size_t k = 0; k < nbytes; ++k) raw.push_back(static_cast<char>((bits >> (8 * k)) & 0xff));
  }
}

std::string typedToRaw(const TypedData& d, uint32_t field, size_t bytesPerValue) {
  std::string raw;
  switch (field) {
    case 4: appendLowBytes(raw, d.floats, bytesPerValue); break;
    case 5: appendLowBytes(raw, d.int32s, bytesPerValue); break;
    case 7: appendLowBytes(raw, d.int64s, bytesPerValue); break;
    case 10: appendLowBytes(raw, d.doubles, bytesPerValue); break;
    case 11: appendLowBytes(raw, d.uint64s, bytesPerValue); break;
  }
  return raw;
}

// The typed field or raw_data must hold exactly numel elements.
void checkStored(const TensorProto& t, std::string_view label, int64_t numel, uint64_t stored) {
  if (stored != static_cast<uint64_t>(numel))
    fail(label, ": ", numel, " values declared by dims ", dimsStr(t.dims), " but ", stored, " stored");
}

TensorProto parseTensorMessage(WireReader r, std::string_view role) {
  TensorProto t;
  TypedData typed;
  int32_t type = 0;
  bool hasRaw = false, external = false, segmented = false;
  Field f;
  while (r.next(f)) {
    switch (f.number) {
      case 1: f.appendTo(t.dims); break;
      case 2: type = f.int32(); break;
      case 3: segmented = true; break;
      case 4: f.appendTo(typed.floats); break;
      case 5: f.appendTo(typed.int32s); break;
      case 6: f.bytes(); ++typed.strings; break;
      case 7: f.appendTo(typed.int64s); break;
      case 8: t.name = f.string(); break;
      case 9: t.raw = f.string(); hasRaw = true; break;
      case 10: f.appendTo(typed.doubles); break;
      case 11: f.appendTo(typed.uint64s); break;
      case 13: external = true; break;                  // external_data entries
      case 14: external |= f.int64() == 1; break;       // data_location EXTERNAL
      default: continue;
    }
    if (f.number <= 11) typed.seen |= 1u << f.number;
  }

  std::string label = tensorLabel(role, t.name);
  if (external) fail(label, ": external data is not supported: re-save the model with all tensors inside");
  if (segmented) fail(label, ": segmented tensors are not supported");
  if (type < 1 || type > 16)
    fail(label, type == 0 ? ": no data_type" : cat(": unsupported data type ", type));
  t.dataType = static_cast<DataType>(type);
  int64_t numel = checkedNumel(t.dims, label);
  if (t.dataType == DataType::String) {
    t.raw.clear();
    return t;
  }

  Carrier carrier = carrierOf(t.dataType);
  for (uint32_t field : {4u, 5u, 6u, 7u, 10u, 11u})
    if ((typed.seen >> field & 1) && field != carrier.field)
      fail(label, ": ", dataTypeName(t.dataType), " values belong in ", typedFieldName(carrier.field),
           " or raw_data, not in ", typedFieldName(field));
  size_t esize = elementSize(t.dataType);
  if (hasRaw) {
    if (typed.seen >> carrier.field & 1)
      fail(label, ": values in both raw_data and ", typedFieldName(carrier.field));
    if (t.raw.size() % esize != 0)
      fail(label, ": raw_data holds ", t.raw.size(), " bytes, not a whole number of ", esize, "-byte ",
           dataTypeName(t.dataType), " values");
    checkStored(t, label, numel, t.raw.size() / esize);
    return t;
  }
  size_t count = typedCount(typed, carrier.field);
  if (count % carrier.perElement != 0)
    fail(label, ": ", typedFieldName(carrier.field), " holds ", count, " values; ",
         dataTypeName(t.dataType), " takes ", carrier.perElement, " per element");
  checkStored(t, label, numel, count / carrier.perElement);
  t.raw = typedToRaw(typed, carrier.field, esize / carrier.perElement);
  return t;
}

// ---- Tensor values: raw bytes -> numbers ----

float bfloat16ToFloat(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

template <typename Stored>
Stored loadElement(const std::string& raw, size_t i) {
  Stored v;
  std::memcpy(&v, raw.data() + i * sizeof(Stored), sizeof(Stored));
  return v;
}

// Converts every element with `convert(stored value)`; Stored is the element's C++ type.
template <typename Out, typename Stored, typename Convert>
std::vector<Out> convertAll(const TensorProto& t, Convert convert) {
  size_t n = t.raw.size() / sizeof(Stored);
  std::vector<Out> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = convert(loadElement<Stored>(t.raw, i));
  return out;
}

// The values of t as Out. Floating types are refused when `integersOnly`.
template <typename Out>
std::vector<Out> convertTensor(const TensorProto& t, const char* function, bool integersOnly) {
  std::string label = tensorLabel("tensor", t.name);
  size_t esize = elementSize(t.dataType);
  if (esize == 0 || t.dataType == DataType::Complex64 || t.dataType == DataType::Complex128)
    fail(label, ": ", function, " needs a real numeric tensor, got ", dataTypeName(t.dataType));
  int64_t numel = checkedNumel(t.dims, label);
  if (!holdsExactly(t.raw, numel, esize))
    fail(label, ": ", numel, " ", dataTypeName(t.dataType), " values declared by dims ", dimsStr(t.dims),
         " but ", t.raw.size(), " bytes stored");
  auto cast = [](auto v) { return static_cast<Out>(v); };
  auto floating = [&](auto convert) -> std::vector<Out> {
    if (integersOnly)
      fail(label, ": ", function, " needs an integer or bool tensor, got ", dataTypeName(t.dataType));
    return convert();
  };
  switch (t.dataType) {
    case DataType::Float: return floating([&] { return convertAll<Out, float>(t, cast); });
    case DataType::Double: return floating([&] { return convertAll<Out, double>(t, cast); });
    case DataType::Float16:
      return floating([&] { return convertAll<Out, uint16_t>(t, [](uint16_t h) { return static_cast<Out>(halfToFloat(h)); }); });
    case DataType::BFloat16:
      return floating([&] { return convertAll<Out, uint16_t>(t, [](uint16_t b) { return static_cast<Out>(bfloat16ToFloat(b)); }); });
    case DataType::Int8: return convertAll<Out, int8_t>(t, cast);
    case DataType::Uint8: return convertAll<Out, uint8_t>(t, cast);
    case DataType::Int16: return convertAll<Out, int16_t>(t, cast);
    case DataType::Uint16: return convertAll<Out, uint16_t>(t, cast);
    case DataType::Int32: return convertAll<Out, int32_t>(t, cast);
    case DataType::Uint32: return convertAll<Out, uint32_t>(t, cast);
    case DataType::Int64: return convertAll<Out, int64_t>(t, cast);
    case DataType::Bool: return convertAll<Out, uint8_t>(t, [](uint8_t b) { return static_cast<Out>(b != 0); });
    case DataType::Uint64:
      return convertAll<Out, uint64_t>(t, [&](uint64_t v) {
        if constexpr (std::is_integral_v<Out>)
          if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            fail(label, ": uint64 value ", v, " does not fit in int64");
        return static_cast<Out>(v);
      });
    default: fail(label, ": ", function, " cannot convert ", dataTypeName(t.dataType));
  }
}

}  // namespace

int64_t TensorProto::numel() const { return checkedNumel(dims, tensorLabel("tensor", name)); }

std::vector<float> TensorProto::toFloats() const { return convertTensor<float>(*this, "toFloats", false); }
std::vector<double> TensorProto::toDoubles() const { return convertTensor<double>(*this, "toDoubles", false); }
std::vector<int64_t> TensorProto::toInt64s() const { return convertTensor<int64_t>(*this, "toInt64s", true); }

// ---- Node attributes ----

const Attribute* Node::find(std::string_view attrName) const {
  for (const Attribute& a : attributes)
    if (a.name == attrName) return &a;
  return nullptr;
}

namespace {

// The attribute if present with the expected type; null if absent; throws if mistyped.
const Attribute* typedAttribute(const Node& node, std::string_view name, AttributeType expected) {
  const Attribute* a = node.find(name);
  if (a && a->type != expected)
    fail(node.opType, " node '", node.name, "': attribute '", name, "' should be ",
         attributeTypeName(expected), ", got ", attributeTypeName(a->type));
  return a;
}

}  // namespace

int64_t Node::attrInt(std::string_view n, int64_t fallback) const {
  const Attribute* a = typedAttribute(*this, n, AttributeType::Int);
  return a ? a->i : fallback;
}

float Node::attrFloat(std::string_view n, float fallback) const {
  const Attribute* a = typedAttribute(*this, n, AttributeType::Float);
  return a ? a->f : fallback;
}

std::string Node::attrString(std::string_view n, std::string fallback) const {
  const Attribute* a = typedAttribute(*this, n, AttributeType::String);
  return a ? a->s : fallback;
}

std::vector<int64_t> Node::attrInts(std::string_view n, std::vector<int64_t> fallback) const {
  const Attribute* a = typedAttribute(*this, n, AttributeType::Ints);
  return a ? a->ints : fallback;
}

std::vector<float> Node::attrFloats(std::string_view n, std::vector<float> fallback) const {
  const Attribute* a = typedAttribute(*this, n, AttributeType::Floats);
  return a ? a->floats : fallback;
}

int64_t Model::opsetVersion() const {
  std::string imported;
  for (const OpsetId& o : opsets) {
    if (o.domain.empty() || o.domain == "ai.onnx") return o.version;
    imported += cat(imported.empty() ? "" : ", ", o.domain, " v", o.version);
  }
  fail("ONNX model imports no default (ai.onnx) operator set; it imports: ",
       imported.empty() ? "none" : imported);
}

// ---- Parsing: one function per message, each a loop over its fields ----

namespace {

Attribute parseAttribute(WireReader r) {
  Attribute a;
  // Old files omit `type`; remember which value fields appeared to infer it.
  AttributeType inferred = AttributeType::Undefined;
  auto saw = [&](AttributeType t) {
    if (inferred == AttributeType::Undefined) inferred = t;
  };
  Field f;
  while (r.next(f)) {
    switch (f.number) {
      case 1: a.name = f.string(); break;
      case 2: a.f = f.float32(); saw(AttributeType::Float); break;
      case 3: a.i = f.int64(); saw(AttributeType::Int); break;
      case 4: a.s = f.string(); saw(AttributeType::String); break;
      case 5:
        a.t = parseTensorMessage(WireReader::nested(f), cat("tensor of attribute '", a.name, "'"));
        saw(AttributeType::Tensor);
        break;
      case 6: f.bytes(); saw(AttributeType::Graph); break;
      case 7: f.appendTo(a.floats); saw(AttributeType::Floats); break;
      case 8: f.appendTo(a.ints); saw(AttributeType::Ints); break;
      case 9: a.strings.push_back(f.string()); saw(AttributeType::Strings); break;
      case 10:
        a.tensors.push_back(parseTensorMessage(WireReader::nested(f), cat("tensor of attribute '", a.name, "'")));
        saw(AttributeType::Tensors);
        break;
      case 11: f.bytes(); saw(AttributeType::Graphs); break;
      case 20: a.type = static_cast<AttributeType>(f.int32()); break;
    }
  }
  if (a.type == AttributeType::Undefined) a.type = inferred;
  return a;
}

Node parseNode(WireReader r) {
  Node n;
  Field f;
  while (r.next(f)) {
    switch (f.number) {
      case 1: n.inputs.push_back(f.string()); break;
      case 2: n.outputs.push_back(f.string()); break;
      case 3: n.name = f.string(); break;
      case 4: n.opType = f.string(); break;
      case 5: n.attributes.push_back(parseAttribute(WireReader::nested(f))); break;
      case 7: n.domain = f.string(); break;
    }
  }
  return n;
}

Dimension parseDimension(WireReader r) {
  Dimension d;
  Field f;
  while (r.next(f)) {
    if (f.number == 1) d.value = f.int64();
    if (f.number == 2) d.param = f.string();
  }
  return d;
}

// TypeProto: only tensor types (field 1) are read; sequences, maps and optionals leave the
// element type undefined and the shape unknown.
void parseType(WireReader r, ValueInfo& v) {
  Field f;
  while (r.next(f)) {
    if (f.number != 1) continue;
    WireReader tensorType = WireReader::nested(f);
    Field g;
    while (tensorType.next(g)) {
      if (g.number == 1) v.elemType = static_cast<DataType>(g.int32());
      if (g.number != 2) continue;
      v.hasShape = true;
      WireReader shape = WireReader::nested(g);
      Field h;
      while (shape.next(h))
        if (h.number == 1) v.dims.push_back(parseDimension(WireReader::nested(h)));
    }
  }
}

ValueInfo parseValueInfo(WireReader r) {
  ValueInfo v;
  Field f;
  while (r.next(f)) {
    if (f.number == 1) v.name = f.string();
    if (f.number == 2) parseType(WireReader::nested(f), v);
  }
  return v;
}

Graph parseGraph(WireReader r) {
  Graph g;
  Field f;
  while (r.next(f)) {
    switch (f.number) {
      case 1: g.nodes.push_back(parseNode(WireReader::nested(f))); break;
      case 2: g.name = f.string(); break;
      case 5: g.initializers.push_back(parseTensorMessage(WireReader::nested(f), "initializer")); break;
      case 10: g.docString = f.string(); break;
      case 11: g.inputs.push_back(parseValueInfo(WireReader::nested(f))); break;
      case 12: g.outputs.push_back(parseValueInfo(WireReader::nested(f))); break;
      case 13: g.valueInfo.push_back(parseValueInfo(WireReader::nested(f))); break;
    }
  }
  return g;
}

OpsetId parseOpsetId(WireReader r) {
  OpsetId o;
  Field f;
  while (r.next(f)) {
    if (f.number == 1) o.domain = f.string();
    if (f.number == 2) o.version = f.int64();
  }
  return o;
}

std::vector<uint8_t> readFile(const std::string& path, const char* what) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    fail("cannot open ", what, " '", path, "': ", ec ? ec.message() : "not a regular file");
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) fail("cannot open ", what, " '", path, "': ", ec.message());
  if (size > static_cast<uintmax_t>(INT64_MAX)) fail("cannot read ", what, " '", path, "': the file is too large");
  checkMemoryCap(static_cast<int64_t>(size), Device::CPU, detail::cat("reading ", what, " '", path, "'"));
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open ", what, " '", path, "'");
  // One read into a buffer of the file's size: an istreambuf_iterator copy goes byte by byte.
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  const auto want = static_cast<std::streamsize>(size);
  if (in.read(reinterpret_cast<char*>(bytes.data()), want).gcount() != want || in.peek() != EOF)
    fail("cannot read ", what, " '", path, "': expected ", size, " bytes (its size when opened)");
  return bytes;
}

void writeFile(const std::string& path, const std::string& bytes, const char* what) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) fail("cannot write ", what, " '", path, "'");
}

}  // namespace

Model parseModel(std::span<const uint8_t> bytes) {
  Model m;
  bool hasGraph = false;
  WireReader r(bytes);
  Field f;
  while (r.next(f)) {
    switch (f.number) {
      case 1: m.irVersion = f.int64(); break;
      case 2: m.producerName = f.string(); break;
      case 3: m.producerVersion = f.string(); break;
      case 4: m.domain = f.string(); break;
      case 5: m.modelVersion = f.int64(); break;
      case 6: m.docString = f.string(); break;
      case 7: m.graph = parseGraph(WireReader::nested(f)); hasGraph = true; break;
      case 8: m.opsets.push_back(parseOpsetId(WireReader::nested(f))); break;
    }
  }
  if (!hasGraph) fail("not an ONNX model: no graph (ModelProto field 7) in ", bytes.size(), " bytes");
  return m;
}

TensorProto parseTensor(std::span<const uint8_t> bytes) { return parseTensorMessage(WireReader(bytes), "tensor"); }

Model loadModel(const std::string& path) {
  std::vector<uint8_t> bytes = readFile(path, "ONNX model");
  try {
    return parseModel(bytes);
  } catch (const Error& e) {
    fail("cannot load ONNX model '", path, "': ", e.what());
  }
}

TensorProto loadTensor(const std::string& path) {
  std::vector<uint8_t> bytes = readFile(path, "ONNX tensor");
  try {
    return parseTensor(bytes);
  } catch (const Error& e) {
    fail("cannot load ONNX tensor '", path, "': ", e.what());
  }
}

// ---- Serialization: fields in field-number order, as protobuf's own writers emit them ----

namespace {

WireWriter writeTensor(const TensorProto& t, std::string_view role) {
  std::string label = tensorLabel(role, t.name);
  if (t.dataType == DataType::String) fail(label, ": string tensors cannot be written");
  size_t esize = elementSize(t.dataType);
  if (esize == 0) fail(label, ": cannot write data type ", dataTypeName(t.dataType));
  int64_t numel = checkedNumel(t.dims, label);
  if (!holdsExactly(t.raw, numel, esize))
    fail(label, ": ", numel, " values declared by dims ", dimsStr(t.dims), " but ", t.raw.size(),
         " bytes of ", dataTypeName(t.dataType), " stored");
  WireWriter w;
  for (int64_t d : t.dims) w.int64(1, d);   // `repeated int64 dims` is not declared packed
  w.int64(2, static_cast<int64_t>(t.dataType));
  if (!t.name.empty()) w.bytes(8, t.name);
  w.bytes(9, t.raw);
  return w;
}

WireWriter writeAttribute(const Attribute& a, const Node& node) {
  WireWriter w;
  w.bytes(1, a.name);
  std::string role = cat("tensor of attribute '", a.name, "'");
  switch (a.type) {
    case AttributeType::Float: w.float32(2, a.f); break;
    case AttributeType::Int: w.int64(3, a.i); break;
    case AttributeType::String: w.bytes(4, a.s); break;
    case AttributeType::Tensor: w.message(5, writeTensor(a.t, role)); break;
    case AttributeType::Floats: for (float v : a.floats) w.float32(7, v); break;
    case AttributeType::Ints: for (int64_t v : a.ints) w.int64(8, v); break;
    case AttributeType::Strings: for (const std::string& s : a.strings) w.bytes(9, s); break;
    case AttributeType::Tensors: for (const TensorProto& t : a.tensors) w.message(10, writeTensor(t, role)); break;
    default:
      fail(node.opType, " node '", node.name, "': attribute '", a.name, "' of type ",
           attributeTypeName(a.type), " cannot be written");
  }
  w.int64(20, static_cast<int64_t>(a.type));
  return w;
}

WireWriter writeNode(const Node& n) {
  WireWriter w;
  for (const std::string& s : n.inputs) w.bytes(1, s);
  for (const std::string& s : n.outputs) w.bytes(2, s);
  if (!n.name.empty()) w.bytes(3, n.name);
  w.bytes(4, n.opType);
  for (const Attribute& a : n.attributes) w.message(5, writeAttribute(a, n));
  if (!n.domain.empty()) w.bytes(7, n.domain);
  return w;
}

WireWriter writeValueInfo(const ValueInfo& v) {
  WireWriter tensorType;
  if (v.elemType != DataType::Undefined) tensorType.int64(1, static_cast<int64_t>(v.elemType));
  if (v.hasShape) {
    WireWriter shape;
    for (const Dimension& d : v.dims) {
      WireWriter dim;
      if (!d.param.empty()) dim.bytes(2, d.param);
      else if (d.value >= 0) dim.int64(1, d.value);
      shape.message(1, dim);
    }
    tensorType.message(2, shape);
  }
  WireWriter w;
  w.bytes(1, v.name);
  if (v.elemType != DataType::Undefined || v.hasShape) {
    WireWriter type;
    type.message(1, tensorType);
    w.message(2, type);
  }
  return w;
}

WireWriter writeGraph(const Graph& g) {
  WireWriter w;
  for (const Node& n : g.nodes) w.message(1, writeNode(n));
  w.bytes(2, g.name);
  for (const TensorProto& t : g.initializers) w.message(5, writeTensor(t, "initializer"));
  if (!g.docString.empty()) w.bytes(10, g.docString);
  for (const ValueInfo& v : g.inputs) w.message(11, writeValueInfo(v));
  for (const ValueInfo& v : g.outputs) w.message(12, writeValueInfo(v));
  for (const ValueInfo& v : g.valueInfo) w.message(13, writeValueInfo(v));
  return w;
}

}  // namespace

std::string serializeModel(const Model& m) {
  WireWriter w;
  w.int64(1, m.irVersion);
  if (!m.producerName.empty()) w.bytes(2, m.producerName);
  if (!m.producerVersion.empty()) w.bytes(3, m.producerVersion);
  if (!m.domain.empty()) w.bytes(4, m.domain);
  if (m.modelVersion != 0) w.int64(5, m.modelVersion);
  if (!m.docString.empty()) w.bytes(6, m.docString);
  w.message(7, writeGraph(m.graph));
  for (const OpsetId& o : m.opsets) {
    WireWriter opset;
    opset.bytes(1, o.domain);
    opset.int64(2, o.version);
    w.message(8, opset);
  }
  return w.take();
}

std::string serializeTensor(const TensorProto& t) { return writeTensor(t, "tensor").take(); }

void saveModel(const Model& model, const std::string& path) { writeFile(path, serializeModel(model), "ONNX model"); }

namespace {

template <typename T>
TensorProto makeTypedTensor(std::string name, std::vector<int64_t> dims, std::span<const T> values, DataType type) {
  TensorProto t;
  t.name = std::move(name);
  t.dataType = type;
  t.dims = std::move(dims);
  int64_t numel = checkedNumel(t.dims, tensorLabel("makeTensor: tensor", t.name));
  if (static_cast<uint64_t>(numel) != values.size())
    fail("makeTensor: tensor '", t.name, "': ", numel, " values declared by dims ", dimsStr(t.dims),
         " but ", values.size(), " given");
  t.raw.assign(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
  return t;
}

}  // namespace

TensorProto makeTensor(std::string name, std::vector<int64_t> dims, std::span<const float> values) {
  return makeTypedTensor(std::move(name), std::move(dims), values, DataType::Float);
}

TensorProto makeTensor(std::string name, std::vector<int64_t> dims, std::span<const int64_t> values) {
  return makeTypedTensor(std::move(name), std::move(dims), values, DataType::Int64);
}

Attribute intAttr(std::string name, int64_t value) {
  Attribute a;
  a.name = std::move(name);
  a.type = AttributeType::Int;
  a.i = value;
  return a;
}

Attribute floatAttr(std::string name, double value) {
  Attribute a;
  a.name = std::move(name);
  a.type = AttributeType::Float;
  a.f = static_cast<float>(value);
  return a;
}

Attribute intsAttr(std::string name, std::vector<int64_t> values) {
  Attribute a;
  a.name = std::move(name);
  a.type = AttributeType::Ints;
  a.ints = std::move(values);
  return a;
}

Attribute stringAttr(std::string name, std::string value) {
  Attribute a;
  a.name = std::move(name);
  a.type = AttributeType::String;
  a.s = std::move(value);
  return a;
}

}  // namespace dlcam::onnx
