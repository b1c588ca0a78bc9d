// The exporter's driver: the graph input and the input layers' normalisation, then one
// LayerWriter per layer in execution order (the layer families live in exporter_layers.cpp
// and exporter_tensor.cpp).
#include "io/onnx/exporter.h"

#include <algorithm>
#include <map>

#include "io/onnx/exporter_writer.h"
#include "io/onnx/layout.h"
#include "kernels/cpu/layout.h"
#include "layers/input_layers.h"

namespace dlcam::onnx {

namespace writer {

std::string GraphState::unique(const std::string& base) {
  std::string name = base;
  for (int k = 2; names.count(name); ++k) name = base + "_" + std::to_string(k);
  names.insert(name);
  return name;
}

LayerWriter::LayerWriter(GraphState& graph, const Layer& layer, std::vector<std::string> inputs,
                         std::vector<ActivationInfo> inputInfo, ActivationInfo outputInfo)
    : graph_(graph),
      layer_(layer),
      inputs_(std::move(inputs)),
      inputInfo_(std::move(inputInfo)),
      outputInfo_(std::move(outputInfo)) {}

std::vector<int64_t> LayerWriter::inputShape(int i) const {
  const ActivationInfo& info = inputInfo(i);
  return onnxShape(info.size, info.format);
}

bool LayerWriter::dynamicLength(int i) const { return graph_.anyLength && inputInfo(i).format.find('T') >= 0; }

std::vector<int64_t> LayerWriter::outputShape() const { return onnxShape(outputInfo_.size, outputInfo_.format); }

std::string LayerWriter::constant(const std::string& what, std::vector<int64_t> dims, std::span<const float> values) {
  TensorProto t = makeTensor(graph_.unique(layer_.name() + "/" + what), std::move(dims), values);
  std::string name = t.name;
  graph_.graph.initializers.push_back(std::move(t));
  return name;
}

std::string LayerWriter::scalar(const std::string& what, double value) {
  const float v = static_cast<float>(value);
  return constant(what, {}, std::span<const float>(&v, 1));
}

std::string LayerWriter::ints(const std::string& what, std::vector<int64_t> values) {
  const int64_t n = static_cast<int64_t>(values.size());
  return ints(what, std::move(values), {n});
}

std::string LayerWriter::ints(const std::string& what, std::vector<int64_t> values, std::vector<int64_t> dims) {
  TensorProto t = makeTensor(graph_.unique(layer_.name() + "/" + what), std::move(dims), std::span<const int64_t>(values));
  std::string name = t.name;
  graph_.graph.initializers.push_back(std::move(t));
  return name;
}

std::string LayerWriter::addNode(const std::string& name, const std::string& op, std::vector<std::string> inputs,
                                 std::vector<Attribute> attributes) {
  Node n;
  n.name = name;
  n.opType = op;
  n.inputs = std::move(inputs);
  n.outputs = {name};
  n.attributes = std::move(attributes);
  graph_.graph.nodes.push_back(std::move(n));
  return name;
}

std::string LayerWriter::node(const std::string& op, std::vector<std::string> inputs, std::vector<Attribute> attributes) {
  return addNode(graph_.unique(layer_.name() + "/" + op), op, std::move(inputs), std::move(attributes));
}

void LayerWriter::output(const std::string& op, std::vector<std::string> inputs, std::vector<Attribute> attributes) {
  DLCAM_ASSERT(result_.empty(), "layer '", layer_.name(), "' written twice");
  // The layer's name was reserved for it before any layer was written.
  result_ = addNode(layer_.name(), op, std::move(inputs), std::move(attributes));
}

void LayerWriter::fail(const std::string& what) const {
  dlcam::fail("ONNX export: layer '", layer_.name(), "' (", layer_.type(), "): ", what);
}

std::vector<float> permutedValues(const Tensor& t, const std::vector<int>& order) {
  const Tensor host = t.to(Device::CPU);  // a network moved to the GPU exports too
  Tensor p = order.empty() ? host.to(DType::Float32) : kernels::cpu::permute(host, order).to(DType::Float32);
  const float* v = p.data<float>();
  return std::vector<float>(v, v + p.numel());
}

}  // namespace writer

namespace {

using writer::GraphState;
using writer::LayerWriter;

// The statistic of an input normalisation as ONNX dims and values that broadcast against the
// N×C×… input: one value ({1}), per channel ({C, 1, …}) or, for image input, one per element
// of an observation ({1, C, H, W}). `declared` is the input layer's declared activation.
struct Statistic {
  std::vector<int64_t> dims;
  std::vector<double> values;
};

Statistic statisticOf(const Array& stat, const ActivationInfo& declared) {
  const DimFormat& f = declared.format;
  const int c = f.find('C');
  const int64_t channels = declared.size[c];
  Tensor v = stat.value().to(DType::Float64);
  Statistic s;
  if (!f.spatialDims().empty() && stat.numel() != 1 && stat.numel() != channels) {
    // One value per element, stored like an observation (S… C, column-major).
    Shape one = declared.size;
    const DimFormat onnxFormat = formatForRank(one.rank());
    Array a = toOnnxOrder(Array(v.reshaped(one), onnxFormat));
    s.dims = onnxShape(one, onnxFormat);
    const double* p = a.value().data<double>();
    s.values.assign(p, p + a.numel());
    return s;
  }
  const double* p = v.data<double>();
  s.values.assign(p, p + v.numel());
  if (stat.numel() == 1) {
    s.dims = {1};
  } else {
    s.dims.assign(static_cast<size_t>(declared.size.rank() - 1), 1);
    s.dims[0] = channels;
  }
  return s;
}

// A statistic at the full size of one observation (fullDims = {1, C, …}), so that two of them
// combine elementwise.
Statistic expanded(const Statistic& s, const std::vector<int64_t>& fullDims) {
  if (s.dims == fullDims) return s;
  Statistic out;
  out.dims = fullDims;
  int64_t n = 1;
  for (int64_t d : fullDims) n *= d;
  const int64_t perChannel = n / fullDims[1];
  for (int64_t i = 0; i < n; ++i)
    out.values.push_back(s.values.size() == 1 ? s.values[0] : s.values[static_cast<size_t>(i / perChannel)]);
  return out;
}

std::vector<float> toFloats(const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); }

// The graph input and the normalisation nodes; returns the value holding the input layer's
// activation.
std::string writeInput(GraphState& g, const InputLayer& layer, const ExportOptions& options) {
  const ActivationInfo declared = layer.inputInfo();
  if (declared.format != formatForRank(declared.size.rank()))
    fail("ONNX export: input layer '", layer.name(), "' (", layer.type(), "): a ", declared.format.str(),
         " input has no ONNX layout");
  ValueInfo in;
  in.name = layer.name();
  in.elemType = DataType::Float;
  in.hasShape = true;
  for (int64_t d : onnxShape(declared.size, declared.format)) in.dims.push_back(Dimension{d, ""});
  in.dims[0] = Dimension{-1, options.batchName};
  if (const auto* seq = dynamic_cast<const SequenceInputLayer*>(&layer); seq && seq->length() < 0) {
    in.dims[2] = Dimension{-1, "T"};
    g.anyLength = true;
  }
  g.graph.inputs.push_back(in);

  const auto* normalizing = dynamic_cast<const NormalizingInputLayer*>(&layer);
  if (!normalizing || normalizing->normalization().kind == Normalization::None) return layer.name();
  const InputNormalization& n = normalizing->normalization();
  LayerWriter w(g, layer, {layer.name()}, {declared}, declared);
  auto constant = [&](const char* what, const Statistic& s) {
    const std::vector<float> v = toFloats(s.values);
    return w.constant(what, s.dims, v);
  };
  std::string x = layer.name();
  switch (n.kind) {
    case Normalization::ZeroCenter:
      return w.node("Sub", {x, constant("Mean", statisticOf(n.mean, declared))});
    case Normalization::ZScore:
      x = w.node("Sub", {x, constant("Mean", statisticOf(n.mean, declared))});
      return w.node("Div", {x, constant("StandardDeviation", statisticOf(n.standardDeviation, declared))});
    case Normalization::RescaleZeroOne: {
      Statistic lo = statisticOf(n.min, declared), hi = statisticOf(n.max, declared);
      if (lo.dims != hi.dims) {
        const std::vector<int64_t> full = onnxShape(declared.size, declared.format);
        lo = expanded(lo, full);
        hi = expanded(hi, full);
      }
      Statistic range = hi;
      for (size_t i = 0; i < range.values.size(); ++i) range.values[i] -= lo.values[i];
      x = w.node("Sub", {x, constant("Min", lo)});
      return w.node("Div", {x, constant("Range", range)});
    }
    case Normalization::None: break;
  }
  return layer.name();
}

// The type and shape of a layer's activation: B is the symbolic batch, and T is unknown for
// a sequence of any length. Written for every activation, so that ONNX's shape inference
// (onnx.checker with full_check) verifies each one against dlcam's.
ValueInfo valueInfoOf(const std::string& name, const ActivationInfo& info, bool anyLength,
                      const ExportOptions& options) {
  ValueInfo v;
  v.name = name;
  v.elemType = DataType::Float;
  v.hasShape = true;
  for (int64_t d : onnxShape(info.size, info.format)) v.dims.push_back(Dimension{d, ""});
  if (info.format.count('B') == 1) v.dims[0] = Dimension{-1, options.batchName};
  if (anyLength && info.format.count('T') == 1) v.dims[2] = Dimension{};
  return v;
}

}  // namespace

Model toOnnxModel(const Network& net, const ExportOptions& options) {
  if (!net.initialized()) fail("ONNX export: the network is not initialized (call initialize() first)");
  if (options.opset != 17) fail("ONNX export: opset ", options.opset, " is not supported; dlcam writes opset 17");
  if (options.batchName.empty()) fail("ONNX export: the batch dimension needs a name, got an empty batchName");

  Model model;
  model.irVersion = 8;  // the IR version of opset 17 (ONNX 1.12)
  model.opsets = {OpsetId{"", options.opset}};
  model.producerName = options.producer;
  GraphState g;
  g.graph.name = "dlcam";
  // Layer names are the final nodes' names: reserve them before helpers pick theirs.
  for (size_t i = 0; i < net.numLayers(); ++i) g.names.insert(net.layer(i).name());

  std::map<std::string, std::string> valueOf;  // layer name -> ONNX value of its activation
  for (size_t i = 0; i < net.numLayers(); ++i) {
    const Layer& layer = net.layer(i);
    if (const auto* input = dynamic_cast<const InputLayer*>(&layer)) {
      valueOf[layer.name()] = writeInput(g, *input, options);
      continue;
    }
    std::vector<std::string> inputs;
    std::vector<ActivationInfo> infos;
    for (const std::string& source : net.inputsOf(layer.name())) {
      inputs.push_back(valueOf.at(source));
      infos.push_back(net.outputInfo(source));
    }
    const ActivationInfo& out = net.outputInfo(layer.name());
    LayerWriter w(g, layer, inputs, infos, out);
    if (out.format != formatForRank(out.size.rank()))
      w.fail("its " + out.format.str() + " output has no ONNX layout (expected " +
             formatForRank(out.size.rank()).str() + " for rank " + std::to_string(out.size.rank()) + ")");
    if (!writer::writeNeuralLayer(w) && !writer::writeTensorLayer(w))
      w.fail("no ONNX export for this layer class");
    DLCAM_ASSERT(!w.result().empty(), "the writer of layer '", layer.name(), "' wrote no output node");
    valueOf[layer.name()] = w.result();
    if (&layer != &net.outputLayer()) g.graph.valueInfo.push_back(valueInfoOf(w.result(), out, g.anyLength, options));
  }

  const Layer& last = net.outputLayer();
  g.graph.outputs.push_back(valueInfoOf(valueOf.at(last.name()), net.outputInfo(last.name()), g.anyLength, options));
  model.graph = std::move(g.graph);
  return model;
}

void exportNetwork(const Network& net, const std::string& path, const ExportOptions& options) {
  saveModel(toOnnxModel(net, options), path);
}

}  // namespace dlcam::onnx
