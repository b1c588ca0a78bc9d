// dlcam explain MODEL INPUT: the Grad-CAM map of a prediction, as a picture, an .npy array and
// a report (gradcam/gradcam.h, MATLAB's gradCAM).
//
// Everything is computed before anything is written: the input is prepared
// (model_input.h), the output paths are checked against each other and the files read,
// gradCAM runs once for every target and observation, the pictures are drawn; then every file
// is staged beside its path and, once all are written, renamed into place (io/atomic_write.h),
// so that a failed run replaces no file; then the report goes to stdout.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string_view>

#include "apps/dlcam/cli.h"
#include "apps/dlcam/model_input.h"
#include "apps/dlcam/json.h"
#include "autodiff/reduce.h"
#include "autodiff/resize.h"
#include "autodiff/shape_ops.h"
#include "core/error.h"
#include "gradcam/gradcam.h"
#include "gradcam/picture.h"
#include "io/atomic_write.h"
#include "io/file_check.h"
#include "io/labels.h"
#include "io/npy.h"

namespace dlcam::cli {

namespace {

namespace fs = std::filesystem;

// A class asked for by --class (its index) or --label (its name in --labels).
struct RequestedClass {
  bool byLabel = false;
  std::string text;
};

struct ExplainOptions {
  InputOptions input;
  GradCamOptions gradcam;
  OverlayOptions overlay;
  std::vector<RequestedClass> classes;  // in command-line order; empty: the predicted class
  std::optional<std::string> out, saveMap, labelsPath;
  bool json = false, verbose = false;
};

ExplainOptions parseOptions(const ParsedArgs& args) {
  ExplainOptions o;
  o.input = parseInputOptions(args);
  o.json = args.has("json");
  o.verbose = args.has("verbose");
  o.out = args.value("out");
  o.saveMap = args.value("save-map");
  o.labelsPath = args.value("labels");
  for (const auto& [option, item] : args.all({"class", "label"})) {
    if (item.empty()) throw UsageError("--" + option + " has an empty item in its comma list");
    if (option == "class") {
      int64_t index = -1;
      const char* end = item.data() + item.size();
      auto [ptr, ec] = std::from_chars(item.data(), end, index);
      if (ec != std::errc() || ptr != end || index < 0)
        throw UsageError("--class expects class indices (0-based integers), got '" + item + "'");
    }
    o.classes.push_back({.byLabel = option == "label", .text = item});
  }
  if (auto v = args.value("feature-layer")) o.gradcam.featureLayer = *v;
  if (auto v = args.value("reduction-layer")) o.gradcam.reductionLayer = *v;
  if (auto v = args.value("upsampling"))
    o.gradcam.upsampling = parseValue("upsampling", "bicubic, nearest or none", *v, parseUpsampling);
  if (auto v = args.value("colormap"))
    o.overlay.colormap = parseValue("colormap", "jet, turbo, viridis or gray", *v, parseColormap);
  if (auto v = args.value("alpha")) {
    o.overlay.alpha = numberOption("alpha", *v);
    if (o.overlay.alpha < 0 || o.overlay.alpha > 1)
      throw UsageError("--alpha expects a number from 0 to 1, got '" + *v + "'");
  }
  return o;
}

// The size of a layer's C dimension; 0 without one.
int64_t channelCount(const Network& net, const std::string& layer) {
  const ActivationInfo& info = net.outputInfo(layer);
  const int c = info.format.find('C');
  return c >= 0 ? info.size[c] : 0;
}

// Whether the class names (one per class of the network's output) name the channels of
// `layer`: it is the output layer, or it has as many channels as the output has classes. An
// inner layer with another channel count (a convolution given as --reduction-layer) has
// channels, not classes, and its channel 3 is no class named on line 4.
bool namesFit(const Network& net, const std::string& layer, const std::vector<std::string>& names) {
  if (names.empty() || !net.contains(layer)) return false;
  return &net.layer(layer) == &net.outputLayer() || channelCount(net, layer) == static_cast<int64_t>(names.size());
}

// The classes to explain, as gradCAM takes them: the given indices and labels (resolved
// through the labels file) in command-line order; empty for each observation's predicted
// class.
std::vector<int64_t> requestedIndices(const ExplainOptions& o, const Network& net,
                                      const std::vector<std::string>& names) {
  std::vector<int64_t> indices;
  for (const RequestedClass& c : o.classes) {
    if (!c.byLabel) {
      indices.push_back(std::stoll(c.text));
    } else {
      auto it = std::find(names.begin(), names.end(), c.text);
      if (it == names.end())
        fail("unknown class label '", c.text, "': labels file '", *o.labelsPath, "' (", names.size(),
             " classes) does not list it", didYouMean(c.text, names));
      const std::string& reduction = o.gradcam.reductionLayer;
      if (!reduction.empty() && net.contains(reduction) && !namesFit(net, reduction, names))
        fail("--label '", c.text, "' names a class of the network's output, but reduction layer '", reduction,
             "' has ", channelCount(net, reduction), " channels, not the output's ", names.size(),
             " classes; give a channel index with --class");
      indices.push_back(it - names.begin());
    }
    if (std::count(indices.begin(), indices.end(), indices.back()) > 1)
      throw UsageError(detail::cat("class ", indices.back(), " is asked for twice"));
  }
  return indices;
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
  std::vector<int64_t> mapSize;        // one map: h×w, h×w×d or 1×t
  int64_t targets = 1, observations = 1;
  Tensor savedMap;                     // MATLAB's shape: trailing B, then N, dropped when 1
  // The class names of the classes explained: the labels file's when they name the reduction
  // layer's channels (namesFit), else none.
  std::vector<std::string> explainedNames;
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
  const Tensor shown = hwc.shape()[2] == 3 ? hwc : mean(Array(hwc.to(DType::Float64), "SSC"), {2}).value();
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

// --out, or <input name>-gradcam.png in the current directory.
std::string pictureBase(const ExplainOptions& o, const std::string& inputPath) {
  return o.out.value_or(fs::path(inputPath).stem().string() + "-gradcam.png");
}

// The pictures' paths, target n of observation b at n + N·b: the base with -class<N> added
// when several classes are explained, and -obs<B> for several observations. `classes`: the
// requested classes (empty: one, the predicted class).
std::vector<std::string> picturePaths(const std::string& base, const std::vector<int64_t>& classes,
                                      int64_t observations) {
  const size_t targets = std::max<size_t>(classes.size(), 1);
  std::vector<std::string> paths;
  for (int64_t b = 0; b < observations; ++b)
    for (size_t n = 0; n < targets; ++n)
      paths.push_back(withSuffix(base, (targets > 1 ? "-class" + std::to_string(classes[n]) : "") +
                                           (observations > 1 ? "-obs" + std::to_string(b) : "")));
  return paths;
}

void drawPictures(Explanation& e, const PreparedInput& input, const ExplainOptions& o,
                  const std::vector<std::string>& paths) {
  const DimFormat& format = input.x.format();
  for (int64_t b = 0; b < e.observations; ++b) {
    const Tensor data = input.image ? Tensor() : observation(input.display, b);
    for (int64_t n = 0; n < e.targets; ++n) {
      const size_t k = static_cast<size_t>(n + e.targets * b);
      const int64_t cls = e.result.classes[k];
      Explanation::Picture p;
      p.path = paths[k];
      const Tensor map = mapSlice(e, n, b);
      if (format.str() == "SSCB") {
        p.image = overlay(input.image ? input.original : npyImage(data), map, o.overlay);
      } else if (format.str() == "SSSCB") {
        const std::vector<int64_t> size(data.shape().dims().begin(), data.shape().dims().begin() + 3);
        p.image = volumeMontage(data, mapAtSize(map, size, "SSS"), {.overlay = o.overlay});
      } else {
        const std::vector<int64_t> size = {1, data.shape()[1]};  // data: c×t
        p.image = sequenceFigure(data, mapAtSize(map, size, "CT"),
                                 {.title = "Grad-CAM of class " + classText(cls, e.explainedNames) +
                                           ", observation " + std::to_string(b)});
      }
      e.pictures.push_back(std::move(p));
    }
  }
}

Explanation explain(const Network& net, const PreparedInput& input, const std::vector<int64_t>& classes,
                    const ExplainOptions& o, const std::vector<std::string>& names,
                    const std::vector<std::string>& picturePaths) {
  Explanation e;
  e.result = gradCAM(net, input.x, classes.empty() ? CamTarget::predicted() : CamTarget(classes), o.gradcam);
  const Tensor& map = e.result.map;
  e.mapSize.assign(map.shape().dims().begin(), map.shape().dims().end() - 2);
  e.targets = map.shape()[map.rank() - 2];
  e.observations = map.shape()[map.rank() - 1];
  DLCAM_ASSERT(static_cast<int64_t>(picturePaths.size()) == e.targets * e.observations,
               "one picture path per map: ", picturePaths.size(), " for ", e.targets, "×", e.observations);
  if (namesFit(net, e.result.reductionLayer, names)) e.explainedNames = names;

  std::vector<int64_t> saved = map.shape().dims();
  if (saved.back() == 1) {
    saved.pop_back();
    if (saved.back() == 1) saved.pop_back();
  }
  e.savedMap = map.reshaped(Shape(saved));
  drawPictures(e, input, o, picturePaths);
  return e;
}

// Writes the map and the pictures, each staged beside its path; only when every one is
// written are they renamed into place, so that a failed write replaces no file and leaves no
// temporary one. Returns the paths written.
std::vector<std::string> writeFiles(const Explanation& e, const ExplainOptions& o) {
  StagedFiles files;
  if (o.saveMap) writeNpy(*o.saveMap, e.savedMap, {.indexing = NpyIndexing::Same}, files);
  for (const auto& p : e.pictures) writePng(p.path, p.image, files);
  const std::vector<std::string> written = files.paths();
  files.commit();
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

std::string mapDimsText(const DimFormat& format) {
  return format.str() == "SSCB" ? "h×w" : format.str() == "SSSCB" ? "h×w×d" : "1×t";
}

void printText(std::ostream& out, const std::string& model, const PreparedInput& input, const Explanation& e,
               const ExplainOptions& o, const std::vector<std::string>& names,
               const std::vector<std::string>& written) {
  const GradCamResult& r = e.result;
  out << "model:      " << model << "\n";
  const std::vector<std::string> steps = describePreparation(input, o.input);
  for (size_t k = 0; k < steps.size(); ++k) out << (k ? "            " : "input:      ") << steps[k] << "\n";
  out << "layers:     feature '" << r.featureLayer << "' " << r.featureActivation.str() << "\n";
  out << "            reduction '" << r.reductionLayer << "'\n";
  out << "map:        " << detail::sizesText(e.mapSize) << " (" << mapDimsText(input.x.format()) << ") per class and "
      << "observation, "
      << (o.gradcam.upsampling == Upsampling::None
              ? "the feature map's size (not upsampled)"
              : upsamplingName(o.gradcam.upsampling) + " upsampling of " + featureMapText(r.featureActivation))
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
      out << "  explained  class " << classText(r.classes[k], e.explainedNames) << ", score "
          << scoreText(r.scores[k]) << "\n";
    }
  }
  for (size_t k = 0; k < written.size(); ++k) out << (k ? "            " : "wrote:      ") << written[k] << "\n";
}

Json jsonReport(const std::string& model, const PreparedInput& input, const Explanation& e, const ExplainOptions& o,
                const std::vector<std::string>& names, const std::vector<std::string>& written) {
  const GradCamResult& r = e.result;
  auto labelJson = [](int64_t cls, const std::vector<std::string>& names) {
    return labelOf(cls, names).empty() ? Json() : Json(labelOf(cls, names));
  };
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
  j.set("featureSize", Json::array(r.featureActivation.size.dims()));
  j.set("featureFormat", r.featureActivation.format.str());
  j.set("reductionLayer", r.reductionLayer);
  j.set("upsampling", upsamplingName(o.gradcam.upsampling));
  j.set("mapSize", Json::array(e.mapSize));
  j.set("mapDims", mapDimsText(input.x.format()));
  const std::vector<Prediction> predicted = predictions(r.output);
  Json observations = Json::array();
  for (int64_t b = 0; b < e.observations; ++b) {
    Json ob = Json::object();
    ob.set("observation", b);
    if (b < static_cast<int64_t>(predicted.size())) {
      const Prediction& p = predicted[static_cast<size_t>(b)];
      Json pj = Json::object();
      pj.set("class", p.classIndex);
      pj.set("label", labelJson(p.classIndex, names));
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
      x.set("label", labelJson(r.classes[k], e.explainedNames));
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

// The files the run would write: the map and the pictures, each named after the option
// that chose its path.
std::vector<NamedFile> outputFiles(const ExplainOptions& o, const std::vector<std::string>& picturePaths) {
  std::vector<NamedFile> files;
  if (o.saveMap) files.push_back({*o.saveMap, "--save-map '" + *o.saveMap + "'"});
  for (const std::string& path : picturePaths) {
    if (o.out && path == *o.out)
      files.push_back({path, "--out '" + path + "'"});
    else
      files.push_back({path, "the picture '" + path + "'" + (o.out ? " (from --out '" + *o.out + "')" : "")});
  }
  return files;
}

int runExplain(const ParsedArgs& args, std::ostream& out, std::ostream& err) {
  ExplainOptions o = parseOptions(args);
  const std::string& modelPath = args.positionals[0];
  const std::string& inputPath = args.positionals[1];
  checkInputOptions(inputPath, o.input);
  const std::vector<std::string> names = o.labelsPath ? readClassNames(*o.labelsPath) : std::vector<std::string>{};
  for (const RequestedClass& c : o.classes)
    if (c.byLabel && names.empty())
      fail("--label '", c.text, "' needs --labels FILE: the class names to look it up in");

  auto [loaded, input] = loadModelAndInput(modelPath, inputPath, args, o.input);
  if (o.verbose) err << "dlcam: loaded '" << loaded.path << "' in " << millisText(loaded.loadMs) << "\n";
  if (!names.empty()) {
    try {
      loaded.net.setClassNames(names);
    } catch (const Error& e) {
      fail("labels file '", *o.labelsPath, "' does not fit the model: ", e.what());
    }
  }
  const std::vector<int64_t> classes = requestedIndices(o, loaded.net, names);
  const Device device = placeNetwork(loaded.net, args, err, o.verbose);
  o.gradcam.executionEnvironment = device == Device::GPU ? ExecutionEnvironment::Gpu : ExecutionEnvironment::Cpu;

  // Every output path is known before gradCAM runs: none may be another, or a file read.
  const int batch = input.x.format().find('B');
  const int64_t observations = batch >= 0 ? input.x.size(batch) : 1;
  const std::vector<std::string> pictures = picturePaths(pictureBase(o, inputPath), classes, observations);
  std::vector<NamedFile> read = {{modelPath, "MODEL '" + modelPath + "'"}, {inputPath, "INPUT '" + inputPath + "'"}};
  if (o.labelsPath) read.push_back({*o.labelsPath, "--labels '" + *o.labelsPath + "'"});
  checkOutputs(outputFiles(o, pictures), read);

  const Stopwatch clock;
  const Explanation e = explain(loaded.net, input, classes, o, names, pictures);
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
      "interpolation and antialiasing and rounded to integers in 0...255, as MATLAB's imresize\n"
      "of a uint8 image. --input-format is for .npy arrays only. An .npy array in the model's own\n"
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
      "'dlcam info' shows the default feature and reduction layers. Labels name the classes\n"
      "explained only when the reduction layer's channels are the output's classes.\n"
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
      "explained with their scores, and the files written. No output may be another output,\n"
      "MODEL, INPUT or --labels. Nothing is written when anything fails: every file is written\n"
      "beside its path first and all are renamed into place once all are written.";
  c.positionals = {{"MODEL", "The .onnx file"}, {"INPUT", "An image file, or an .npy array"}};
  c.options = {
      {"class", 0, "N", "Explain class N (0-based; repeat or list: --class 3,5)"},
      {"label", 0, "NAME", "Explain the class named NAME in --labels (repeat or list)"},
      {"labels", 0, "FILE", "Class names, one per line (line 1 names class 0)"},
      {"feature-layer", 0, "LAYER", "The layer whose activations the map weighs (default: see 'dlcam info')"},
      {"reduction-layer", 0, "LAYER", "The layer whose class score is explained (default: the output)"},
      {"upsampling", 0, "METHOD", "bicubic (default), nearest, or none (the feature map's size)"},
      deviceOption(),
  };
  const std::vector<OptionSpec> input = inputOptionSpecs();
  c.options.insert(c.options.end(), input.begin(), input.end());
  c.options.insert(c.options.end(), {
      {"colormap", 0, "NAME", "jet (default), turbo, viridis or gray"},
      {"alpha", 0, "A", "Weight of the map over the image, 0 to 1 (default 0.5)"},
      {"out", 'o', "FILE.png", "The picture (default: <input name>-gradcam.png, in the current directory)"},
      {"save-map", 0, "MAP.npy", "Write the map as .npy (float32, MATLAB's shape and indices)"},
      {"json", 0, "", "Print the report as one JSON object"},
      inputShapeOption(),
  });
  c.run = runExplain;
  return c;
}

}  // namespace dlcam::cli
