#include "layers/network.h"

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "autodiff/tape.h"
#include "core/device.h"
#include "core/error.h"

namespace dlcam {

Layer& Network::add(std::shared_ptr<Layer> layer, std::vector<std::string> inputs) {
  if (!layer) fail("Network::add: the layer is null");
  const std::string& name = layer->name();
  if (name.empty()) fail("Network::add: a layer needs a name (type ", layer->type(), ")");
  if (index_.count(name) || aliases_.count(name))
    fail("Network::add: the name '", name, "' is already used by another layer");
  const bool isInput = dynamic_cast<const InputLayer*>(layer.get()) != nullptr;
  if (inputs.empty() && !isInput) {
    if (nodes_.empty()) fail("Network::add: layer '", name, "' has no input and is not an input layer");
    inputs.push_back(nodes_.back().layer->name());
  }
  if (isInput && !inputs.empty()) fail("Network::add: input layer '", name, "' cannot be fed by other layers");
  index_[name] = nodes_.size();
  nodes_.push_back(Node{std::move(layer), std::move(inputs), {}, {}});
  initialized_ = false;
  return *nodes_.back().layer;
}

void Network::addAlias(const std::string& alias, const std::string& layerName) {
  if (!index_.count(layerName)) fail("Network::addAlias: no layer named '", layerName, "'");
  if (alias == layerName) return;
  if (index_.count(alias)) fail("Network::addAlias: '", alias, "' is already a layer name");
  auto [it, inserted] = aliases_.emplace(alias, layerName);
  if (!inserted && it->second != layerName)
    fail("Network::addAlias: '", alias, "' already names layer '", it->second, "'");
}

bool Network::contains(const std::string& nameOrAlias) const {
  return index_.count(nameOrAlias) || aliases_.count(nameOrAlias);
}

size_t Network::indexOf(const std::string& nameOrAlias) const {
  if (auto it = index_.find(nameOrAlias); it != index_.end()) return it->second;
  if (auto it = aliases_.find(nameOrAlias); it != aliases_.end()) return index_.at(it->second);
  // Help with typos: list the names that share a prefix, or a few names.
  std::vector<std::string> hints;
  for (const auto& [name, i] : index_)
    if (name.find(nameOrAlias) != std::string::npos || nameOrAlias.find(name) != std::string::npos)
      hints.push_back(name);
  if (hints.empty())
    for (const Node& n : nodes_) {
      if (hints.size() == 8) break;
      hints.push_back(n.layer->name());
    }
  std::string list;
  for (const std::string& h : hints) list += (list.empty() ? "'" : ", '") + h + "'";
  fail("the network has no layer named '", nameOrAlias, "' (layers include ", list, ")");
}

const Layer& Network::layer(const std::string& nameOrAlias) const { return *nodes_[indexOf(nameOrAlias)].layer; }
Layer& Network::layer(const std::string& nameOrAlias) { return *nodes_[indexOf(nameOrAlias)].layer; }

void Network::initialize() {
  initialized_ = false;
  if (nodes_.empty()) fail("Network::initialize: the network has no layers");

  // Resolve input names; find the input layer.
  std::vector<size_t> inputLayers;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    Node& node = nodes_[i];
    node.inputs.clear();
    for (const std::string& in : node.inputNames) {
      if (!contains(in))
        fail("Network::initialize: layer '", node.layer->name(), "' is fed by '", in, "', which is not in the network");
      node.inputs.push_back(indexOf(in));
    }
    if (dynamic_cast<const InputLayer*>(node.layer.get())) inputLayers.push_back(i);
    else if (static_cast<int>(node.inputs.size()) != node.layer->numInputs())
      fail("Network::initialize: layer '", node.layer->name(), "' (", node.layer->type(), ") takes ",
           node.layer->numInputs(), " input(s) but is connected to ", node.inputs.size());
  }
  if (inputLayers.size() != 1) {
    std::string names;
    for (size_t i : inputLayers) names += (names.empty() ? "'" : ", '") + nodes_[i].layer->name() + "'";
    fail("Network::initialize: a network has exactly one input layer; found ", inputLayers.size(),
         names.empty() ? "" : " (" + names + ")");
  }

  // Kahn's algorithm: layers whose inputs are all placed go next, in the order they were
  // added, so the execution order stays close to the order a reader expects.
  const size_t n = nodes_.size();
  std::vector<int> pending(n, 0);
  std::vector<std::vector<size_t>> consumers(n);
  for (size_t i = 0; i < n; ++i)
    for (size_t in : nodes_[i].inputs) {
      ++pending[i];
      consumers[in].push_back(i);
    }
  std::vector<size_t> order, ready;
  for (size_t i = 0; i < n; ++i)
    if (pending[i] == 0) ready.push_back(i);
  while (!ready.empty()) {
    auto next = std::min_element(ready.begin(), ready.end());
    size_t i = *next;
    ready.erase(next);
    order.push_back(i);
    for (size_t c : consumers[i])
      if (--pending[c] == 0) ready.push_back(c);
  }
  if (order.size() != n) {
    std::string stuck;
    for (size_t i = 0; i < n; ++i)
      if (pending[i] > 0) stuck += (stuck.empty() ? "'" : ", '") + nodes_[i].layer->name() + "'";
    fail("Network::initialize: the layers ", stuck, " form a cycle (or depend on one)");
  }
  std::vector<size_t> outputs;
  for (size_t i = 0; i < n; ++i)
    if (consumers[i].empty()) outputs.push_back(i);
  if (outputs.size() != 1) {
    std::string names;
    for (size_t i : outputs) names += (names.empty() ? "'" : ", '") + nodes_[i].layer->name() + "'";
    fail("Network::initialize: a network has exactly one output (a layer no other layer uses); found ",
         outputs.size(), ": ", names);
  }

  // Reorder the nodes into execution order and renumber their inputs.
  std::vector<size_t> newIndex(n);
  for (size_t k = 0; k < n; ++k) newIndex[order[k]] = k;
  std::vector<Node> sorted;
  sorted.reserve(n);
  for (size_t k = 0; k < n; ++k) {
    Node node = std::move(nodes_[order[k]]);
    for (size_t& in : node.inputs) in = newIndex[in];
    sorted.push_back(std::move(node));
  }
  nodes_ = std::move(sorted);
  for (size_t k = 0; k < n; ++k) index_[nodes_[k].layer->name()] = k;
  input_ = newIndex[inputLayers[0]];
  output_ = newIndex[outputs[0]];

  // Sizes flow from the input layer's declaration (or the example input size).
  for (Node& node : nodes_) {
    std::vector<ActivationInfo> in;
    if (auto* input = dynamic_cast<const InputLayer*>(node.layer.get()))
      in.push_back(exampleInfo(*input, exampleInput_));
    for (size_t i : node.inputs) in.push_back(nodes_[i].output);
    node.output = node.layer->inferOutput(in);
  }
  initialized_ = true;
  if (!classNames_.empty()) checkClassNames(classNames_);
}

std::vector<ActivationInfo> Network::inferActivations(const Shape& inputSize) const {
  requireInitialized("inferActivations");
  std::vector<ActivationInfo> infos(nodes_.size());
  for (size_t k = 0; k < nodes_.size(); ++k) {
    std::vector<ActivationInfo> in;
    if (auto* input = dynamic_cast<const InputLayer*>(nodes_[k].layer.get()))
      in.push_back(exampleInfo(*input, inputSize));
    for (size_t i : nodes_[k].inputs) in.push_back(infos[i]);
    infos[k] = nodes_[k].layer->inferOutput(in);
  }
  return infos;
}

void Network::setClassNames(std::vector<std::string> names) {
  if (initialized_) checkClassNames(names);
  classNames_ = std::move(names);
}

void Network::checkClassNames(const std::vector<std::string>& names) const {
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) fail("Network::setClassNames: class name ", i, " is empty");
    auto [it, fresh] = seen.emplace(names[i], i);
    if (!fresh) fail("Network::setClassNames: class name '", names[i], "' is given twice (classes ", it->second, " and ", i, ")");
  }
  const ActivationInfo& out = nodes_[output_].output;
  int c = out.format.find('C');
  int64_t channels = c < 0 ? 0 : out.size[c];
  if (names.empty() || channels == static_cast<int64_t>(names.size())) return;
  fail("Network::setClassNames: ", names.size(), " class names for output layer '", nodes_[output_].layer->name(),
       "' with ", c < 0 ? "no channel dimension (" + out.str() + ")" : std::to_string(channels) + " channels");
}

void Network::initialize(const Shape& inputSize) {
  exampleInput_ = inputSize;
  initialize();
}

ActivationInfo Network::exampleInfo(const InputLayer& input, const Shape& inputSize) const {
  ActivationInfo declared = input.inputInfo();
  if (inputSize.rank() == 0) return declared;
  const std::string& labels = declared.format.str();
  bool fits = inputSize.rank() == declared.size.rank();
  for (int d = 0; fits && d < declared.size.rank(); ++d)
    fits = labels[static_cast<size_t>(d)] == 'B' || labels[static_cast<size_t>(d)] == 'T' ||
           inputSize[d] == declared.size[d];
  if (!fits)
    fail("Network: input size ", inputSize.str(), " does not fit input layer '", input.name(), "' (",
         declared.str(), "; only B and T may differ)");
  return ActivationInfo{inputSize, declared.format};
}

void Network::requireInitialized(const char* what) const {
  if (!initialized_)
    fail("Network::", what, ": the network is not initialized; call initialize() after adding its layers");
}

const std::vector<size_t>& Network::inputIndices(size_t index) const {
  requireInitialized("inputIndices");
  return nodes_.at(index).inputs;
}

std::vector<std::string> Network::inputsOf(const std::string& name) const {
  requireInitialized("inputsOf");
  std::vector<std::string> names;
  for (size_t i : nodes_[indexOf(name)].inputs) names.push_back(nodes_[i].layer->name());
  return names;
}

const ActivationInfo& Network::outputInfo(const std::string& name) const {
  requireInitialized("outputInfo");
  return nodes_[indexOf(name)].output;
}

const InputLayer& Network::inputLayer() const {
  requireInitialized("inputLayer");
  return static_cast<const InputLayer&>(*nodes_[input_].layer);
}

const Layer& Network::outputLayer() const {
  requireInitialized("outputLayer");
  return *nodes_[output_].layer;
}

int64_t Network::numLearnables() const {
  int64_t total = 0;
  for (const Node& node : nodes_) total += node.layer->numLearnables();
  return total;
}

void Network::to(Device device) {
  if (device == Device::GPU) requireGpu("Network::to(Device::GPU)");
  const Device before = this->device();
  try {
    for (Node& node : nodes_) node.layer->moveTo(device);
  } catch (...) {  // out of GPU memory part way, say: the network goes back whole
    for (Node& node : nodes_) node.layer->moveTo(before);
    throw;
  }
  device_ = device;
}

Device Network::device() const {
  if (device_ == Device::GPU) return Device::GPU;  // constants of tensor layers included
  for (const Node& node : nodes_)
    for (const auto* list : {&node.layer->learnables(), &node.layer->states()})
      for (const Parameter& p : *list)
        if (p.value.defined() && p.value.device() == Device::GPU) return Device::GPU;
  return Device::CPU;
}

ForwardResult Network::forward(const Array& x, const ForwardOptions& options) const {
  requireInitialized("forward");
  const size_t n = nodes_.size();
  std::vector<size_t> wanted;
  if (options.outputs.empty()) wanted.push_back(output_);
  for (const std::string& name : options.outputs) wanted.push_back(indexOf(name));

  // Only the ancestors of the wanted layers run. Nodes are in execution order, so one pass
  // from the back marks them.
  std::vector<bool> needed(n, false);
  for (size_t w : wanted) needed[w] = true;
  for (size_t k = n; k-- > 0;)
    if (needed[k])
      for (size_t in : nodes_[k].inputs) needed[in] = true;
  if (!needed[input_]) fail("Network::forward: the requested outputs do not depend on the input");

  // An activation is dropped as soon as its last consumer has run, unless it was asked for.
  std::vector<int> usesLeft(n, 0);
  for (size_t k = 0; k < n; ++k)
    if (needed[k])
      for (size_t in : nodes_[k].inputs) ++usesLeft[in];
  for (size_t w : wanted) ++usesLeft[w];

  ForwardContext context;
  context.training = options.training;
  context.seed = options.seed;
  std::vector<Array> activations(n);
  std::vector<Array> in;
  for (size_t k = 0; k < n; ++k) {
    if (!needed[k]) continue;
    const Node& node = nodes_[k];
    in.clear();
    if (k == input_) in.push_back(x);
    for (size_t i : node.inputs) in.push_back(activations[i]);
    activations[k] = node.layer->forward(in, context);
    if (options.onActivation) options.onActivation(*node.layer, activations[k]);
    for (size_t i : node.inputs)
      if (--usesLeft[i] == 0) activations[i] = Array();
  }

  ForwardResult result;
  for (size_t w : wanted) result.outputs.push_back(activations[w]);
  result.stateUpdates = std::move(context.stateUpdates);
  return result;
}

Array Network::predict(const Array& x) const { return predict(x, {})[0]; }

std::vector<Array> Network::predict(const Array& x, const std::vector<std::string>& outputs) const {
  requireInitialized("predict");
  PauseRecording noTape;
  ForwardOptions options;
  options.outputs = outputs;
  return forward(x, options).outputs;
}

namespace {
// Width of a string as printed: the UTF-8 continuation bytes of '×' take no column.
size_t displayWidth(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string padRight(const std::string& s, size_t width) {
  size_t w = displayWidth(s);
  return w >= width ? s : s + std::string(width - w, ' ');
}

std::string withThousands(int64_t v) {
  std::string digits = std::to_string(v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}
}  // namespace

std::string Network::summary() const {
  requireInitialized("summary");
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"#", "Name", "Type", "Activations", "Learnables"});
  for (size_t k = 0; k < nodes_.size(); ++k) {
    const Node& node = nodes_[k];
    int64_t learnables = node.layer->numLearnables();
    rows.push_back({std::to_string(k + 1), node.layer->name(), node.layer->type(), node.output.str(),
                    learnables ? withThousands(learnables) : "-"});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], displayWidth(row[c]));
  std::ostringstream out;
  for (const auto& row : rows) {
    out << "  ";
    for (size_t c = 0; c < row.size(); ++c) {
      // The index and the learnable count are right-aligned, as numbers.
      bool number = c == 0 || c + 1 == row.size();
      std::string cell = number ? std::string(width[c] - displayWidth(row[c]), ' ') + row[c] : padRight(row[c], width[c]);
      out << cell << (c + 1 < row.size() ? "   " : "\n");
    }
  }
  out << "  " << nodes_.size() << " layers, " << withThousands(numLearnables()) << " learnables; input "
      << nodes_[input_].output.str() << ", output " << nodes_[output_].output.str() << "\n";
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Network& net) { return out << net.summary(); }

}  // namespace dlcam
