// The ONNX op table: one builder per op type, turning a NodeProto into a dlcam Layer.
//
// Each io/onnx/ops_*.cpp file adds its builders with one add*Ops(OpTable&) function; the
// importer calls those functions once. Adding an op means writing its builder (and, when no
// layer fits, a layer) and one table line; nothing else changes.
//
// A builder sees the node, the opset and every input's static ONNX shape; inputs that are
// initializers or computable at load time (shape sub-graphs) are constants it can read.
// It returns either a layer (with the node inputs that feed it at run time) or, for nodes
// that do no work, which input passes through or which constant the node produces. The
// importer folds a layer whose run-time inputs are all constants by running it once at load.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/array.h"
#include "io/onnx/proto.h"
#include "layers/layer.h"

namespace dlcam::onnx {

// What the importer knows about an ONNX value while building.
struct Value {
  std::vector<int64_t> shape;            // ONNX order (N, C, spatial…)
  DataType type = DataType::Float;
  // Defined for constants: ONNX order (U…U, dims reversed); float32 for float tensors from the
  // file, float64 for everything else (integers of shape arithmetic stay exact).
  Array constant;
  bool isConstant() const { return constant.defined(); }
};

// A constant Value from ONNX-order data.
Value constantValue(Array onnxOrder, DataType type);
// A constant Value from a tensor of the file (an initializer, a bound input, a Constant
// node's value): float32 tensors keep their bytes (one copy: weights are most of a model),
// every other type becomes float64, exact for the integers of shape arithmetic. String and
// complex tensors are an error naming the tensor.
Value constantValue(const TensorProto& t);

class NodeContext {
 public:
  // variableLength: the network input is a sequence of any length (the file leaves L open),
  // so every size along T is unknown at import.
  NodeContext(const Node& node, int64_t opset, std::string layerName, std::vector<const Value*> inputs,
              bool variableLength = false)
      : node_(node), opset_(opset), layerName_(std::move(layerName)), inputs_(std::move(inputs)),
        variableLength_(variableLength) {}

  const Node& node() const { return node_; }
  int64_t opset() const { return opset_; }
  // True when the static shapes hold the import-time length 1 in place of a length that is
  // only known at run time (see the constructor).
  bool variableLength() const { return variableLength_; }
  // The name the layer gets: the node's name, made unique by the importer.
  const std::string& layerName() const { return layerName_; }

  // Number of node inputs, omitted optional ones ("") included.
  int numInputs() const { return static_cast<int>(inputs_.size()); }
  // False for an omitted optional input or an index past the end.
  bool has(int i) const;
  const Value& input(int i) const;  // throws naming the node when absent
  const std::vector<int64_t>& shape(int i) const { return input(i).shape; }
  int rank(int i) const { return static_cast<int>(input(i).shape.size()); }
  bool isConstant(int i) const { return has(i) && input(i).isConstant(); }
  // A constant input, ONNX order (float32 or float64, see Value); throws naming the node and input when it is not a
  // constant ("input 1 ('W') must be an initializer or computable at load time").
  const Array& constant(int i) const;
  // A constant input's values, row-major (ONNX order), as integers (rounded toward zero and
  // clamped to int64) or doubles.
  std::vector<int64_t> ints(int i) const;
  std::vector<double> doubles(int i) const;
  // A constant input holding exactly one value (any shape: [], [1], [1 1]…); throws naming the
  // node and input otherwise.
  double scalar(int i) const;
  // A constant input in float32, ONNX order (for weights).
  Array weights(int i) const;

  // Throws dlcam::Error "ONNX node 'name' (OpType): <what>".
  [[noreturn]] void fail(const std::string& what) const;
  // Throws unless a constant of this ONNX shape is small enough to compute at load time
  // (kMaxFoldedElements): folding runs on untrusted sizes, so it refuses what it cannot hold.
  void checkFoldable(const std::vector<int64_t>& onnxShape) const;
  // Normalises a possibly negative axis for a value of rank `rank` (error naming the node).
  int axis(int64_t axis, int rank) const;

 private:
  const Node& node_;
  int64_t opset_;
  std::string layerName_;
  std::vector<const Value*> inputs_;
  bool variableLength_;
};

// The largest constant (in elements) the importer computes at load: 2^24 (128 MiB in float64).
inline constexpr int64_t kMaxFoldedElements = int64_t{1} << 24;

struct BuildResult {
  // The layer computing the node's first output, fed at run time by these node inputs (in the
  // layer's input order).
  std::shared_ptr<Layer> layer;
  std::vector<int> inputs;
  // Or: the node's output is node input `passThrough` unchanged (Identity, inference Dropout).
  int passThrough = -1;
  // Or: the node's output is a constant (Constant, Shape, ConstantOfShape).
  std::optional<Value> constant;

  static BuildResult of(std::shared_ptr<Layer> layer, std::vector<int> inputs) {
    BuildResult r;
    r.layer = std::move(layer);
    r.inputs = std::move(inputs);
    return r;
  }
  static BuildResult pass(int input) {
    BuildResult r;
    r.passThrough = input;
    return r;
  }
  static BuildResult constantOf(Value v) {
    BuildResult r;
    r.constant = std::move(v);
    return r;
  }
};

using OpBuilder = BuildResult (*)(const NodeContext& context);

struct OpTable {
  std::map<std::string, OpBuilder> builders;
  void add(const std::string& opType, OpBuilder builder) { builders[opType] = builder; }
};

// The table files. Each adds its ops.
void addNeuralOps(OpTable& table);  // ops_neural.cpp: Conv, BatchNormalization, pools, Gemm, activations, …
void addTensorOps(OpTable& table);  // ops_tensor.cpp: Reshape, Transpose, Gather, Slice, elementwise, …

// The full table (built once).
const OpTable& opTable();

}  // namespace dlcam::onnx
