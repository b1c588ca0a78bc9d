// dlcam explain MODEL INPUT: the Grad-CAM map of a prediction, as a picture, an .npy array and
// a report (gradcam/gradcam.h, MATLAB's gradCAM).
//
// Everything is computed before anything is written: the input is prepared
// (explain_input.h), gradCAM runs once for every target and observation, the pictures are
// drawn; then the files are written (each atomically), and a failed write removes the files
// this run wrote before it; then the report goes to stdout.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <optional>
#include <ostream>
#include <set>
#include <string_view>

#include "apps/dlcam/cli.h"
#include "apps/dlcam/explain_input.h"
#include "apps/dlcam/json.h"
#include "autodiff/resize.h"
#include "autodiff/shape_ops.h"
#include "core/error.h"
#include "gradcam/gradcam.h"
#include "gradcam/picture.h"
#include "io/labels.h"
#include "io/npy.h"

namespace dlcam::cli {

namespace {

namespace fs = std::filesystem;

struct ExplainOptions {
  InputOptions input;
  GradCamOptions gradcam;
  OverlayOptions overlay;
  std::vector<std::pair<bool, std::string>> targets;  // (is a label, text), in command-line order
  std::optional<std::string> out, saveMap, labelsPath;
  bool json = false, verbose = false;
};

double numberOption(const std::string& option, const std::string& text) {
  double v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(v))
    throw UsageError("--" + option + " expects a number, got '" + text + "'");
  return v;
}

std::vector<double> numberList(const std::string& option, const std::string& text) {
  std::vector<double> values;
  for (const std::string& item : splitCommas(text)) values.push_back(numberOption(option, item));
  return values;
}

// "1/255" or "0.00392157".
double scaleOption(const std::string& text) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos) return numberOption("scale", text);
  const double num = numberOption("scale", text.substr(0, slash)), den = numberOption("scale", text.substr(slash + 1));
  if (den == 0) throw UsageError("--scale expects a number or a fraction such as 1/255, got '" + text + "'");
  return num / den;
}

// "224x224" (or "224×224").
std::vector<int64_t> sizeOption(const std::string& text) {
  for (const std::string separator : {"x", "X", "×"}) {
    const size_t at = text.find(separator);
    if (at == std::string::npos) continue;
    try {
      return {positiveInt("resize", text.substr(0, at)), positiveInt("resize", text.substr(at + separator.size()))};
    } catch (const UsageError&) {
      break;
    }
  }
  throw UsageError("--resize expects HxW (height x width, e.g. 224x224), got '" + text + "'");
}

// parse(text), with a dlcam::Error (a value it does not know) turned into a usage error
// naming the option and the values it takes.
template <typename Parse>
auto parseValue(const std::string& option, const std::string& accepted, const std::string& text, Parse parse) {
  try {
    return parse(text);
  } catch (const Error&) {
    throw UsageError("--" + option + " expects " + accepted + ", got '" + text + "'");
  }
}

ExplainOptions parseOptions(const ParsedArgs& args) {
  ExplainOptions o;
  o.json = args.has("json");
  o.verbose = args.has("verbose");
  o.out = args.value("out");
  o.saveMap = args.value("save-map");
  o.labelsPath = args.value("labels");
  for (const auto& [option, text] : args.given) {
    if (option != "class" && option != "label") continue;
    for (const std::string& item : splitCommas(text)) {
      if (item.empty()) throw UsageError("--" + option + " has an empty item in '" + text + "'");
      if (option == "class") {
        int64_t index = -1;
        const char* end = item.data() + item.size();
        auto [ptr, ec] = std::from_chars(item.data(), end, index);
        if (ec != std::errc() || ptr != end || index < 0)
          throw UsageError("--class expects class indices (0-based integers), got '" + item + "'");
      }
      o.targets.emplace_back(option == "label", item);
    }
  }
  if (auto v = args.value("feature-layer")) o.gradcam.featureLayer = *v;
  if (auto v = args.value("reduction-layer")) o.gradcam.reductionLayer = *v;
  if (auto v = args.value("upsampling"))
    o.gradcam.upsampling = parseValue("upsampling", "bicubic, nearest or none", *v, parseUpsampling);
  if (auto v = args.value("device"))
    o.gradcam.executionEnvironment = parseValue("device", "auto, cpu or gpu", *v, parseExecutionEnvironment);
  if (auto v = args.value("colormap"))
    o.overlay.colormap = parseValue("colormap", "jet, turbo, viridis or gray", *v, parseColormap);
  if (auto v = args.value("alpha")) {
    o.overlay.alpha = numberOption("alpha", *v);
    if (o.overlay.alpha < 0 || o.overlay.alpha > 1)
      throw UsageError("--alpha expects a number from 0 to 1, got '" + *v + "'");
  }
  if (auto v = args.value("input-format")) {
    parseValue("input-format", "dimension labels S, C, B and T (at most one each of C, B, T): SSC, CT...", *v,
               [](const std::string& text) { return DimFormat(text); });
    o.input.inputFormat = *v;
  }
  if (auto v = args.value("resize")) o.input.resize = sizeOption(*v);
  if (auto v = args.value("scale")) {
    o.input.scale = scaleOption(*v);
    o.input.scaleText = *v;
  }
  if (auto v = args.value("mean")) o.input.mean = numberList("mean", *v);
  if (auto v = args.value("std")) {
    o.input.std = numberList("std", *v);
    for (double s : o.input.std)
      if (s <= 0) throw UsageError("--std expects positive numbers, got '" + *v + "'");
  }
  return o;
}

// The file's input dimensions, −1 where open (a dim_value of 0 counts as open, as the
// importer reads it); empty when the file gives no shape.
std::vector<int64_t> declaredDims(const onnx::ValueInfo& input) {
  std::vector<int64_t> dims;
  if (!input.hasShape) return dims;
  for (const onnx::Dimension& d : input.dims) dims.push_back(d.value > 0 ? d.value : -1);
  return dims;
}

// The classes to explain, as gradCAM takes them: the given indices and labels (resolved
// through the labels file) in command-line order, or each observation's predicted class.
CamTarget resolveTargets(const ExplainOptions& o, const std::vector<std::string>& names) {
  if (o.targets.empty()) return CamTarget::predicted();
  std::vector<int64_t> indices;
  for (const auto& [isLabel, text] : o.targets) {
    if (!isLabel) {
      indices.push_back(std::stoll(text));
    } else {
      auto it = std::find(names.begin(), names.end(), text);
      if (it == names.end())
        fail("unknown class label '", text, "': labels file '", *o.labelsPath, "' (", names.size(),
             " classes) does not list it", didYouMean(text, names));
      indices.push_back(it - names.begin());
    }
    if (std::count(indices.begin(), indices.end(), indices.back()) > 1)
      throw UsageError(detail::cat("class ", indices.back(), " is asked for twice"));
  }
  return CamTarget(indices);
}

std::string labelOf(int64_t classIndex, const std::vector<std::string>& names) {
  return classIndex >= 0 && classIndex < static_cast<int64_t>(names.size()) ? names[static_cast<size_t>(classIndex)]
                                                                             : "";
}

// "3 (cat)" or "3".
std::string classText(int64_t classIndex, const std::vector<std::string>& names) {
  const std::string label = labelOf(classIndex, names);
  return std::to_string(classIndex) + (label.empty() ? "" : " (" + label + ")");
}

// What one run computed: the result, its layout and the pictures, before anything is written.
struct Explanation {
  GradCamResult result;
  ActivationInfo feature;              // the feature layer's activation for this input
  std::vector<int64_t> mapSize;        // one map: h×w, h×w×d or 1×t
  int64_t targets = 1, observations = 1;
  Tensor savedMap;                     // MATLAB's shape: trailing B, then N, dropped when 1
  struct Picture {
    std::string path;
    Image image;
  };
  std::vector<Picture> pictures;  // target n of observation b at n + targets·b, as the map's
};

// One map (target n, observation b) of gradCAM's h×w×N×B (h×w×d×N×B, 1×t×N×B) result.
Tensor mapSlice(const Explanation& e, int64_t n, int64_t b) {
  const Tensor& map = e.result.map;
  Tensor slice(Shape(e.mapSize));
  const int64_t count = slice.numel(), offset = (n + e.targets * b) * count;
  std::copy_n(map.data<float>() + offset, count, slice.data<float>());
  return slice;
}

// Observation b of the network's input (display values), without its B dimension.
Tensor observation(const Array& x, int64_t b) {
  const int batch = x.format().find('B');
  std::vector<int64_t> dims;
  for (int d = 0; d < x.rank(); ++d)
    if (d != batch) dims.push_back(x.size(d));
  return index(x, batch, {b}).value().reshaped(Shape(dims));
}

// An .npy image as a picture: 3 channels as RGB, others averaged to gray, rescaled to 0…255.
Image npyImage(const Tensor& hwc) {
  const int64_t h = hwc.shape()[0], w = hwc.shape()[1], c = hwc.shape()[2];
  Tensor shown = hwc;
  if (c != 3) {
    shown = Tensor(Shape{h, w});
    const Tensor v = hwc.to(DType::Float32);
    for (int64_t i = 0; i < h * w; ++i) {
      double sum = 0;
      for (int64_t k = 0; k < c; ++k) sum += v.data<float>()[i + h * w * k];
      shown.data<float>()[i] = static_cast<float>(sum / static_cast<double>(c));
    }
  }
  Tensor unit = rescaleToUnit(shown);
  for (int64_t i = 0; i < unit.numel(); ++i) unit.data<float>()[i] *= 255.0f;
  return tensorToImage(unit);
}

// The map at the data's size for a picture (it differs with --upsampling none).
Tensor mapAtSize(const Tensor& map, const std::vector<int64_t>& size, const char* format) {
  if (map.shape().dims() == size) return map;
  std::vector<int64_t> resized(size);
  if (std::string_view(format) == "CT") resized.erase(resized.begin());  // a 1×t sequence map: resize T only
  return resize(Array(map, format), resized, {.method = ResizeMethod::Cubic}).value().reshaped(Shape(size));
}

// "dir/x.png" + "-class3" → "dir/x-class3.png".
std::string withSuffix(const std::string& path, const std::string& suffix) {
  const fs::path p(path);
  return (p.parent_path() / (p.stem().string() + suffix + p.extension().string())).string();
}

void drawPictures(Explanation& e, const PreparedInput& input, const ExplainOptions& o,
                  const std::vector<std::string>& names) {
  const std::string base = o.out.value_or(fs::path(input.path).stem().string() + "-gradcam.png");
  const DimFormat& format = input.x.format();
  for (int64_t b = 0; b < e.observations; ++b) {
    const Tensor data = input.image ? Tensor() : observation(input.display, b);
    for (int64_t n = 0; n < e.targets; ++n) {
      const int64_t cls = e.result.classes[static_cast<size_t>(n + e.targets * b)];
      Explanation::Picture p;
      p.path = withSuffix(base, (e.targets > 1 ? "-class" + std::to_string(cls) : "") +
                                    (e.observations > 1 ? "-obs" + std::to_string(b) : ""));
      const Tensor map = mapSlice(e, n, b);
      if (format.str() == "SSCB") {
        p.image = overlay(input.image ? input.original : npyImage(data), map, o.overlay);
      } else if (format.str() == "SSSCB") {
        const std::vector<int64_t> size(data.shape().dims().begin(), data.shape().dims().begin() + 3);
        p.image = volumeMontage(data, mapAtSize(map, size, "SSS"), {.overlay = o.overlay});
      } else {
        const std::vector<int64_t> size = {1, data.shape()[1]};  // data: c×t
        p.image = sequenceFigure(data, mapAtSize(map, size, "CT"),
                                 {.title = "Grad-CAM of class " + classText(cls, names) + ", observation " +
                                           std::to_string(b)});
      }
      e.pictures.push_back(std::move(p));
    }
  }
}

Explanation explain(const Network& net, const PreparedInput& input, const CamTarget& target, const ExplainOptions& o,
                    const std::vector<std::string>& names) {
  Explanation e;
  e.result = gradCAM(net, input.x, target, o.gradcam);
  const Tensor& map = e.result.map;
  e.mapSize.assign(map.shape().dims().begin(), map.shape().dims().end() - 2);
  e.targets = map.shape()[map.rank() - 2];
  e.observations = map.shape()[map.rank() - 1];

  const std::vector<ActivationInfo> activations = net.inferActivations(input.x.shape());
  for (size_t k = 0; k < net.numLayers(); ++k)
    if (net.layer(k).name() == e.result.featureLayer) e.feature = activations[k];

  std::vector<int64_t> saved = map.shape().dims();
  if (saved.back() == 1) {
    saved.pop_back();
    if (saved.back() == 1) saved.pop_back();
  }
  e.savedMap = map.reshaped(Shape(saved));
  drawPictures(e, input, o, names);
  return e;
}

// Writes the map and the pictures; when a write fails, removes the files written before it.
std::vector<std::string> writeFiles(const Explanation& e, const ExplainOptions& o) {
  std::set<std::string> paths;
  for (const auto& p : e.pictures) paths.insert(p.path);
  if (o.saveMap && paths.count(*o.saveMap)) fail("--save-map '", *o.saveMap, "' is also the picture's file name");

  std::vector<std::string> written;
  try {
    if (o.saveMap) {
      writeNpy(*o.saveMap, e.savedMap, {.indexing = NpyIndexing::Same});
      written.push_back(*o.saveMap);
    }
    for (const auto& p : e.pictures) {
      writePng(p.path, p.image);
      written.push_back(p.path);
    }
  } catch (...) {
    for (const std::string& path : written) {
      std::error_code ec;
      fs::remove(path, ec);
    }
    throw;
  }
  return written;
}

// The network's own prediction for observation b: the class with the largest output score,
// when the output holds class scores.
struct Prediction {
  bool known = false;
  int64_t classIndex = -1;
  double score = 0;
  bool singleOutput = false;  // one channel: a regression value rather than a class score
};

std::vector<Prediction> predictions(const Array& output) {
  if (!isClassification(output)) return {};
  std::vector<Prediction> all;
  for (const std::vector<double>& s : classScores(output)) {
    Prediction p;
    p.known = true;
    p.classIndex = static_cast<int64_t>(rankClasses(s).front());
    p.score = s[static_cast<size_t>(p.classIndex)];
    p.singleOutput = s.size() == 1;
    all.push_back(p);
  }
  return all;
}

// "the 3×3 feature map", "the feature map's 23 time steps".
std::string featureMapText(const ActivationInfo& feature) {
  const int t = feature.format.find('T');
  if (feature.format.count('S') == 0 && t >= 0)
    return detail::cat("the feature map's ", feature.size[t], " time steps");
  std::vector<int64_t> sizes;
  for (int d : feature.format.spatialDims()) sizes.push_back(feature.size[d]);
  return "the " + detail::sizesText(sizes) + " feature map";
}

std::string mapDims(const DimFormat& format) {
  return format.str() == "SSCB" ? "h×w" : format.str() == "SSSCB" ? "h×w×d" : "1×t";
}

void printText(std::ostream& out, const std::string& model, const PreparedInput& input, const Explanation& e,
               const ExplainOptions& o, const std::vector<std::string>& names,
               const std::vector<std::string>& written) {
  const GradCamResult& r = e.result;
  out << "model:      " << model << "\n";
  const std::vector<std::string> steps = describePreparation(input, o.input);
  for (size_t k = 0; k < steps.size(); ++k) out << (k ? "            " : "input:      ") << steps[k] << "\n";
  out << "layers:     feature '" << r.featureLayer << "' " << e.feature.str() << "\n";
  out << "            reduction '" << r.reductionLayer << "'\n";
  out << "map:        " << detail::sizesText(e.mapSize) << " (" << mapDims(input.x.format()) << ") per class and "
      << "observation, "
      << (o.gradcam.upsampling == Upsampling::None
              ? "the feature map's size (not upsampled)"
              : upsamplingName(o.gradcam.upsampling) + " upsampling of " + featureMapText(e.feature))
      << "\n";
  const std::vector<Prediction> predicted = predictions(r.output);
  for (int64_t b = 0; b < e.observations; ++b) {
    out << "observation " << b << ":\n";
    if (b < static_cast<int64_t>(predicted.size())) {
      const Prediction& p = predicted[static_cast<size_t>(b)];
      if (p.singleOutput)
        out << "  output     " << scoreText(p.score) << "\n";
      else
        out << "  predicted  class " << classText(p.classIndex, names) << ", score " << scoreText(p.score) << "\n";
    }
    for (int64_t n = 0; n < e.targets; ++n) {
      const size_t k = static_cast<size_t>(n + e.targets * b);
      out << "  explained  class " << classText(r.classes[k], names) << ", score " << scoreText(r.scores[k]) << "\n";
    }
  }
  for (size_t k = 0; k < written.size(); ++k) out << (k ? "            " : "wrote:      ") << written[k] << "\n";
}

Json jsonReport(const std::string& model, const PreparedInput& input, const Explanation& e, const ExplainOptions& o,
                const std::vector<std::string>& names, const std::vector<std::string>& written) {
  const GradCamResult& r = e.result;
  auto labelJson = [&](int64_t cls) { return labelOf(cls, names).empty() ? Json() : Json(labelOf(cls, names)); };
  Json j = Json::object();
  j.set("model", model);
  Json in = Json::object();
  in.set("file", input.path);
  in.set("type", input.image ? "image" : "npy");
  in.set("storedShape", Json::array(input.storedShape));
  in.set("inputFormat", o.input.inputFormat ? Json(*o.input.inputFormat) : Json());
  in.set("resized", input.resized);
  in.set("scale", o.input.scale);
  in.set("mean", Json::array(o.input.mean));
  in.set("std", Json::array(o.input.std));
  in.set("shape", Json::array(input.onnxShape()));
  in.set("dims", onnxDimNames(input.onnxShape().size()));
  j.set("input", std::move(in));
  j.set("featureLayer", r.featureLayer);
  j.set("featureSize", Json::array(e.feature.size.dims()));
  j.set("featureFormat", e.feature.format.str());
  j.set("reductionLayer", r.reductionLayer);
  j.set("upsampling", upsamplingName(o.gradcam.upsampling));
  j.set("mapSize", Json::array(e.mapSize));
  j.set("mapDims", mapDims(input.x.format()));
  const std::vector<Prediction> predicted = predictions(r.output);
  Json observations = Json::array();
  for (int64_t b = 0; b < e.observations; ++b) {
    Json ob = Json::object();
    ob.set("observation", b);
    if (b < static_cast<int64_t>(predicted.size())) {
      const Prediction& p = predicted[static_cast<size_t>(b)];
      Json pj = Json::object();
      pj.set("class", p.classIndex);
      pj.set("label", labelJson(p.classIndex));
      pj.set("score", p.score);
      ob.set("predicted", std::move(pj));
    } else {
      ob.set("predicted", Json());
    }
    Json explained = Json::array();
    for (int64_t n = 0; n < e.targets; ++n) {
      const size_t k = static_cast<size_t>(n + e.targets * b);
      Json x = Json::object();
      x.set("class", r.classes[k]);
      x.set("label", labelJson(r.classes[k]));
      x.set("score", r.scores[k]);
      x.set("picture", e.pictures[k].path);
      explained.push(std::move(x));
    }
    ob.set("explained", std::move(explained));
    observations.push(std::move(ob));
  }
  j.set("observations", std::move(observations));
  j.set("map", o.saveMap ? Json(*o.saveMap) : Json());
  j.set("files", Json::array(written));
  return j;
}

int runExplain(const ParsedArgs& args, std::ostream& out, std::ostream& err) {
  const ExplainOptions o = parseOptions(args);
  const std::string& inputPath = args.positionals[1];
  const std::vector<std::string> names = o.labelsPath ? readClassNames(*o.labelsPath) : std::vector<std::string>{};
  for (const auto& [isLabel, text] : o.targets)
    if (isLabel && names.empty()) fail("--label '", text, "' needs --labels FILE: the class names to look it up in");

  // The input is prepared from the file's declared input, before the import, so that a model
  // with open H and W can be imported for the input's size.
  LoadedModel loaded = readModel(args.positionals[0]);
  onnx::ImportOptions importOpts = importOptions(args);
  std::vector<int64_t> declared =
      importOpts.inputShape.empty() ? declaredDims(declaredInput(loaded)) : importOpts.inputShape;
  if (declared.empty()) {
    importModel(loaded, importOpts);
    declared = expectedInputShape(loaded.net);
  }
  const PreparedInput input = prepareInput(inputPath, declared, o.input);
  if (!loaded.net.initialized()) {
    if (importOpts.inputShape.empty()) importOpts.inputShape = inputShapeFromInput(declared, input);
    importModel(loaded, importOpts);
  }
  if (o.verbose) err << "dlcam: loaded '" << loaded.path << "' in " << millisText(loaded.loadMs) << "\n";
  checkFits(input, loaded.net, o.input);
  if (!names.empty()) {
    try {
      loaded.net.setClassNames(names);
    } catch (const Error& e) {
      fail("labels file '", *o.labelsPath, "' does not fit the model: ", e.what());
    }
  }

  const Stopwatch clock;
  const Explanation e = explain(loaded.net, input, resolveTargets(o, names), o, names);
  if (o.verbose)
    err << "dlcam: gradCAM on " << shapeText(input.onnxShape()) << " and pictures took " << millisText(clock.ms())
        << "\n";
  const std::vector<std::string> written = writeFiles(e, o);
  if (o.json)
    out << jsonReport(loaded.path, input, e, o, names, written).dump() << "\n";
  else
    printText(out, loaded.path, input, e, o, names, written);
  return 0;
}

}  // namespace

Command explainCommand() {
  Command c;
  c.name = "explain";
  c.summary = "Explain a prediction with Grad-CAM: a picture, the map and a report";
  c.description =
      "Computes the Grad-CAM map of the model's prediction for INPUT (MATLAB's gradCAM): the\n"
      "gradient of a class score with respect to the feature layer's activations, averaged\n"
      "per channel, weighs those activations; their sum, through a ReLU, is the map of where\n"
      "the input drove the score. The map is upsampled to the input's size and drawn over it.\n"
      "\n"
      "INPUT is an image file (PNG, JPEG, BMP, PPM...) for a 2-D image model, or an .npy array.\n"
      "An image is read with the model's channel count when that is 1 or 3 (RGB images are\n"
      "converted to gray and gray to RGB), else as stored; values are 0...255, as MATLAB's\n"
      "imread gives them; it is resized to the model's input size (or --resize) with bicubic\n"
      "interpolation and antialiasing, as MATLAB's imresize. An .npy array in the model's own\n"
      "layout (N×C×H×W..., with or without N, as 'dlcam predict' takes it) is used as it is;\n"
      "for any other layout, --input-format labels its dimensions in MATLAB's order (SSC for\n"
      "h×w×c, SSSC for h×w×d×c, CT for c×t; B for observations) and it is permuted. Then, for\n"
      "any input, x = (x·scale − mean) / std per channel (--scale, --mean, --std). A model that\n"
      "leaves H and W open is imported for the prepared input's size, unless --input-shape\n"
      "gives another.\n"
      "\n"
      "Without --class or --label, each observation's predicted class is explained. Class\n"
      "indices are 0-based (MATLAB's are 1-based). --class and --label may be repeated or\n"
      "given comma lists (--class 3 --class 5,7); --label looks names up in --labels FILE.\n"
      "'dlcam info' shows the default feature and reduction layers.\n"
      "\n"
      "Writes one picture per class and observation: the map over the image (an image file at\n"
      "its original resolution; an .npy image with its channels averaged to gray, or as RGB\n"
      "with 3 channels), a figure of the sequence and its map over time, or a montage of a\n"
      "volume's slices. With several classes or observations, -class<N> (the class index) and\n"
      "-obs<B> (the observation, 0-based) are added before the extension.\n"
      "\n"
      "--save-map writes the map as float32 .npy with MATLAB's shape and indices: h×w, h×w×d\n"
      "or 1×t, then ×N classes and ×B observations when there are more than 1.\n"
      "\n"
      "The report (text, or one JSON object with --json) names the input and how it was\n"
      "prepared, the layers, each observation's predicted class and score, the classes\n"
      "explained with their scores, and the files written. Nothing is written when anything\n"
      "fails.";
  c.positionals = {{"MODEL", "The .onnx file"}, {"INPUT", "An image file, or an .npy array"}};
  c.options = {
      {"class", 0, "N", "Explain class N (0-based; repeat or list: --class 3,5)"},
      {"label", 0, "NAME", "Explain the class named NAME in --labels (repeat or list)"},
      {"labels", 0, "FILE", "Class names, one per line (line 1 names class 0)"},
      {"feature-layer", 0, "LAYER", "The layer whose activations the map weighs (default: see 'dlcam info')"},
      {"reduction-layer", 0, "LAYER", "The layer whose class score is explained (default: the output)"},
      {"upsampling", 0, "METHOD", "bicubic (default), nearest, or none (the feature map's size)"},
      {"device", 0, "DEVICE", "auto (default), cpu, or gpu (an error in a build without a GPU backend)"},
      {"input-format", 0, "FMT", "Labels of an .npy's dims in MATLAB's order: SSC (h×w×c), SSSC, CT, SSCB..."},
      {"resize", 0, "HxW", "Resize an image to H×W (default: the model's input size)"},
      {"scale", 0, "S", "Multiply the input by S (default 1; a fraction such as 1/255 works)"},
      {"mean", 0, "M", "Then subtract M: one value, or one per channel (a,b,c)"},
      {"std", 0, "S", "Then divide by S: one value, or one per channel (a,b,c)"},
      {"colormap", 0, "NAME", "jet (default), turbo, viridis or gray"},
      {"alpha", 0, "A", "Weight of the map over the image, 0 to 1 (default 0.5)"},
      {"out", 'o', "FILE.png", "The picture (default: <input name>-gradcam.png, in the current directory)"},
      {"save-map", 0, "MAP.npy", "Write the map as .npy (float32, MATLAB's shape and indices)"},
      {"json", 0, "", "Print the report as one JSON object"},
      inputShapeOption(),
  };
  c.run = runExplain;
  return c;
}

}  // namespace dlcam::cli
