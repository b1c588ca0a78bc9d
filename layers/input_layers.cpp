#include "layers/input_layers.h"

#include "autodiff/elementwise.h"

namespace dlcam {

namespace {

// The declared image size {h, w[, d], c}: c = 1 when left out, as MATLAB's InputSize allows.
std::vector<int64_t> imageSize(const std::string& name, const char* type, std::vector<int64_t> size, int spatial) {
  const auto s = static_cast<size_t>(spatial);
  if (size.size() == s) size.push_back(1);
  if (size.size() != s + 1)
    fail("layer '", name, "' (", type, "): size needs ", s, " or ", s + 1, " values (", spatial == 2 ? "h w c" : "h w d c",
         "), got ", detail::bracketed(size));
  for (int64_t v : size)
    if (v < 1) fail("layer '", name, "' (", type, "): sizes must be positive, got ", detail::bracketed(size));
  return size;
}

ActivationInfo imageInfo(const std::vector<int64_t>& size) {
  std::vector<int64_t> dims = size;
  dims.push_back(1);
  return {Shape(dims), DimFormat(std::string(size.size() - 1, 'S') + "CB")};
}

int64_t positiveChannels(const std::string& name, const char* type, int64_t channels) {
  if (channels < 1) fail("layer '", name, "' (", type, "): channels must be positive, got ", channels);
  return channels;
}

}  // namespace

std::string normalizationName(Normalization kind) {
  switch (kind) {
    case Normalization::None: return "none";
    case Normalization::ZeroCenter: return "zerocenter";
    case Normalization::ZScore: return "zscore";
    case Normalization::RescaleZeroOne: return "rescale-zero-one";
  }
  return "?";
}

NormalizingInputLayer::NormalizingInputLayer(std::string name, std::string type, ActivationInfo declared,
                                             bool anyLength, InputNormalization normalization)
    : InputLayer(std::move(name)),
      type_(std::move(type)),
      declared_(std::move(declared)),
      anyLength_(anyLength),
      normalization_(std::move(normalization)) {
  const InputNormalization& n = normalization_;
  const bool usesMean = n.kind == Normalization::ZeroCenter || n.kind == Normalization::ZScore;
  const bool usesStd = n.kind == Normalization::ZScore;
  const bool usesRange = n.kind == Normalization::RescaleZeroOne;
  const std::string kind = "'" + normalizationName(n.kind) + "' normalization";
  auto expect = [&](const Array& stat, const char* what, bool used) {
    if (used && !stat.defined()) failHere(kind + " needs " + what + "; it is not given");
    if (!used && stat.defined()) failHere(std::string(what) + " is given, but " + kind + " does not use it");
  };
  expect(n.mean, "mean", usesMean);
  expect(n.standardDeviation, "standardDeviation", usesStd);
  expect(n.min, "min", usesRange);
  expect(n.max, "max", usesRange);

  if (usesMean) shift_ = prepareStatistic(n.mean, "mean");
  if (usesStd) {
    divisor_ = prepareStatistic(n.standardDeviation, "standardDeviation");
    const Tensor& s = divisor_.value();
    for (int64_t i = 0; i < s.numel(); ++i)
      if (!(s.at(i) > 0))
        failHere(detail::cat("standardDeviation must be positive, got ", s.at(i), " at element ", i));
  }
  if (usesRange) {
    shift_ = prepareStatistic(n.min, "min");
    divisor_ = subtract(prepareStatistic(n.max, "max"), shift_);
    const Tensor& r = divisor_.value();
    for (int64_t i = 0; i < r.numel(); ++i)
      if (!(r.at(i) > 0))
        failHere(detail::cat("max must be greater than min everywhere, but max − min is ", r.at(i), " at element ", i,
                             " of ", r.shape().str()));
  }
}

Array NormalizingInputLayer::prepareStatistic(const Array& stat, const char* what) const {
  const DimFormat& f = declared_.format;
  const int c = f.find('C');
  // One observation: the dims up to C (S… C); B and T follow C.
  std::vector<int64_t> full;
  for (int d = 0; d <= c; ++d) full.push_back(declared_.size[d]);
  const int64_t channels = declared_.size[c], fullCount = Shape(full).numel();
  const Tensor v = stat.value().to(DType::Float64);
  if (stat.numel() == fullCount) return Array(v.reshaped(Shape(full)), DimFormat(f.str().substr(0, c + 1)));
  if (stat.numel() == channels || stat.numel() == 1) return Array(v.reshaped(Shape{stat.numel()}), DimFormat("C"));
  failHere(detail::cat(what, " needs 1 value, ", channels, " (one per channel) or ", fullCount,
                       " (one per input element), got ", stat.numel(), " (shape ", stat.shape().str(), ")"));
}

std::string NormalizingInputLayer::normalizationSuffix() const {
  if (normalization_.kind == Normalization::None) return "";
  return " with '" + normalizationName(normalization_.kind) + "' normalization";
}

std::string NormalizingInputLayer::expectedText() const {
  std::string out;
  for (int d = 0; d < declared_.size.rank(); ++d) {
    const char label = declared_.format[d];
    const bool any = label == 'B' || (label == 'T' && anyLength_);
    out += (d ? " × " : "") + (any ? std::string("any") : std::to_string(declared_.size[d])) + "(" + label + ")";
  }
  return out;
}

void NormalizingInputLayer::moveTo(Device device) {
  Layer::moveTo(device);
  for (Array* a : {&shift_, &divisor_})
    if (a->defined()) *a = Array(a->value().to(device), a->format());
}

Array NormalizingInputLayer::forward(std::span<const Array> inputs, ForwardContext&) const {
  expectInputs(inputs.size());
  const Array& x = inputs[0];
  if (!x.defined()) failHere("the input has no value");
  bool fits = x.format() == declared_.format;
  for (int d = 0; fits && d < x.rank(); ++d) {
    const char label = x.format()[d];
    if (label != 'B' && !(label == 'T' && anyLength_) && x.size(d) != declared_.size[d]) fits = false;
  }
  if (!fits)
    failHere(detail::cat("expects input ", expectedText(), " (\"", declared_.format.str(), "\"), got ",
                         ActivationInfo{x.shape(), x.format()}.str(), " (\"", x.format().str(), "\")"));
  Array y = x;
  if (shift_.defined()) y = subtract(y, Array(shift_.value().to(x.dtype()), shift_.format()));
  if (divisor_.defined()) y = divide(y, Array(divisor_.value().to(x.dtype()), divisor_.format()));
  return y;
}

ImageInputLayer::ImageInputLayer(std::string name, ImageInputOptions options)
    : NormalizingInputLayer(name, "Image Input", imageInfo(imageSize(name, "Image Input", options.size, 2)), false,
                            std::move(options.normalization)),
      size_(imageSize(name, "Image Input", options.size, 2)) {}

std::string ImageInputLayer::description() const { return detail::sizesText(size_) + " images" + normalizationSuffix(); }

Image3dInputLayer::Image3dInputLayer(std::string name, ImageInputOptions options)
    : NormalizingInputLayer(name, "3-D Image Input", imageInfo(imageSize(name, "3-D Image Input", options.size, 3)),
                            false, std::move(options.normalization)),
      size_(imageSize(name, "3-D Image Input", options.size, 3)) {}

std::string Image3dInputLayer::description() const { return detail::sizesText(size_) + " images" + normalizationSuffix(); }

namespace {
ActivationInfo sequenceInfo(const std::string& name, const SequenceInputOptions& o) {
  const int64_t channels = positiveChannels(name, "Sequence Input", o.channels);
  if (o.length != -1 && o.length < 1)
    fail("layer '", name, "' (Sequence Input): length must be positive, or -1 for any length, got ", o.length);
  return {Shape{channels, 1, o.length == -1 ? 1 : o.length}, DimFormat("CBT")};
}
}  // namespace

SequenceInputLayer::SequenceInputLayer(std::string name, SequenceInputOptions options)
    : NormalizingInputLayer(name, "Sequence Input", sequenceInfo(name, options), options.length == -1,
                            std::move(options.normalization)),
      channels_(options.channels),
      length_(options.length) {}

std::string SequenceInputLayer::description() const {
  std::string out = detail::cat("Sequence input with ", channels_, " dimensions");
  if (length_ != -1) out += detail::cat(" and length ", length_);
  return out + normalizationSuffix();
}

FeatureInputLayer::FeatureInputLayer(std::string name, FeatureInputOptions options)
    : NormalizingInputLayer(name, "Feature Input",
                            ActivationInfo{Shape{positiveChannels(name, "Feature Input", options.channels), 1},
                                           DimFormat("CB")},
                            false, std::move(options.normalization)),
      channels_(options.channels) {}

std::string FeatureInputLayer::description() const {
  return detail::cat(channels_, " features") + normalizationSuffix();
}

}  // namespace dlcam
