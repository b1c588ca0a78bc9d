// Internals of the ONNX exporter (exporter.h): what a layer's writer sees and the two tables
// of layer writers (exporter_layers.cpp for dlcam's own layers, exporter_tensor.cpp for the
// ONNX tensor layers). Not part of the public API.
#pragma once

#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "io/onnx/proto.h"
#include "layers/layer.h"

namespace dlcam::onnx::writer {

// The graph being written: nodes, initializers and the names already used (ONNX values and
// nodes each need unique names; helper names that collide get "_2", "_3"...).
struct GraphState {
  Graph graph;
  std::set<std::string> names;
  // The input is a sequence of any length: T is not known statically.
  bool anyLength = false;
  std::string unique(const std::string& base);
};

// One layer being written. Its inputs are ONNX values holding the inputs' activations in
// ONNX layout; the writer adds nodes and initializers and must end with output(), the node
// whose output value is the layer's activation.
class LayerWriter {
 public:
  LayerWriter(GraphState& graph, const Layer& layer, std::vector<std::string> inputs,
              std::vector<ActivationInfo> inputInfo, ActivationInfo outputInfo);

  const Layer& layer() const { return layer_; }
  int numInputs() const { return static_cast<int>(inputs_.size()); }
  const std::string& input(int i) const { return inputs_.at(static_cast<size_t>(i)); }
  const std::vector<std::string>& inputs() const { return inputs_; }
  // The static activations (B = 1, as the network infers them) and their ONNX shapes.
  const ActivationInfo& inputInfo(int i) const { return inputInfo_.at(static_cast<size_t>(i)); }
  const ActivationInfo& outputInfo() const { return outputInfo_; }
  std::vector<int64_t> inputShape(int i) const;
  std::vector<int64_t> outputShape() const;
  // True when input i's T size is only known at run time (a sequence input of any length).
  bool dynamicLength(int i) const;

  // Initializers named "<layer>/<what>": float32 with ONNX dims and row-major values, or int64
  // (1-D unless dims are given).
  std::string constant(const std::string& what, std::vector<int64_t> dims, std::span<const float> values);
  std::string scalar(const std::string& what, double value);  // rank 0, float32
  std::string ints(const std::string& what, std::vector<int64_t> values);
  std::string ints(const std::string& what, std::vector<int64_t> values, std::vector<int64_t> dims);
  // A helper node "<layer>/<op>"; returns its output value.
  std::string node(const std::string& op, std::vector<std::string> inputs, std::vector<Attribute> attributes = {});
  // The layer's last node, named after the layer; its output value is the layer's activation.
  void output(const std::string& op, std::vector<std::string> inputs, std::vector<Attribute> attributes = {});
  // The value output() produced ("" before).
  const std::string& result() const { return result_; }

  // Throws dlcam::Error "ONNX export: layer 'name' (Type): <what>".
  [[noreturn]] void fail(const std::string& what) const;

 private:
  std::string addNode(const std::string& name, const std::string& op, std::vector<std::string> inputs,
                      std::vector<Attribute> attributes);

  GraphState& graph_;
  const Layer& layer_;
  std::vector<std::string> inputs_;
  std::vector<ActivationInfo> inputInfo_;
  ActivationInfo outputInfo_;
  std::string result_;
};

// Each returns false when the layer is not one of its family, and writes it otherwise.
bool writeNeuralLayer(LayerWriter& w);  // exporter_layers.cpp
bool writeTensorLayer(LayerWriter& w);  // exporter_tensor.cpp

// A tensor's values in the column-major order of kernels::cpu::permute(t, order) (the
// identity when order is empty), as float32: with the right order, the row-major values of
// an ONNX tensor.
std::vector<float> permutedValues(const Tensor& t, const std::vector<int>& order = {});


}  // namespace dlcam::onnx::writer
