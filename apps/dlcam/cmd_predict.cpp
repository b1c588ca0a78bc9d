// dlcam predict MODEL INPUT: runs a model on an image or an .npy array, prepared as `dlcam
// explain` prepares it (model_input.h).
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <ostream>

#include "apps/dlcam/cli.h"
#include "apps/dlcam/json.h"
#include "apps/dlcam/model_input.h"
#include "autodiff/device.h"
#include "core/error.h"
#include "io/labels.h"
#include "io/npy.h"
#include "io/onnx/layout.h"

namespace dlcam::cli {

namespace {

constexpr int64_t kDefaultTop = 5;
// Outputs up to this size are printed in full besides their statistics.
constexpr int64_t kPrintAllLimit = 16;

// The k largest scores of each observation, largest first; NaN ranks last, ties by index.
void printTop(std::ostream& out, const std::vector<std::vector<double>>& scores, int64_t k,
              const std::vector<std::string>& labels) {
  for (size_t n = 0; n < scores.size(); ++n) {
    const std::vector<size_t> order = rankClasses(scores[n]);
    const size_t shown = std::min(static_cast<size_t>(k), order.size());
    std::vector<std::vector<std::string>> rows = {{"rank", "class", "score"}};
    if (!labels.empty()) rows[0].push_back("label");
    for (size_t r = 0; r < shown; ++r) {
      rows.push_back({std::to_string(r + 1), std::to_string(order[r]), scoreText(scores[n][order[r]])});
      if (!labels.empty()) rows.back().push_back(labels[order[r]]);
    }
    std::vector<size_t> width(rows[0].size(), 0);
    for (const auto& row : rows)
      for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    out << "observation " << n << ":\n";
    for (const auto& row : rows) {
      out << " ";
      // Numbers right-aligned; the label last and unpadded.
      for (size_t c = 0; c < row.size(); ++c)
        out << "  " << (c == 3 ? row[c] : std::string(width[c] - row[c].size(), ' ') + row[c]);
      out << "\n";
    }
  }
}

// Min, max and mean of an output, NaN left out and counted.
struct Statistics {
  double min = 0, max = 0, mean = 0;
  int64_t counted = 0, nans = 0;
};

Statistics statistics(const Tensor& values) {
  const Tensor v = values.to(DType::Float64);
  const double* data = v.data<double>();
  Statistics s;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, sum = 0;
  for (int64_t i = 0; i < v.numel(); ++i) {
    if (std::isnan(data[i])) {
      ++s.nans;
      continue;
    }
    lo = std::min(lo, data[i]);
    hi = std::max(hi, data[i]);
    sum += data[i];
  }
  s.counted = v.numel() - s.nans;
  if (s.counted > 0) {
    s.min = lo;
    s.max = hi;
    s.mean = sum / static_cast<double>(s.counted);
  }
  return s;
}

// The output's values row-major, as NumPy prints them; only for outputs of at most
// kPrintAllLimit values (empty otherwise).
std::vector<double> smallOutputValues(const Tensor& onnxOrder) {
  if (onnxOrder.numel() == 0 || onnxOrder.numel() > kPrintAllLimit) return {};
  const Tensor v = onnxOrder.to(DType::Float64);
  return std::vector<double>(v.data<double>(), v.data<double>() + v.numel());
}

void printStatistics(std::ostream& out, const Tensor& onnxOrder) {
  const Statistics s = statistics(onnxOrder);
  if (s.counted > 0)
    out << "min " << scoreText(s.min) << "  max " << scoreText(s.max) << "  mean " << scoreText(s.mean);
  else
    out << "no values";
  if (s.nans > 0) out << "  (" << s.nans << " NaN left out)";
  out << "\n";
  const std::vector<double> values = smallOutputValues(onnxOrder);
  if (!values.empty()) {
    out << "values:";
    for (double v : values) out << " " << scoreText(v);
    out << "\n";
  }
}

Json predictJson(const std::string& model, const PreparedInput& input, const std::vector<int64_t>& outShape,
                 const std::optional<std::string>& save, const Array& y, const std::vector<std::vector<double>>& scores,
                 int64_t k, const std::vector<std::string>& labels) {
  Json j = Json::object();
  j.set("model", model);
  Json in = Json::object();
  in.set("file", input.path);
  in.set("type", input.image ? "image" : "npy");
  in.set("shape", Json::array(input.onnxShape()));
  in.set("dims", onnxDimNames(input.onnxShape().size()));
  in.set("batchAdded", input.batchAdded);
  j.set("input", std::move(in));
  Json outJ = Json::object();
  outJ.set("shape", Json::array(outShape));
  outJ.set("dims", onnxDimNames(outShape.size()));
  j.set("output", std::move(outJ));
  j.set("saved", save ? Json(*save) : Json());
  if (!scores.empty()) {
    Json observations = Json::array();
    for (size_t n = 0; n < scores.size(); ++n) {
      const std::vector<size_t> order = rankClasses(scores[n]);
      Json top = Json::array();
      for (size_t r = 0; r < std::min(static_cast<size_t>(k), order.size()); ++r) {
        Json entry = Json::object();
        entry.set("class", order[r]);
        entry.set("label", labels.empty() ? Json() : Json(labels[order[r]]));
        entry.set("score", scores[n][order[r]]);
        top.push(std::move(entry));
      }
      Json o = Json::object();
      o.set("observation", n);
      o.set("top", std::move(top));
      observations.push(std::move(o));
    }
    j.set("observations", std::move(observations));
  } else {
    const Tensor onnxValues = onnx::toOnnxOrder(y).value();
    const Statistics s = statistics(onnxValues);
    Json st = Json::object();
    st.set("min", s.counted ? Json(s.min) : Json());
    st.set("max", s.counted ? Json(s.max) : Json());
    st.set("mean", s.counted ? Json(s.mean) : Json());
    st.set("nan", s.nans);
    j.set("statistics", std::move(st));
    const std::vector<double> values = smallOutputValues(onnxValues);
    if (!values.empty()) j.set("values", Json::array(values));
  }
  return j;
}

int runPredict(const ParsedArgs& args, std::ostream& out, std::ostream& err) {
  const bool verbose = args.has("verbose"), json = args.has("json");
  std::optional<int64_t> top;
  if (auto text = args.value("top")) top = positiveInt("top", *text);
  const std::optional<std::string> save = args.value("save-output");
  const std::optional<std::string> labelsPath = args.value("labels");
  const InputOptions inputOptions = parseInputOptions(args);
  checkInputOptions(args.positionals[1], inputOptions);
  if (save) {
    std::vector<NamedFile> read = {{args.positionals[0], "MODEL '" + args.positionals[0] + "'"},
                                   {args.positionals[1], "INPUT '" + args.positionals[1] + "'"}};
    if (labelsPath) read.push_back({*labelsPath, "--labels '" + *labelsPath + "'"});
    checkOutputs({{*save, "--save-output '" + *save + "'"}}, read);
  }
  const std::vector<std::string> labels = labelsPath ? readClassNames(*labelsPath) : std::vector<std::string>{};

  auto [loaded, input] = loadModelAndInput(args.positionals[0], args.positionals[1], args, inputOptions);
  if (verbose) err << "dlcam: loaded '" << loaded.path << "' in " << millisText(loaded.loadMs) << "\n";

  const Device device = placeNetwork(loaded.net, args, err, verbose);
  const Stopwatch clock;
  const Array y = toDevice(loaded.net.predict(toDevice(input.x, device)), Device::CPU);
  if (verbose)
    err << "dlcam: predict on " << shapeText(input.onnxShape()) << " took " << millisText(clock.ms()) << "\n";

  const Array onnxY = onnx::toOnnxOrder(y);
  const std::vector<int64_t> outShape(onnxY.shape().dims().rbegin(), onnxY.shape().dims().rend());
  const bool classification = isClassification(y);
  // The score table: asked for, or the default view of a classification output (always in
  // JSON, in text unless the output is only saved).
  const bool table = top || labelsPath || (classification && y.size(y.format().find('C')) > 1 && (json || !save));
  if (table && !classification)
    fail("--top and --labels need class scores along C (an N×C output); the output is ", describeShape(outShape));
  const std::vector<std::vector<double>> scores = table ? classScores(y) : std::vector<std::vector<double>>{};
  const size_t classes = static_cast<size_t>(classification ? y.size(y.format().find('C')) : 0);
  if (!labels.empty() && labels.size() != classes)
    fail("labels file '", *labelsPath, "' has ", labels.size(), " labels, but the output has ", classes, " classes");

  if (save) writeNpy(*save, onnxY.value());
  if (json) {
    out << predictJson(loaded.path, input, outShape, save, y, scores, top.value_or(kDefaultTop), labels).dump()
        << "\n";
    return 0;
  }
  const std::vector<std::string> steps = describePreparation(input, inputOptions);
  for (size_t k = 0; k < steps.size(); ++k) out << (k ? "         " : "input:   ") << steps[k] << "\n";
  out << "output:  " << describeShape(outShape) << "\n";
  if (save) out << "saved:   " << *save << "\n";
  if (table)
    printTop(out, scores, top.value_or(kDefaultTop), labels);
  else if (!save)
    printStatistics(out, onnxY.value());
  return 0;
}

}  // namespace

Command predictCommand() {
  Command c;
  c.name = "predict";
  c.summary = "Run an ONNX model on an image or an .npy array";
  c.description =
      "Runs the model on INPUT, prepared as 'dlcam explain' prepares it ('dlcam help explain'):\n"
      "an image file (PNG, JPEG, BMP, PPM...) for a 2-D image model, read with the model's\n"
      "channel count (1 or 3) and resized to its input size (or --resize) as MATLAB's imresize\n"
      "does; or an .npy array in the model's own layout (ONNX order: N×C, N×C×L, N×C×H×W or\n"
      "N×C×D×H×W, as NumPy and PyTorch hold it; with one dimension fewer it is one observation\n"
      "and a batch of 1 is added), or in another layout labelled by --input-format. Values are\n"
      "converted to float32; then x = (x·scale − mean) / std per channel (--scale, --mean, --std).\n"
      "\n"
      "Prints how the input was prepared and the input and output shapes. With --top K (or\n"
      "--labels) it lists, for each observation, the K largest scores along C with their class\n"
      "indices (0-based, as in PyTorch) or labels. Without --top and --save-output it lists the\n"
      "top 5 of a classification output (N×C) and otherwise the output's min, max and mean.\n"
      "\n"
      "With --json the same is printed as one JSON object: the input (file, type, shape) and\n"
      "output shapes, the file saved (or null) and, for a classification output, the top K\n"
      "classes of each observation (class index, label or null, score; K is 5 by default),\n"
      "else the output's statistics (min, max, mean, NaN count) and its values when it has at\n"
      "most 16.\n"
      "\n"
      "A model whose input leaves H and W open is imported for the prepared input's size.\n"
      "--input-shape gives the input's ONNX shape instead, comma-separated (N,C,H,W:\n"
      "--input-shape 1,3,224,224): it fills in the file's symbolic dimensions (the fixed ones\n"
      "must agree), and INPUT must then have that shape, with any N.";
  c.positionals = {{"MODEL", "The .onnx file"}, {"INPUT", "An image file, or an .npy array"}};
  c.options = {
      {"save-output", 0, "OUT.npy", "Write the raw output as float32 .npy, in ONNX layout"},
      {"top", 'k', "K", "List the K largest scores of each observation (default 5)"},
      {"labels", 0, "FILE", "Class names, one per line (line 1 names class 0)"},
      {"json", 0, "", "Print the result as one JSON object"},
      deviceOption(),
  };
  const std::vector<OptionSpec> input = inputOptionSpecs();
  c.options.insert(c.options.end(), input.begin(), input.end());
  c.options.push_back(inputShapeOption());
  c.run = runPredict;
  return c;
}

}  // namespace dlcam::cli
