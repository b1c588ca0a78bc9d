#include "io/onnx/importer.h"

#include <algorithm>
#include <set>

#include "core/error.h"
#include "io/onnx/layout.h"
#include "io/onnx/op_table.h"
#include "layers/input_layers.h"

namespace dlcam::onnx {

namespace {

constexpr int64_t kMinOpset = 7, kMaxOpset = 17;

// The input layer for the graph's input, chosen by rank (see layout.h).
std::shared_ptr<InputLayer> inputLayerFor(const std::string& name, const std::vector<int64_t>& shape, bool anyLength) {
  Shape size = labelledSize(shape);
  const auto& d = size.dims();
  switch (shape.size()) {
    case 2: {
      FeatureInputOptions o;
      o.channels = d[0];
      return std::make_shared<FeatureInputLayer>(name, o);
    }
    case 3: {
      SequenceInputOptions o;
      o.channels = d[0];
      o.length = anyLength ? -1 : d[2];
      return std::make_shared<SequenceInputLayer>(name, o);
    }
    case 4: {
      ImageInputOptions o;
      o.size = {d[0], d[1], d[2]};
      return std::make_shared<ImageInputLayer>(name, o);
    }
    case 5: {
      ImageInputOptions o;
      o.size = {d[0], d[1], d[2], d[3]};
      return std::make_shared<Image3dInputLayer>(name, o);
    }
    default:
      fail("ONNX input '", name, "' has shape ", Shape(shape).str(),
           "; dlcam takes inputs of rank 2 (N×C), 3 (N×C×L), 4 (N×C×H×W) or 5 (N×C×D×H×W)");
  }
}

// One layer waiting to join the network.
struct PendingLayer {
  std::shared_ptr<Layer> layer;
  std::vector<std::string> inputs;  // layer names
};

class Importer {
 public:
  Importer(const Model& model, const ImportOptions& options) : model_(model), options_(options) {}

  Network run() {
    opset_ = model_.opsetVersion();
    if (opset_ < kMinOpset || opset_ > kMaxOpset)
      fail("ONNX opset ", opset_, " is not supported: dlcam imports opsets ", kMinOpset, " to ", kMaxOpset,
           " (re-export with e.g. opset_version=17)");
    const Graph& g = model_.graph;
    if (static_cast<int64_t>(g.nodes.size()) > options_.maxNodes)
      fail("the graph has ", g.nodes.size(), " nodes; dlcam imports at most ", options_.maxNodes,
           " (ImportOptions::maxNodes)");
    for (const Node& node : g.nodes)
      for (const auto* names : {&node.inputs, &node.outputs}) tensorNames_.insert(names->begin(), names->end());
    for (const ValueInfo& v : g.inputs) tensorNames_.insert(v.name);
    for (const TensorProto& t : g.initializers) tensorNames_.insert(t.name);
    for (const TensorProto& t : g.initializers) define(t.name, constantValue(t), "initializer");
    for (const auto& [name, t] : options_.constantInputs) {
      TensorProto named = t;
      named.name = name;
      if (!values_.count(name)) define(name, constantValue(named), "bound input");
    }
    addInput();
    for (const Node& node : g.nodes) addNode(node);
    return finish();
  }

 private:
  void define(const std::string& name, Value v, const char* what) {
    if (name.empty()) fail("ONNX model: an ", what, " has no name");
    if (!values_.emplace(name, std::move(v)).second) fail("ONNX model: the value '", name, "' is defined twice");
  }

  void addInput() {
    std::vector<const ValueInfo*> inputs;
    for (const ValueInfo& in : model_.graph.inputs)
      if (!values_.count(in.name)) inputs.push_back(&in);
    if (inputs.size() != 1) {
      std::string names;
      for (const ValueInfo* in : inputs) names += (names.empty() ? "'" : ", '") + in->name + "'";
      fail("ONNX model: dlcam networks have one input, this graph has ", inputs.size(),
           inputs.empty() ? "" : " (" + names + ")");
    }
    const ValueInfo& in = *inputs[0];
    // Dimension::value is -1 for a symbolic or unknown dim; any other negative came from the file.
    for (size_t k = 0; k < in.dims.size(); ++k)
      if (in.dims[k].value < -1)
        fail("ONNX input '", in.name, "' has dimension ", k, " of size ", in.dims[k].value, ", which is negative");
    std::vector<int64_t> shape = options_.inputShape;
    bool anyLength = false;
    if (!shape.empty()) {
      checkInputShape(in);
    } else {
      if (!in.hasShape) fail("ONNX input '", in.name, "' has no shape; pass ImportOptions::inputShape");
      for (size_t k = 0; k < in.dims.size(); ++k) {
        const Dimension& d = in.dims[k];
        if (d.value > 0) {
          shape.push_back(d.value);
          continue;
        }
        // Open dims (symbolic, unknown, or 0, which exporters write for "any"): the batch runs at any size and a sequence at any length; every other size
        // decides weights' fit and output sizes, so it must be known.
        const bool length = k == 2 && in.dims.size() == 3;
        if (k != 0 && !length)
          fail("ONNX input '", in.name, "' leaves dimension ", k, d.param.empty() ? "" : " ('" + d.param + "')",
               " open; give its size with ImportOptions::inputShape (dlcam --input-shape)");
        anyLength = anyLength || length;
        shape.push_back(1);
      }
    }
    variableLength_ = anyLength;
    auto layer = inputLayerFor(in.name, shape, anyLength);
    Value v;
    v.shape = shape;
    inputShape_ = shape;
    producer_[in.name] = in.name;
    info_[in.name] = ActivationInfo{labelledSize(shape), layer->inputInfo().format};
    values_[in.name] = v;
    inputLayer_ = layer;
  }

  // The given shape must keep the file's rank and fixed sizes: it only fills in open dims.
  void checkInputShape(const ValueInfo& in) const {
    const std::vector<int64_t>& shape = options_.inputShape;
    for (int64_t d : shape)
      if (d < 0)
        fail("ImportOptions::inputShape ", shapeText(shape), " for ONNX input '", in.name, "' has a negative size");
    if (!in.hasShape) return;
    std::vector<int64_t> file;
    for (const Dimension& d : in.dims) file.push_back(d.value);
    const std::string fileText = "the file's " + shapeText(file) + " (-1 and 0: open)";
    if (shape.size() != file.size())
      fail("ImportOptions::inputShape ", shapeText(shape), " has rank ", shape.size(), ", but ONNX input '", in.name,
           "' has rank ", file.size(), ": ", fileText);
    for (size_t k = 0; k < file.size(); ++k)
      if (file[k] > 0 && file[k] != shape[k])
        fail("ImportOptions::inputShape ", shapeText(shape), " gives dimension ", k, " of ONNX input '", in.name,
             "' size ", shape[k], ", but the file fixes it to ", file[k], ": ", fileText);
  }

  // A node's layer name: its own, or "<OpType>_<n>" for an unnamed node. Layers and tensors
  // share one namespace in dlcam (net.layer() takes both), while ONNX keeps node and tensor
  // names apart: a name that is also a tensor computed elsewhere gets "_2", so that every
  // tensor name still reaches the layer that computes it.
  std::string uniqueName(const Node& node) {
    const bool generated = node.name.empty();
    std::string base = generated ? node.opType + "_" + std::to_string(++unnamed_[node.opType]) : node.name;
    auto ownOutput = [&](const std::string& name) {
      return std::find(node.outputs.begin(), node.outputs.end(), name) != node.outputs.end();
    };
    auto taken = [&](const std::string& name) {
      return usedNames_.count(name) || name == inputLayer_->name() || (tensorNames_.count(name) && !ownOutput(name));
    };
    std::string name = base;
    for (int k = 2; taken(name); ++k) name = base + "_" + std::to_string(k);
    usedNames_.insert(name);
    return name;
  }

  [[noreturn]] void failNode(const Node& node, const std::string& what) {
    fail("ONNX node '", node.name, "' (", node.opType, "): ", what);
  }

  void addNode(const Node& node) {
    if (!node.domain.empty() && node.domain != "ai.onnx")
      failNode(node, "operators of domain '" + node.domain + "' are not supported");
    const auto& table = opTable().builders;
    auto builder = table.find(node.opType);
    if (builder == table.end()) {
      std::string list;
      for (const auto& [op, fn] : table) list += (list.empty() ? "" : " ") + op;
      failNode(node, "unsupported op '" + node.opType + "'. Supported: " + list);
    }
    if (node.outputs.empty() || node.outputs[0].empty()) failNode(node, "has no output");

    std::vector<const Value*> inputs;
    for (const std::string& in : node.inputs) {
      if (in.empty()) {
        inputs.push_back(nullptr);
        continue;
      }
      auto it = values_.find(in);
      if (it == values_.end()) {
        bool later = std::any_of(model_.graph.nodes.begin(), model_.graph.nodes.end(), [&](const Node& n) {
          return std::find(n.outputs.begin(), n.outputs.end(), in) != n.outputs.end();
        });
        failNode(node, later ? "input '" + in + "' is computed by a later node (the graph has a cycle or is not "
                                                "in topological order)"
                             : "input '" + in + "' is not produced by any node, initializer or graph input");
      }
      if (unavailable_.count(in)) failNode(node, "uses '" + in + "', an output dlcam does not compute");
      inputs.push_back(&it->second);
    }

    NodeContext context(node, opset_, uniqueName(node), inputs, variableLength_);
    BuildResult result = builder->second(context);
    const std::string& out = node.outputs[0];
    for (size_t k = 1; k < node.outputs.size(); ++k)
      if (!node.outputs[k].empty()) {
        values_[node.outputs[k]] = Value{};
        unavailable_.insert(node.outputs[k]);
      }

    if (result.constant) {
      define(out, *result.constant, "node output");
      return;
    }
    if (result.passThrough >= 0) {
      const std::string& source = node.inputs.at(static_cast<size_t>(result.passThrough));
      define(out, *inputs.at(static_cast<size_t>(result.passThrough)), "node output");
      if (auto p = producer_.find(source); p != producer_.end()) {
        producer_[out] = p->second;
        info_[out] = info_[source];
      }
      return;
    }
    if (!result.layer) failNode(node, "the op builder produced nothing (internal error)");

    bool allConstant = true;
    for (int i : result.inputs) allConstant = allConstant && context.isConstant(i);
    if (allConstant) {
      fold(node, context, result);
      return;
    }
    std::vector<std::string> feeds;
    std::vector<ActivationInfo> infos;
    for (int i : result.inputs) {
      const std::string& name = node.inputs.at(static_cast<size_t>(i));
      if (context.isConstant(i))
        failNode(node, "input '" + name + "' is a constant where dlcam needs a run-time value");
      feeds.push_back(producer_.at(name));
      infos.push_back(info_.at(name));
    }
    ActivationInfo info = result.layer->inferOutput(infos);
    if (info.format != formatForRank(info.size.rank()))
      failNode(node, "produces a " + info.format.str() + " activation, which has no ONNX layout (internal error)");
    Value v;
    v.shape = onnxShape(info.size, info.format);
    define(out, v, "node output");
    producer_[out] = result.layer->name();
    info_[out] = info;
    pending_.push_back(PendingLayer{result.layer, feeds});
    pendingIndex_[result.layer->name()] = pending_.size() - 1;
  }

  // Runs a layer whose inputs are all known at load time and keeps its output as a constant.
  void fold(const Node& node, const NodeContext& context, const BuildResult& result) {
    std::vector<Array> in;
    std::vector<ActivationInfo> infos;
    for (int i : result.inputs) {
      in.push_back(fromOnnxOrder(Array(context.constant(i).value().to(DType::Float64), context.constant(i).format())));
      infos.push_back(ActivationInfo{in.back().shape(), in.back().format()});
    }
    // Sizes come from the file: check the result's before computing it.
    const ActivationInfo info = result.layer->inferOutput(infos);
    const std::vector<int64_t>& dims = info.size.dims();
    const bool onnxLabels = info.format == formatForRank(info.size.rank());
    context.checkFoldable(onnxLabels ? onnxShape(info.size, info.format)
                                     : std::vector<int64_t>(dims.rbegin(), dims.rend()));
    ForwardContext forwardContext;
    Array out = toOnnxOrder(result.layer->forward(in, forwardContext));
    // Cast folds in its builder, so the first input's type is right for every op folded here.
    const DataType type = result.inputs.empty() ? DataType::Float : context.input(result.inputs[0]).type;
    define(node.outputs[0], constantValue(out, type), "node output");
  }

  Network finish() {
    const Graph& g = model_.graph;
    if (g.outputs.size() != 1)
      fail("ONNX model: dlcam networks have one output, this graph has ", g.outputs.size());
    const std::string& out = g.outputs[0].name;
    if (!values_.count(out)) fail("ONNX model: the graph output '", out, "' is not computed by any node");
    if (!producer_.count(out))
      fail("ONNX model: the graph output '", out, "' does not depend on the input (it is a constant)");

    // Keep only the layers the output needs (exporters leave unused branches behind).
    std::set<std::string> keep;
    std::vector<std::string> stack{producer_.at(out)};
    while (!stack.empty()) {
      std::string name = stack.back();
      stack.pop_back();
      if (!keep.insert(name).second) continue;
      if (auto it = pendingIndex_.find(name); it != pendingIndex_.end())
        for (const std::string& in : pending_[it->second].inputs) stack.push_back(in);
    }

    Network net;
    net.add(inputLayer_);
    for (const PendingLayer& p : pending_)
      if (keep.count(p.layer->name())) net.add(p.layer, p.inputs);
    // Every ONNX tensor name computed by a kept layer reaches that layer (uniqueName keeps
    // layer names off other layers' tensor names).
    for (const auto& [tensor, layer] : producer_) {
      if (!keep.count(layer)) continue;
      if (!net.contains(tensor)) net.addAlias(tensor, layer);
      DLCAM_ASSERT(net.layer(tensor).name() == layer, "tensor '" + tensor + "' must reach layer '" + layer + "'");
    }
    // Infer at the file's batch size: ONNX ops may treat the batch as an ordinary axis.
    net.initialize(labelledSize(inputShape_));
    return net;
  }

  const Model& model_;
  const ImportOptions& options_;
  int64_t opset_ = 0;
  std::map<std::string, Value> values_;              // every ONNX value defined so far
  std::map<std::string, std::string> producer_;      // run-time value -> layer name
  std::map<std::string, ActivationInfo> info_;       // run-time value -> its activation
  std::set<std::string> unavailable_;                // secondary outputs dlcam does not compute
  std::set<std::string> usedNames_;
  std::set<std::string> tensorNames_;                // every tensor name the graph mentions
  std::map<std::string, int> unnamed_;
  std::shared_ptr<InputLayer> inputLayer_;
  std::vector<int64_t> inputShape_;  // ONNX order, open dims as 1
  bool variableLength_ = false;      // the input is a sequence of any length
  std::vector<PendingLayer> pending_;
  std::map<std::string, size_t> pendingIndex_;
};

}  // namespace

Network importNetwork(const Model& model, const ImportOptions& options) { return Importer(model, options).run(); }

Network importNetwork(const std::string& path, const ImportOptions& options) {
  return importNetwork(loadModel(path), options);
}

std::vector<std::string> supportedOps() {
  std::vector<std::string> ops;
  for (const auto& [op, builder] : opTable().builders) ops.push_back(op);
  return ops;
}

}  // namespace dlcam::onnx
