#include "layers/conv_layer.h"

#include <algorithm>
#include <cstdint>

#include "autodiff/per_dimension.h"

namespace dlcam {

ConvolutionLayer::ConvolutionLayer(std::string name, ConvolutionOptions options)
    : Layer(std::move(name)), spatialDims_(options.spatialDims), options_(std::move(options.conv)) {
  const int d = spatialDims_;
  if (d < 1 || d > 3) failHere(detail::cat("spatialDims must be 1, 2 or 3, got ", d));
  const auto du = static_cast<size_t>(d);
  const Array& w = options.weights;
  if (!w.defined()) failHere("the weights are missing");

  std::vector<int64_t> wd = w.shape().dims();
  if (wd.size() > du + 2 && std::any_of(wd.begin() + d + 2, wd.end(), [](int64_t s) { return s != 1; }))
    failHere(detail::cat("the weights of a ", d, "-D convolution need shape k_1 × … × k_", d,
                         " × C/groups × F, got ", w.shape().str()));
  wd.resize(du + 2, 1);
  filterSize_.assign(wd.begin(), wd.begin() + d);
  for (int64_t k : filterSize_)
    if (k < 1) failHere("the filter sizes must be positive, got weights of shape " + w.shape().str());
  const int64_t g = options_.groups;
  if (g < 1) failHere(detail::cat("groups must be at least 1, got ", g));
  if (__builtin_mul_overflow(wd[du], g, &channels_))
    failHere(detail::cat("the channel count (", wd[du], " per group × ", g, " groups) does not fit in int64"));
  filters_ = wd[du + 1];
  if (filters_ % g != 0)
    failHere(detail::cat("the weights (", w.shape().str(), ") have ", filters_,
                         " filters, which is not divisible by groups = ", g));
  learnables_.push_back({"Weights", Array(w.value().reshaped(Shape(wd)))});

  const Array& b = options.bias;
  if (b.defined()) {
    if (b.numel() != filters_)
      failHere(detail::cat("the bias needs ", filters_, " values (one per filter), got shape ", b.shape().str()));
    if (b.dtype() != w.dtype())
      failHere("the weights and the bias must have the same dtype, got " + dtypeName(w.dtype()) + " and " +
               dtypeName(b.dtype()));
    learnables_.push_back({"Bias", b});
  }

  const std::string where = detail::cat("one per spatial dim of layer '", name_, "'");
  const std::vector<int64_t> ones(du, 1), zeros(du, 0);
  stride_ = detail::perDimension(options_.stride, du, ones, "stride", where);
  dilation_ = detail::perDimension(options_.dilation, du, ones, "dilation", where);
  for (size_t a = 0; a < du; ++a) {
    if (stride_[a] < 1) failHere("the stride must be positive, got " + detail::bracketed(options_.stride));
    if (dilation_[a] < 1) failHere("the dilation must be positive, got " + detail::bracketed(options_.dilation));
    // inferOutput computes the span (k − 1)·dilation + 1 unchecked.
    int64_t span = 0;
    if (__builtin_mul_overflow(filterSize_[a] - 1, dilation_[a], &span) || span == INT64_MAX)
      failHere(detail::cat("the filter (", filterSize_[a], " with dilation ", dilation_[a], ") spans more than 2^63 - 1 ",
                           "positions along spatial dim ", a + 1));
  }
  const ConvPadding& pad = options_.padding;
  if (pad.mode != ConvPadding::Mode::Explicit && !(pad.before.empty() && pad.after.empty()))
    failHere("'same' and 'causal' padding compute their own amounts; got explicit values before " +
             detail::bracketed(pad.before) + ", after " + detail::bracketed(pad.after));
  if (pad.mode == ConvPadding::Mode::Causal && d != 1)
    failHere(detail::cat("causal padding is for 1-D convolution only, this layer has ", d, " spatial dims"));
  padBefore_ = detail::perDimension(pad.before, du, zeros, "padding (before)", where);
  padAfter_ = detail::perDimension(pad.after, du, zeros, "padding (after)", where);
  for (size_t a = 0; a < du; ++a)
    if (padBefore_[a] < 0 || padAfter_[a] < 0)
      failHere("the padding must not be negative, got before " + detail::bracketed(pad.before) + ", after " +
               detail::bracketed(pad.after));
}

std::string ConvolutionLayer::type() const {
  return detail::cat(spatialDims_, "-D ", options_.groups > 1 ? "Grouped " : "", "Convolution");
}

std::string ConvolutionLayer::description() const {
  const int64_t g = options_.groups;
  std::vector<int64_t> filter = filterSize_;
  filter.push_back(channels_ / g);
  std::string out = g > 1 ? detail::cat(g, " groups of ", filters_ / g, " ") : detail::cat(filters_, " ");
  out += detail::sizesText(filter) + " convolutions with stride " + detail::bracketed(stride_);
  if (std::any_of(dilation_.begin(), dilation_.end(), [](int64_t v) { return v != 1; }))
    out += ", dilation " + detail::bracketed(dilation_) + ",";
  out += " and padding ";
  switch (options_.padding.mode) {
    case ConvPadding::Mode::Same: return out + "'same'";
    case ConvPadding::Mode::Causal: return out + "'causal'";
    case ConvPadding::Mode::Explicit: break;
  }
  std::vector<int64_t> pads;
  for (size_t a = 0; a < padBefore_.size(); ++a) {
    pads.push_back(padBefore_[a]);
    pads.push_back(padAfter_[a]);
  }
  return out + detail::bracketed(pads);
}

const Array& ConvolutionLayer::bias() const {
  if (!hasBias()) failHere("the layer has no bias");
  return learnables_[1].value;
}

ActivationInfo ConvolutionLayer::inferOutput(std::span<const ActivationInfo> inputs) const {
  expectInputs(inputs.size());
  const ActivationInfo& in = inputs[0];
  const DimFormat& f = in.format;
  const int d = spatialDims_;
  const int spatial = f.count('S'), t = f.find('T'), c = f.find('C');
  const bool sequence = d == 1 && spatial == 0 && t >= 0;
  if (c < 0 || f.count('U') > 0 || !(sequence || (spatial == d && t < 0))) {
    const std::string example = std::string(static_cast<size_t>(d), 'S') + "CB";
    failHere(detail::cat("expects input with ", d, " S dims, C and B (\"", example, "\")",
                         d == 1 ? " or a sequence (\"CBT\")" : "", ", got ", in.str(), " (\"", f.str(), "\")"));
  }
  if (in.size[c] != channels_)
    failHere(detail::cat("expects ", channels_, " channels (weights ", weights().shape().str(), ", groups ",
                         options_.groups, "), got ", in.size[c], " channels in input ", in.str()));

  ActivationInfo out = in;
  out.size[c] = filters_;
  for (int a = 0; a < d; ++a) {
    const auto au = static_cast<size_t>(a);
    const int dim = sequence ? t : a;
    const int64_t size = in.size[dim], s = stride_[au];
    const int64_t span = (filterSize_[au] - 1) * dilation_[au] + 1;
    switch (options_.padding.mode) {
      case ConvPadding::Mode::Same: out.size[dim] = size / s + (size % s != 0); break;
      case ConvPadding::Mode::Causal: out.size[dim] = (size - 1) / s + 1; break;
      case ConvPadding::Mode::Explicit: {
        int64_t padded = 0;
        if (__builtin_add_overflow(size, padBefore_[au], &padded) || __builtin_add_overflow(padded, padAfter_[au], &padded))
          failHere(detail::cat("the padded input (", size, " + ", padBefore_[au], " + ", padAfter_[au], ") along ",
                               sequence ? "T" : "spatial dim ", sequence ? "" : std::to_string(a + 1),
                               " does not fit in int64; input ", in.str()));
        if (padded < span)
          failHere(detail::cat("the filter (", filterSize_[au], " with dilation ", dilation_[au], ", spanning ", span,
                               ") is larger than the padded input (", size, " + ", padBefore_[au], " + ",
                               padAfter_[au], " = ", padded, ") along ", sequence ? "T" : "spatial dim ",
                               sequence ? "" : std::to_string(a + 1), "; input ", in.str()));
        out.size[dim] = (padded - span) / s + 1;
      }
    }
  }
  return out;
}

Array ConvolutionLayer::forward(std::span<const Array> inputs, ForwardContext&) const {
  expectInputs(inputs.size());
  const Array& x = inputs[0];
  const ActivationInfo info{x.shape(), x.format()};
  inferOutput(std::span(&info, 1));
  return conv(x, weights(), hasBias() ? bias() : Array(), options_);
}

}  // namespace dlcam
