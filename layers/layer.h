// Layer: one node of a Network (MATLAB's nnet.cnn.layer.* objects inside a dlnetwork).
//
// A layer has a name (unique in its network), a type ("Convolution", "ReLU"... the names
// MATLAB's layer display uses), learnables (weights the training updates) and states (values
// forward updates in training, such as batch norm's running statistics). It can say what its
// output will be, size and format, from its inputs' sizes alone, so a network can be
// checked and summarised before any data flows.
//
// forward() works on labelled arrays and is written with the differentiable functions of
// autodiff/, so every layer is differentiable without a backward of its own.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/array.h"

namespace dlcam {

// The size and format of an activation, known without data. `size` has one entry per label
// of `format` (canonical order), the batch dimension B included.
struct ActivationInfo {
  Shape size;
  DimFormat format;

  // "28(S) × 28(S) × 16(C) × 1(B)", as MATLAB's network analyzer writes activations.
  std::string str() const;
  bool operator==(const ActivationInfo&) const = default;
};

// A named learnable or state value of a layer ("Weights", "Bias", "Offset", "Scale",
// "TrainedMean", "TrainedVariance": MATLAB's property names).
struct Parameter {
  std::string name;
  Array value;
};

// What a layer's forward needs to know besides its inputs.
struct ForwardContext {
  // Training behaviour: dropout drops values, batch normalisation normalises with the batch's
  // statistics. false (inference) everywhere except training loops.
  bool training = false;
  // Training only: where random layers (dropout) draw from. A training loop passes a new
  // value every step, so masks differ between steps and a run is reproduced from its seed.
  uint64_t seed = 0;
  // Training only: new state values (running statistics) the layers computed, for the caller
  // to store. Layers append; Network::forward returns them.
  struct StateUpdate {
    std::string layer, state;
    Tensor value;
  };
  std::vector<StateUpdate> stateUpdates;
};

class Layer {
 public:
  explicit Layer(std::string name) : name_(std::move(name)) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return name_; }
  // The layer kind as MATLAB's display shows it: "Convolution", "Batch Normalization"...
  virtual std::string type() const = 0;
  // One line about this layer's settings for the summary: "16 3×3×3 convolutions with
  // stride [2 2] and padding [1 1 1 1]". Defaults to the type.
  virtual std::string description() const { return type(); }

  // How many inputs forward takes. Input layers take the network's input (1).
  virtual int numInputs() const { return 1; }
  // The output size and format for inputs of the given sizes and formats. Throws dlcam::Error
  // naming this layer when the inputs do not fit it (wrong format, channel count...).
  virtual ActivationInfo inferOutput(std::span<const ActivationInfo> inputs) const = 0;
  // The output for these inputs (as many as numInputs()).
  virtual Array forward(std::span<const Array> inputs, ForwardContext& context) const = 0;

  std::vector<Parameter>& learnables() { return learnables_; }
  const std::vector<Parameter>& learnables() const { return learnables_; }
  std::vector<Parameter>& states() { return states_; }
  const std::vector<Parameter>& states() const { return states_; }
  // Total number of learnable values.
  int64_t numLearnables() const;
  // The learnable or state called `name`; throws dlcam::Error naming the layer if there is none.
  const Array& learnable(const std::string& name) const;
  const Array& state(const std::string& name) const;

  // Moves every value the layer holds (learnables, states, and any constants of its own) to
  // `device`; Network::to calls it. Layers with values outside learnables() and states()
  // override it and call this one.
  virtual void moveTo(Device device);

 protected:
  // Throws dlcam::Error "layer 'name' (Type): <what>".
  [[noreturn]] void failHere(const std::string& what) const;
  // Checks the number of inputs given to inferOutput or forward.
  void expectInputs(size_t given) const;

  std::string name_;
  std::vector<Parameter> learnables_;
  std::vector<Parameter> states_;
};

// A layer that receives the network's input: it declares the input's size and format and
// may normalise the data (image and sequence input layers).
class InputLayer : public Layer {
 public:
  using Layer::Layer;
  // The declared input: size and format, B = 1 (any batch size is accepted; a sequence's T is
  // the length declared, or 1 when the length may vary).
  virtual ActivationInfo inputInfo() const = 0;
  ActivationInfo inferOutput(std::span<const ActivationInfo> inputs) const override;
};

}  // namespace dlcam
