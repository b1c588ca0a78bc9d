// dlcam info MODEL: what a model file holds and the network dlcam builds from it.
#include <ostream>

#include "apps/dlcam/cli.h"
#include "core/error.h"
#include "gradcam/gradcam.h"
#include "io/onnx/proto.h"

namespace dlcam::cli {

namespace {

// "N×3×17×15": symbolic dimensions by their name, unknown ones as "?".
std::string declaredShape(const onnx::ValueInfo& v) {
  if (!v.hasShape) return "(shape not given)";
  if (v.dims.empty()) return "scalar";
  std::string text;
  for (size_t i = 0; i < v.dims.size(); ++i) {
    const onnx::Dimension& d = v.dims[i];
    text += (i ? "×" : "") + (d.value >= 0 ? std::to_string(d.value) : d.param.empty() ? "?" : d.param);
  }
  const std::string names = onnxDimNames(v.dims.size());
  return names.empty() ? text : text + " (" + names + ")";
}

std::string valueLine(const onnx::ValueInfo& v) {
  return "'" + v.name + "' " + onnx::dataTypeName(v.elemType) + " " + declaredShape(v);
}

bool isInitializer(const onnx::Graph& g, const std::string& name) {
  for (const onnx::TensorProto& t : g.initializers)
    if (t.name == name) return true;
  return false;
}

// The layers `dlcam explain` (gradCAM) uses by default, or why it has none.
std::string gradCamLines(const Network& net) {
  GradCamLayers layers;
  try {
    layers = defaultGradCamLayers(net);
  } catch (const Error& e) {
    std::string why = e.what();
    if (why.starts_with("gradCAM: ")) why.erase(0, 9);
    return "gradcam:   no default layers: " + why + "\n";
  }
  return "gradcam:   feature layer '" + layers.featureLayer + "' " + net.outputInfo(layers.featureLayer).str() +
         "\n           reduction layer '" + layers.reductionLayer + "'\n";
}

int runInfo(const ParsedArgs& args, std::ostream& out, std::ostream& err) {
  const LoadedModel loaded = loadModel(args.positionals[0], importOptions(args));
  if (args.has("verbose"))
    err << "dlcam: loaded '" << loaded.path << "' in " << millisText(loaded.loadMs) << "\n";

  const onnx::Model& m = loaded.model;
  std::string producer = m.producerName;
  if (!m.producerVersion.empty()) producer += (producer.empty() ? "" : " ") + m.producerVersion;
  out << "file:      " << loaded.path << "\n";
  out << "producer:  " << (producer.empty() ? "(not given)" : producer) << "\n";
  out << "opset:     " << m.opsetVersion() << " (IR version " << m.irVersion << ")\n";
  for (const onnx::ValueInfo& v : m.graph.inputs)
    if (!isInitializer(m.graph, v.name)) out << "input:     " << valueLine(v) << "\n";
  const std::vector<int64_t> accepted = expectedInputShape(loaded.net);
  const std::vector<int64_t> one(accepted.begin() + 1, accepted.end());
  out << "accepts:   " << shapeText(accepted) << ", or " << shapeText(one) << " for one observation\n";
  for (const onnx::ValueInfo& v : m.graph.outputs) out << "output:    " << valueLine(v) << "\n";
  out << gradCamLines(loaded.net);
  out << "\n" << loaded.net.summary();
  return 0;
}

}  // namespace

Command infoCommand() {
  Command c;
  c.name = "info";
  c.summary = "Show an ONNX model's input, output, layers and default Grad-CAM layers";
  c.description =
      "Loads an ONNX model, builds the dlcam network from it and prints the file's producer\n"
      "and opset, its input and output (ONNX shapes; symbolic dimensions by name), the input\n"
      "shapes 'dlcam predict' accepts, the layers 'dlcam explain' uses by default (the\n"
      "Grad-CAM feature layer with its activation size, and the reduction layer) or why there\n"
      "are none, and the network's layer table with activation sizes (dlcam's labelled\n"
      "layout: S spatial, C channel, B batch, T time).\n"
      "\n"
      "A model whose input leaves its spatial dimensions symbolic needs --input-shape:\n"
      "the input's ONNX shape, comma-separated (N,C,H,W: --input-shape 1,3,224,224). It fills\n"
      "in the file's symbolic dimensions (the fixed ones must agree), and the layer table is\n"
      "for that shape.";
  c.positionals = {{"MODEL", "The .onnx file"}};
  c.options = {inputShapeOption()};
  c.run = runInfo;
  return c;
}

}  // namespace dlcam::cli
