// dlcam predict MODEL INPUT.npy: runs a model on an input in the model's own layout.
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <numeric>
#include <optional>
#include <ostream>
#include <sstream>

#include "apps/dlcam/cli.h"
#include "core/error.h"
#include "io/npy.h"
#include "io/onnx/layout.h"

namespace dlcam::cli {

namespace {

constexpr int64_t kDefaultTop = 5;
// Outputs up to this size are printed in full besides their statistics.
constexpr int64_t kPrintAllLimit = 16;

std::string describeShape(const std::vector<int64_t>& shape) {
  const std::string names = onnxDimNames(shape.size());
  return shapeText(shape) + (names.empty() ? "" : " (" + names + ")");
}

std::string number(double v) {
  std::ostringstream s;
  s << std::setprecision(6) << v;
  return s.str();
}

// A classification output: a C dimension and, besides B, only singleton dimensions.
bool isClassification(const Array& y) {
  const DimFormat& f = y.format();
  if (f.find('C') < 0) return false;
  for (int d = 0; d < y.rank(); ++d)
    if (f[d] != 'C' && f[d] != 'B' && y.size(d) != 1) return false;
  return true;
}

// The scores of a classification output: one vector of C scores per observation.
std::vector<std::vector<double>> classScores(const Array& y) {
  const int c = y.format().find('C'), b = y.format().find('B');
  const int64_t classes = y.size(c), observations = b >= 0 ? y.size(b) : 1;
  const int64_t classStride = y.shape().stride(c), observationStride = b >= 0 ? y.shape().stride(b) : 0;
  const Tensor v = y.value().to(DType::Float64);
  const double* data = v.data<double>();
  std::vector<std::vector<double>> scores(static_cast<size_t>(observations));
  for (int64_t n = 0; n < observations; ++n)
    for (int64_t k = 0; k < classes; ++k)
      scores[static_cast<size_t>(n)].push_back(data[k * classStride + n * observationStride]);
  return scores;
}

// The k largest scores of each observation, largest first; NaN ranks last, ties by index.
void printTop(std::ostream& out, const Array& y, int64_t k, const std::vector<std::string>& labels,
              const std::string& labelsPath) {
  const auto scores = classScores(y);
  const size_t classes = scores.empty() ? static_cast<size_t>(y.size(y.format().find('C'))) : scores[0].size();
  if (!labels.empty() && labels.size() != classes)
    fail("labels file '", labelsPath, "' has ", labels.size(), " labels, but the output has ", classes, " classes");
  const size_t shown = std::min(static_cast<size_t>(k), classes);
  for (size_t n = 0; n < scores.size(); ++n) {
    const std::vector<double>& s = scores[n];
    std::vector<size_t> order(classes);
    std::iota(order.begin(), order.end(), size_t{0});
    auto key = [&](size_t i) { return std::isnan(s[i]) ? -std::numeric_limits<double>::infinity() : s[i]; };
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) > key(b); });

    std::vector<std::vector<std::string>> rows = {{"rank", "class", "score"}};
    if (!labels.empty()) rows[0].push_back("label");
    for (size_t r = 0; r < shown; ++r) {
      rows.push_back({std::to_string(r + 1), std::to_string(order[r]), number(s[order[r]])});
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

void printStatistics(std::ostream& out, const Tensor& onnxOrder) {
  const Tensor v = onnxOrder.to(DType::Float64);
  const double* data = v.data<double>();
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, sum = 0;
  int64_t nans = 0;
  for (int64_t i = 0; i < v.numel(); ++i) {
    if (std::isnan(data[i])) {
      ++nans;
      continue;
    }
    lo = std::min(lo, data[i]);
    hi = std::max(hi, data[i]);
    sum += data[i];
  }
  const int64_t counted = v.numel() - nans;
  if (counted > 0)
    out << "min " << number(lo) << "  max " << number(hi) << "  mean " << number(sum / static_cast<double>(counted));
  else
    out << "no values";
  if (nans > 0) out << "  (" << nans << " NaN left out)";
  out << "\n";
  if (v.numel() > 0 && v.numel() <= kPrintAllLimit) {
    out << "values:";  // row-major, as NumPy prints them
    for (int64_t i = 0; i < v.numel(); ++i) out << " " << number(data[i]);
    out << "\n";
  }
}

int runPredict(const ParsedArgs& args, std::ostream& out, std::ostream& err) {
  const bool verbose = args.has("verbose");
  std::optional<int64_t> top;
  if (auto text = args.value("top")) top = positiveInt("top", *text);
  const std::optional<std::string> save = args.value("save-output");
  const std::optional<std::string> labelsPath = args.value("labels");
  const std::vector<std::string> labels = labelsPath ? readLabels(*labelsPath) : std::vector<std::string>{};

  const LoadedModel loaded = loadModel(args.positionals[0], importOptions(args));
  if (verbose) err << "dlcam: loaded '" << loaded.path << "' in " << millisText(loaded.loadMs) << "\n";
  const ModelInput input = readModelInput(args.positionals[1], loaded.net);

  const Stopwatch clock;
  const Array y = loaded.net.predict(input.x);
  if (verbose) err << "dlcam: predict on " << shapeText(input.onnxShape) << " took " << millisText(clock.ms()) << "\n";

  const Array onnxY = onnx::toOnnxOrder(y);
  const std::vector<int64_t> outShape(onnxY.shape().dims().rbegin(), onnxY.shape().dims().rend());
  out << "input:   " << describeShape(input.onnxShape) << (input.batchAdded ? ", a batch of 1 added" : "") << "\n";
  out << "output:  " << describeShape(outShape) << "\n";
  if (save) {
    writeNpy(*save, onnxY.value());
    out << "saved:   " << *save << "\n";
  }

  const bool classification = isClassification(y);
  if (top || labelsPath || (!save && classification && y.size(y.format().find('C')) > 1)) {
    if (!classification)
      fail("--top and --labels need class scores along C (an N×C output); the output is ", describeShape(outShape));
    printTop(out, y, top.value_or(kDefaultTop), labels, labelsPath.value_or(""));
  } else if (!save) {
    printStatistics(out, onnxY.value());
  }
  return 0;
}

}  // namespace

Command predictCommand() {
  Command c;
  c.name = "predict";
  c.summary = "Run an ONNX model on an input .npy file";
  c.description =
      "Runs the model on INPUT.npy, given in the model's own layout (ONNX order: N×C, N×C×L,\n"
      "N×C×H×W or N×C×D×H×W, as NumPy and PyTorch hold it); an input with one dimension\n"
      "fewer is one observation (a batch of 1 is added). Values are converted to float32.\n"
      "\n"
      "Prints the input and output shapes. With --top K (or --labels) it lists, for each\n"
      "observation, the K largest scores along C with their class indices (0-based, as in\n"
      "PyTorch) or labels. Without --top and --save-output it lists the top 5 of a\n"
      "classification output (N×C) and otherwise the output's min, max and mean.\n"
      "\n"
      "A model whose input leaves its spatial dimensions symbolic needs --input-shape:\n"
      "the input's ONNX shape, comma-separated (N,C,H,W: --input-shape 1,3,224,224). It fills\n"
      "in the file's symbolic dimensions (the fixed ones must agree); INPUT.npy must then have\n"
      "that shape, with any N.";
  c.positionals = {{"MODEL", "The .onnx file"}, {"INPUT.npy", "The input, in the model's layout"}};
  c.options = {
      {"save-output", 0, "OUT.npy", "Write the raw output as float32 .npy, in ONNX layout"},
      {"top", 'k', "K", "List the K largest scores of each observation (default 5)"},
      {"labels", 0, "FILE", "Class names, one per line (line 1 names class 0)"},
      inputShapeOption(),
  };
  c.run = runPredict;
  return c;
}

}  // namespace dlcam::cli
