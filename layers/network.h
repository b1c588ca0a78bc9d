// Network: a directed acyclic graph of layers with one input layer and one output, the
// equivalent of MATLAB's dlnetwork. Branches join through multi-input layers (addition,
// depth concatenation).
//
//   Network net;
//   net.add(std::make_shared<ImageInputLayer>("input", ImageInputOptions{.size = {28, 28, 1}}));
//   net.add(std::make_shared<ConvolutionLayer>("conv", ...));     // fed by "input"
//   net.add(std::make_shared<ReluLayer>("relu"));                  // fed by "conv"
//   net.add(std::make_shared<AdditionLayer>("add", 2), {"conv", "relu"});
//   net.initialize();                       // checks the graph, infers every activation size
//   Array scores = net.predict(X);          // X: 28×28×1×n "SSCB"
//   auto [a, b] = ... net.forward(X, {.outputs = {"conv", "add"}});
//
// Layers are named; a name can also be reached by an alias (the importer registers each ONNX
// output tensor name as an alias of the layer that computes it).
#pragma once

#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "layers/layer.h"

namespace dlcam {

struct ForwardOptions {
  // Layers (names or aliases) whose activations to return, in this order. Empty: the
  // network's output layer.
  std::vector<std::string> outputs{};
  // Training behaviour (dropout, batch statistics). MATLAB's forward() trains by default;
  // dlcam's does not: inference unless asked, so forward(X, outputs) equals predict with
  // outputs, except that forward records on an active Tape.
  bool training = false;
  // Training only: the seed of dropout's masks (ForwardContext::seed); pass a new one each step.
  uint64_t seed = 0;
  // Called with each activation right after its layer computes it, before any other layer
  // uses it. Grad-CAM watches the feature layer's activation here: a Tape then records only
  // the layers above it.
  std::function<void(const Layer& layer, Array& activation)> onActivation{};
};

struct ForwardResult {
  std::vector<Array> outputs;  // one per requested output
  std::vector<ForwardContext::StateUpdate> stateUpdates;  // training only
};

class Network {
 public:
  Network() = default;

  // Adds a layer. `inputs` names the layers (or aliases) that feed it, in order; empty means
  // the layer added just before (a MATLAB layer array), or none for an input layer.
  // Returns the added layer. Names must be unique (checked here).
  Layer& add(std::shared_ptr<Layer> layer, std::vector<std::string> inputs = {});
  // Makes `alias` another name of layer `layerName`'s output.
  void addAlias(const std::string& alias, const std::string& layerName);

  // Checks the graph and infers every activation's size and format from the input layer's
  // declared input. Throws dlcam::Error naming the problem: no input layer or several, a
  // missing input, a cycle, several outputs (layers nobody consumes), or a layer whose input
  // does not fit it. predict, forward and summary need it (they throw before it); adding a
  // layer resets it.
  void initialize();
  // The same, inferring the sizes for an input of `inputSize` (in the input layer's format)
  // instead of the declared one with B = 1. Only B, and T for sequences of any length, may
  // differ from the declaration. Importers pass the file's input size, so that layers which
  // treat the batch as an ordinary axis (ONNX Concat on axis 0...) infer the same sizes the
  // file describes. Kept for later initialize() calls.
  void initialize(const Shape& inputSize);
  bool initialized() const { return initialized_; }

  // Inference: the output layer's activation. Records nothing, even while a Tape is active.
  Array predict(const Array& x) const;
  // Inference with the activations of the named layers (MATLAB: predict(net, X, Outputs=...)).
  std::vector<Array> predict(const Array& x, const std::vector<std::string>& outputs) const;
  // The activations of options.outputs, computed only as far as they need; recorded when a
  // Tape is active and something on the way is watched.
  ForwardResult forward(const Array& x, const ForwardOptions& options = {}) const;

  // Layers in execution (topological) order; add order before initialize().
  size_t numLayers() const { return nodes_.size(); }
  const Layer& layer(size_t index) const { return *nodes_.at(index).layer; }
  Layer& layer(size_t index) { return *nodes_.at(index).layer; }
  // The layer with this name or alias; throws dlcam::Error listing close names if none.
  const Layer& layer(const std::string& nameOrAlias) const;
  Layer& layer(const std::string& nameOrAlias);
  bool contains(const std::string& nameOrAlias) const;
  // The index of the layer with this name or alias, so that layer(layerIndex(n)) is that layer
  // (execution order after initialize()). Throws dlcam::Error listing close names if none.
  size_t layerIndex(const std::string& nameOrAlias) const { return indexOf(nameOrAlias); }
  // The indices of the layers feeding layer `index`, in input order (after initialize()).
  const std::vector<size_t>& inputIndices(size_t index) const;
  // Names of the layers feeding `layer` (after initialize()).
  std::vector<std::string> inputsOf(const std::string& layer) const;
  // The inferred output of a layer (after initialize()).
  const ActivationInfo& outputInfo(const std::string& layer) const;
  const InputLayer& inputLayer() const;
  const Layer& outputLayer() const;

  int64_t numLearnables() const;

  // Moves every layer's learnables, states and constants to `device` (MATLAB moves a
  // dlnetwork's learnables with dlupdate(@gpuArray, net)), so that predict, forward and
  // gradCAM on arrays of that device copy nothing per call. Networks copied from this one
  // share its layers, so they move too. Device::GPU needs a GPU (core/device.h): throws
  // dlcam::Error with the reason otherwise.
  void to(Device device);
  // Where the network is: GPU after to(Device::GPU), or when any learnable or state is on the
  // GPU; else CPU.
  Device device() const;

  // The activation of every layer, in execution order, for an input of `inputSize` (in the
  // input layer's format; only B, and T for sequences of any length, may differ from the
  // declaration). Computed from sizes alone, as initialize() does; the network is unchanged.
  std::vector<ActivationInfo> inferActivations(const Shape& inputSize) const;

  // Class names, one per channel of the output, in class-index order (MATLAB: the classes a
  // classification network was trained with). Empty unless set. gradCAM and the `dlcam`
  // command resolve class labels through them. Throws dlcam::Error when the network is
  // initialized and its output's channel count differs from the number of names, or a name is
  // empty or repeated.
  void setClassNames(std::vector<std::string> names);
  const std::vector<std::string>& classNames() const { return classNames_; }

  // The layer table, like MATLAB's net.Layers / analyzeNetwork: index, name, type,
  // activation size and format, learnables.
  std::string summary() const;

 private:
  struct Node {
    std::shared_ptr<Layer> layer;
    std::vector<std::string> inputNames;  // as given to add()
    std::vector<size_t> inputs;           // node indices, after initialize()
    ActivationInfo output;
  };
  size_t indexOf(const std::string& nameOrAlias) const;
  void requireInitialized(const char* what) const;
  ActivationInfo exampleInfo(const InputLayer& input, const Shape& inputSize) const;
  void checkClassNames(const std::vector<std::string>& names) const;

  std::vector<Node> nodes_;
  std::map<std::string, std::string> aliases_;  // alias -> layer name
  std::map<std::string, size_t> index_;         // layer name -> node index
  size_t input_ = 0, output_ = 0;
  bool initialized_ = false;
  Shape exampleInput_;  // rank 0: the input layer's declared input
  std::vector<std::string> classNames_;
  Device device_ = Device::CPU;  // set by to()
};

std::ostream& operator<<(std::ostream& out, const Network& net);

}  // namespace dlcam
