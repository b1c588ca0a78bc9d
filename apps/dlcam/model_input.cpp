#include "apps/dlcam/model_input.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>

#include "apps/dlcam/cli.h"
#include "autodiff/elementwise.h"
#include "autodiff/resize.h"
#include "core/error.h"
#include "io/file_check.h"
#include "io/npy.h"
#include "io/onnx/layout.h"

namespace dlcam::cli {

namespace {

bool isNpyPath(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".npy";
}

std::string channelsName(int64_t channels) {
  switch (channels) {
    case 1: return "gray";
    case 2: return "gray+alpha";
    case 3: return "RGB";
    case 4: return "RGBA";
    default: return std::to_string(channels) + "-channel";
  }
}

// "SSC for h×w×c, SSCB for h×w×c×n": --input-format values that fit a model input of this
// ONNX rank.
std::string formatExamples(size_t rank) {
  switch (rank) {
    case 2: return "CB for c×n";
    case 3: return "CT for c×t, TC for t×c, CTB for c×t×n";
    case 4: return "SSC for h×w×c, SSCB for h×w×c×n";
    case 5: return "SSSC for h×w×d×c, SSSCB for h×w×d×c×n";
    default: return "S, C, B and T labels";
  }
}

// x (canonical labels) in the model's format: the same data with a singleton dimension for
// each of the model's labels x lacks (an "SSC" image becomes "SSCB" with B = 1). Data stays
// in place: both formats are canonical, so their common dimensions are in the same order.
// A format that does not fit the model's kind of input is a usage error, as a bad value of
// any other option is.
Array toModelFormat(const Array& x, const DimFormat& model, const std::string& given) {
  if (x.format().count('S') != model.count('S') || x.format().count('U') > 0)
    throw UsageError(detail::cat("--input-format '", given, "' labels the input as ", x.format().str(),
                                 ", but the network's input is ", model.str(), " (", model.count('S'),
                                 " spatial dimensions)"));
  for (char label : {'C', 'B', 'T'})
    if (x.format().find(label) >= 0 && model.find(label) < 0)
      throw UsageError(detail::cat("--input-format '", given, "' has a ", label,
                                   " dimension, but the network's input is ", model.str()));
  std::vector<int64_t> sizes;
  const std::vector<int> spatial = x.format().spatialDims();
  size_t s = 0;
  for (int d = 0; d < model.rank(); ++d) {
    if (model[d] == 'S') {
      sizes.push_back(x.size(spatial[s++]));
    } else {
      const int from = x.format().find(model[d]);
      sizes.push_back(from >= 0 ? x.size(from) : 1);
    }
  }
  return Array(x.value().reshaped(Shape(sizes)), model);
}

// MATLAB's imresize of a uint8 image returns uint8: each value rounded to the nearest integer
// (halves away from zero) and clamped to 0…255, where bicubic interpolation overshoots at
// sharp edges.
Array roundToUint8Range(const Array& x) {
  Tensor t = x.value().clone();
  float* v = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) v[i] = std::clamp(std::round(v[i]), 0.0f, 255.0f);
  return Array(t, x.format());
}

void readImageInput(PreparedInput& in, const std::vector<int64_t>& declared, const InputOptions& options) {
  if (declared.size() != 4)
    fail("input '", in.path, "' is an image, but the model's input is ", describeShape(declared),
         ", not a 2-D image (N×C×H×W); give the input as an .npy array");
  const int64_t channels = declared[1];
  // Gray and RGB models get the image converted (gray replicated, RGB to luma); for any other
  // channel count the file must have it.
  Image stored = readImage(in.path);
  in.fileChannels = stored.channels;
  in.original = channels == 1 || channels == 3 ? convertChannels(std::move(stored), static_cast<int>(channels))
                                               : std::move(stored);
  if (channels > 0 && in.original.channels != channels)
    fail("image '", in.path, "' has ", in.original.channels, " channels (", channelsName(in.original.channels),
         "), but the model's input takes ", channels);
  in.image = true;
  const Tensor t = imageToTensor(in.original);
  in.storedShape = t.shape().dims();

  std::vector<int64_t> size = {in.original.height, in.original.width};
  if (options.resize) {
    size = *options.resize;
    // A fixed-size model takes only its own size: say so before resizing (a huge --resize
    // would otherwise cost its memory and time first).
    for (size_t d = 0; d < 2; ++d)
      if (declared[d + 2] > 0 && size[d] != declared[d + 2])
        fail("--resize ", size[0], "x", size[1], " does not fit the model's input, which takes ",
             declared[2] > 0 ? std::to_string(declared[2]) : "any", "×",
             declared[3] > 0 ? std::to_string(declared[3]) : "any", " images");
  } else {
    if (declared[2] > 0) size[0] = declared[2];
    if (declared[3] > 0) size[1] = declared[3];
  }
  Array x(t.reshaped(Shape{t.shape()[0], t.shape()[1], t.shape()[2], 1}), "SSCB");
  if (size[0] != in.original.height || size[1] != in.original.width) {
    x = roundToUint8Range(resize(x, size, {.method = ResizeMethod::Cubic, .antialiasing = true}));
    in.resized = true;
  }
  in.display = x;
}

// The first element of t that is NaN or ±Inf, by its offset in memory; -1 when all are finite.
int64_t firstNonFinite(const Tensor& t) {
  int64_t found = -1;
  visitFloat(t.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel() && found < 0; ++i)
      if (!std::isfinite(p[i])) found = i;
  });
  return found;
}

// Throws unless every value of the file is finite: a NaN or an infinity makes every score and
// map NaN. The index is NumPy's, 0-based, over the file's shape (in.storedShape): t holds the
// file's elements with its first dim varying fastest (NpyIndexing::Same) or its last
// (NpyIndexing::Reversed, C order).
void requireFinite(const PreparedInput& in, const Tensor& t, bool firstDimFastest) {
  const int64_t at = firstNonFinite(t);
  if (at < 0) return;
  std::vector<int64_t> index(in.storedShape.size());
  int64_t rest = at;
  for (size_t k = 0; k < index.size(); ++k) {
    const size_t d = firstDimFastest ? k : index.size() - 1 - k;
    index[d] = rest % in.storedShape[d];
    rest /= in.storedShape[d];
  }
  const double value = visitFloat(t.dtype(), [&](auto zero) { return static_cast<double>(t.data<decltype(zero)>()[at]); });
  std::string where;
  for (size_t d = 0; d < index.size(); ++d) where += (d ? ", " : "") + std::to_string(index[d]);
  fail("input '", in.path, "' holds ", std::isnan(value) ? "NaN" : value > 0 ? "Inf" : "-Inf", " at [", where,
       "] (NumPy's index); dlcam needs finite input values");
}

void readNpyInput(PreparedInput& in, const std::vector<int64_t>& declared, const InputOptions& options) {
  if (options.inputFormat) {
    const Tensor t = readNpy(in.path, NpyIndexing::Same);
    in.storedShape = t.shape().dims();
    requireFinite(in, t, true);
    if (static_cast<int>(options.inputFormat->size()) < t.rank())
      throw UsageError(detail::cat("--input-format '", *options.inputFormat, "' labels ", options.inputFormat->size(),
                                   " dimensions, but '", in.path, "' has ", t.rank(), " (",
                                   detail::sizesText(in.storedShape), ")"));
    in.display = toModelFormat(Array(t.to(DType::Float32), *options.inputFormat),
                               onnx::formatForRank(static_cast<int>(declared.size())), *options.inputFormat);
    return;
  }
  const Tensor t = readNpy(in.path);  // ONNX order: the file's shape reversed
  in.storedShape.assign(t.shape().dims().rbegin(), t.shape().dims().rend());
  requireFinite(in, t, false);
  std::vector<int64_t> shape = in.storedShape;
  if (shape.size() + 1 == declared.size()) {
    shape.insert(shape.begin(), 1);
    in.batchAdded = true;
  }
  if (shape.size() != declared.size()) return;  // checkFits names both shapes
  in.display = onnx::fromOnnxOrder(onnx::onnxOrderArray(t.to(DType::Float32), shape));
}

std::vector<double> numberList(const std::string& option, const std::string& text) {
  std::vector<double> values;
  for (const std::string& item : splitCommas(text)) values.push_back(numberOption(option, item));
  return values;
}

// "1/255" or "0.00392157": finite and nonzero (1e308/1e-308 is neither).
double scaleOption(const std::string& text) {
  const size_t slash = text.find('/');
  const double scale =
      slash == std::string::npos
          ? numberOption("scale", text)
          : numberOption("scale", text.substr(0, slash)) / numberOption("scale", text.substr(slash + 1));
  if (!std::isfinite(scale) || scale == 0)
    throw UsageError("--scale expects a finite nonzero number or a fraction such as 1/255, got '" + text + "'");
  return scale;
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

// The file's input dimensions, −1 where open (a dim_value of 0 counts as open, as the
// importer reads it); empty when the file gives no shape.
std::vector<int64_t> declaredDims(const onnx::ValueInfo& input) {
  std::vector<int64_t> dims;
  if (!input.hasShape) return dims;
  for (const onnx::Dimension& d : input.dims) dims.push_back(d.value > 0 ? d.value : -1);
  return dims;
}

// No --scale, --mean or --std (or values that change nothing).
bool isIdentity(const InputOptions& o) {
  return o.scale == 1 && std::all_of(o.mean.begin(), o.mean.end(), [](double m) { return m == 0; }) &&
         std::all_of(o.std.begin(), o.std.end(), [](double s) { return s == 1; });
}

// (x·scale − mean) / std per channel (C); one value applies to every channel.
Array normalise(const Array& x, const InputOptions& options, const std::string& path) {
  const int c = x.format().find('C');
  const int64_t channels = c >= 0 ? x.size(c) : 1;
  auto perChannel = [&](const std::vector<double>& values, const char* option) {
    if (values.size() != 1 && static_cast<int64_t>(values.size()) != channels)
      throw UsageError(detail::cat("--", option, " has ", values.size(), " values, but input '", path, "' has ",
                                   channels, " channels (give one value, or one per channel)"));
    std::vector<float> v(values.begin(), values.end());
    return Array(Tensor::fromValues(Shape{static_cast<int64_t>(v.size())}, std::span<const float>(v)), "C");
  };
  const Array mean = perChannel(options.mean, "mean"), std = perChannel(options.std, "std");
  if (isIdentity(options)) return x;
  return divide(subtract(multiply(x, options.scale), mean), std);
}

std::string valuesText(const std::vector<double>& values) {
  std::string text;
  for (size_t i = 0; i < values.size(); ++i) text += (i ? "," : "") + scoreText(values[i]);
  return text;
}

}  // namespace

std::vector<OptionSpec> inputOptionSpecs() {
  return {
      {"input-format", 0, "FMT", "Labels of an .npy's dims in MATLAB's order: SSC (h×w×c), SSSC, CT, SSCB..."},
      {"resize", 0, "HxW", "Resize an image to H×W (default: the model's input size)"},
      {"scale", 0, "S", "Multiply the input by S (default 1; a fraction such as 1/255 works)"},
      {"mean", 0, "M", "Then subtract M: one value, or one per channel (a,b,c)"},
      {"std", 0, "S", "Then divide by S: one value, or one per channel (a,b,c)"},
  };
}

InputOptions parseInputOptions(const ParsedArgs& args) {
  InputOptions o;
  if (auto v = args.value("input-format")) {
    const std::string accepted = "dimension labels S, C, B and T (at most one each of C, B, T): SSC, CT...";
    if (v->find_first_not_of("SCBT") != std::string::npos)
      throw UsageError("--input-format expects " + accepted + ", got '" + *v + "'");
    parseValue("input-format", accepted, *v, [](const std::string& text) { return DimFormat(text); });
    o.inputFormat = *v;
  }
  if (auto v = args.value("resize")) o.resize = sizeOption(*v);
  if (auto v = args.value("scale")) {
    o.scale = scaleOption(*v);
    o.scaleText = *v;
  }
  if (auto v = args.value("mean")) o.mean = numberList("mean", *v);
  if (auto v = args.value("std")) {
    o.std = numberList("std", *v);
    for (double s : o.std)
      if (s <= 0) throw UsageError("--std expects positive numbers, got '" + *v + "'");
  }
  return o;
}

void checkInputOptions(const std::string& path, const InputOptions& options) {
  if (isNpyPath(path) && options.resize)
    throw UsageError("--resize applies to image files; an .npy input is used at its own size");
  if (!isNpyPath(path) && options.inputFormat)
    throw UsageError("--input-format labels the dimensions of an .npy array; an image file is read as h×w×c");
}

std::vector<int64_t> PreparedInput::onnxShape() const { return onnx::onnxShape(x.shape(), x.format()); }

PreparedInput prepareInput(const std::string& path, const std::vector<int64_t>& declared, const InputOptions& options) {
  DLCAM_ASSERT(!declared.empty(), "prepareInput needs the model input's rank");
  checkInputOptions(path, options);
  requireReadableFile(path, "input");
  PreparedInput in;
  in.path = path;
  if (isNpyPath(path))
    readNpyInput(in, declared, options);
  else
    readImageInput(in, declared, options);
  if (in.display.defined()) in.x = normalise(in.display, options, path);
  return in;
}

std::vector<int64_t> inputShapeFromInput(const std::vector<int64_t>& declared, const PreparedInput& input) {
  if (!input.x.defined()) return {};
  const std::vector<int64_t> shape = input.onnxShape();
  if (shape.size() != declared.size()) return {};
  bool open = false;  // beyond N, and a sequence's length, which the importer leaves free
  for (size_t d = 1; d < declared.size(); ++d)
    if (declared[d] < 0 && !(declared.size() == 3 && d == 2)) open = true;
  if (!open) return {};
  std::vector<int64_t> filled(declared.size());
  for (size_t d = 0; d < declared.size(); ++d) filled[d] = declared[d] >= 0 ? declared[d] : d == 0 ? 1 : shape[d];
  return filled;
}

void checkFits(const PreparedInput& input, const Network& net, const InputOptions& options) {
  const std::vector<int64_t> expected = expectedInputShape(net);
  if (input.x.defined()) {
    const std::vector<int64_t> shape = input.onnxShape();
    bool fits = shape.size() == expected.size();
    for (size_t d = 0; fits && d < expected.size(); ++d) fits = expected[d] < 0 || expected[d] == shape[d];
    if (fits) return;
  }
  const std::vector<int64_t> one(expected.begin() + (expected.empty() ? 0 : 1), expected.end());
  const std::string takes = detail::cat("the network's input layer '", net.inputLayer().name(), "' takes ",
                                        describeShape(expected), ", any N, or ", shapeText(one), " (one observation)");
  const std::string stored = detail::sizesText(input.storedShape);
  if (input.image)
    fail("image '", input.path, "' (", stored, ") becomes ", describeShape(input.onnxShape()), ", but ", takes);
  if (options.inputFormat)
    fail("input '", input.path, "' (", stored, " read as ", *options.inputFormat, ") becomes ",
         describeShape(input.onnxShape()), ", but ", takes);
  fail("input '", input.path, "' has shape ", stored, ", but ", takes, "; if the file is in another layout, label its ",
       "dimensions with --input-format: ", formatExamples(expected.size()));
}

std::vector<int64_t> shapeToPrepareFor(LoadedModel& loaded, const onnx::ImportOptions& options) {
  if (!options.inputShape.empty()) return options.inputShape;
  std::vector<int64_t> declared = declaredDims(declaredInput(loaded));
  if (declared.empty()) {
    importModel(loaded, options);
    declared = expectedInputShape(loaded.net);
  }
  return declared;
}

ModelAndInput loadModelAndInput(const std::string& modelPath, const std::string& inputPath, const ParsedArgs& args,
                                const InputOptions& options) {
  ModelAndInput m;
  m.model = readModel(modelPath);
  onnx::ImportOptions importOpts = importOptions(args);
  const std::vector<int64_t> declared = shapeToPrepareFor(m.model, importOpts);
  m.input = prepareInput(inputPath, declared, options);
  if (!m.model.net.initialized()) {
    if (importOpts.inputShape.empty()) importOpts.inputShape = inputShapeFromInput(declared, m.input);
    importModel(m.model, importOpts);
  }
  checkFits(m.input, m.model.net, options);
  return m;
}

std::vector<std::string> describePreparation(const PreparedInput& input, const InputOptions& options) {
  std::vector<std::string> lines;
  const std::string stored = detail::sizesText(input.storedShape);
  if (input.image) {
    // What the file holds, then what became of it: "12×16 16-bit gray image (h×w), read as
    // 8-bit, gray replicated to RGB, values 0…255" (readImage says how 16-bit samples become
    // 8-bit: a PNG's keep their high byte, a PGM/PPM's are scaled).
    const Image& image = input.original;
    std::string converted;
    if (image.bitsPerSample > 8) converted += ", read as 8-bit";
    if (input.fileChannels <= 2 && image.channels >= 3) converted += ", gray replicated to RGB";
    if (input.fileChannels >= 3 && image.channels <= 2) converted += ", converted to gray (luma)";
    if ((input.fileChannels == 2 || input.fileChannels == 4) && image.channels != 2 && image.channels != 4)
      converted += ", alpha dropped";
    lines.push_back(detail::cat(input.path, ": ", image.height, "×", image.width, " ",
                                image.bitsPerSample > 8 ? "16-bit " : "", channelsName(input.fileChannels),
                                " image (h×w)", converted, ", values 0…255"));
    if (input.resized)
      lines.push_back(detail::cat("resized to ", input.x.size(0), "×", input.x.size(1),
                                  " (bicubic, antialiased, rounded to 0…255, as MATLAB's imresize)"));
  } else if (options.inputFormat) {
    lines.push_back(detail::cat(input.path, ": ", stored, " labelled ", *options.inputFormat,
                                " (--input-format), permuted to the model's layout"));
  } else {
    // Without N, the file's dimensions are the model's from C on: 4×33×29 (C×H×W).
    const std::string names = onnxDimNames(input.storedShape.size() + (input.batchAdded ? 1 : 0));
    lines.push_back(detail::cat(input.path, ": ", shapeText(input.storedShape), " (",
                                input.batchAdded ? names.substr(names.find('C')) : names, "), the model's layout",
                                input.batchAdded ? ", a batch of 1 added" : ""));
  }
  if (!isIdentity(options))
    lines.push_back(detail::cat("x = (x·", options.scaleText, " − ", valuesText(options.mean), ") / ",
                                valuesText(options.std),
                                options.mean.size() > 1 || options.std.size() > 1 ? " per channel" : ""));
  lines.push_back("network input " + describeShape(input.onnxShape()));
  return lines;
}

}  // namespace dlcam::cli
