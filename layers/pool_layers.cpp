#include "layers/pool_layers.h"

#include <cctype>

#include "autodiff/per_dimension.h"

namespace dlcam {

namespace {

// The dims a d-D pooling layer pools in `in`: its S dims when it has d of them, or T for a
// 1-D layer on a sequence without S dims. Empty when the format does not fit.
std::vector<int> pooledDims(const DimFormat& f, int d) {
  if (f.find('C') < 0 || f.count('U') > 0) return {};
  if (f.count('S') == d) return f.spatialDims();
  if (d == 1 && f.count('S') == 0 && f.find('T') >= 0) return {f.find('T')};
  return {};
}

std::string formatProblem(const ActivationInfo& in, int d) {
  return detail::cat("expects input with ", d, " S dims and C (\"", std::string(static_cast<size_t>(d), 'S'), "CB\")",
                     d == 1 ? " or a sequence (\"CBT\")" : "", ", got ", in.str(), " (\"", in.format.str(), "\")");
}

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

}  // namespace

PoolingLayer::PoolingLayer(std::string name, const char* kind, PoolingOptions options)
    : Layer(std::move(name)), spatialDims_(options.spatialDims), kind_(kind), options_(std::move(options.pool)) {
  const int d = spatialDims_;
  if (d < 1 || d > 3) failHere(detail::cat("spatialDims must be 1, 2 or 3, got ", d));
  const auto du = static_cast<size_t>(d);
  if (options_.size.empty()) failHere(detail::cat("the pool size is required (1 or ", d, " values), got none"));
  const std::string where = detail::cat("one per pooled dim of layer '", name_, "'");
  window_ = detail::perDimension(options_.size, du, {}, "pool size", where);
  stride_ = detail::perDimension(options_.stride, du, window_, "stride", where);
  const PoolPadding& pad = options_.padding;
  const bool same = pad.mode == PoolPadding::Mode::Same;
  if (same && (!pad.before.empty() || !pad.after.empty()))
    failHere("'same' padding computes its own amounts; got explicit values before " + detail::bracketed(pad.before) +
             ", after " + detail::bracketed(pad.after));
  if (same && options_.ceilMode) failHere("ceilMode applies to explicit padding only, not to 'same' padding");
  const std::vector<int64_t> zeros(du, 0);
  padBefore_ = detail::perDimension(pad.before, du, zeros, "padding (before)", where);
  padAfter_ = detail::perDimension(pad.after, du, zeros, "padding (after)", where);
  for (size_t a = 0; a < du; ++a) {
    if (window_[a] < 1) failHere("the pool size must be positive, got " + detail::bracketed(options_.size));
    if (stride_[a] < 1) failHere("the stride must be positive, got " + detail::bracketed(options_.stride));
    if (padBefore_[a] < 0 || padAfter_[a] < 0 || padBefore_[a] >= window_[a] || padAfter_[a] >= window_[a])
      failHere("the padding must be non-negative and smaller than the pool size " + detail::bracketed(window_) +
               ", got before " + detail::bracketed(pad.before) + ", after " + detail::bracketed(pad.after));
  }
}

std::string PoolingLayer::type() const { return detail::cat(spatialDims_, "-D ", kind_, " Pooling"); }

std::string PoolingLayer::description() const {
  std::string out = detail::sizesText(window_) + " " + lower(kind_) + " pooling with stride " + detail::bracketed(stride_) +
                    " and padding ";
  if (options_.padding.mode == PoolPadding::Mode::Same) return out + "'same'";
  std::vector<int64_t> pads;
  for (size_t a = 0; a < padBefore_.size(); ++a) {
    pads.push_back(padBefore_[a]);
    pads.push_back(padAfter_[a]);
  }
  return out + detail::bracketed(pads);
}

ActivationInfo PoolingLayer::inferOutput(std::span<const ActivationInfo> inputs) const {
  expectInputs(inputs.size());
  const ActivationInfo& in = inputs[0];
  const std::vector<int> dims = pooledDims(in.format, spatialDims_);
  if (dims.empty()) failHere(formatProblem(in, spatialDims_));
  ActivationInfo out = in;
  for (size_t a = 0; a < dims.size(); ++a) {
    const int64_t size = in.size[dims[a]], k = window_[a], s = stride_[a], pb = padBefore_[a];
    if (size == 0) failHere("cannot pool over a dimension of size 0, input " + in.str());
    // Ceiling divisions as q + (r != 0) and checked sums: sizes, strides and padding near
    // 2^63 must give an error, not a wrapped (negative) size.
    if (options_.padding.mode == PoolPadding::Mode::Same) {
      out.size[dims[a]] = size / s + (size % s != 0);
      continue;
    }
    int64_t padded = 0;
    if (__builtin_add_overflow(size, pb, &padded) || __builtin_add_overflow(padded, padAfter_[a], &padded))
      failHere(detail::cat("the padded input (", size, " + ", pb, " + ", padAfter_[a], ") in pooled dim ", a + 1,
                           " does not fit in int64; input ", in.str()));
    if (k > padded)
      failHere(detail::cat("the pool size (", k, ") is larger than the padded input (", size, " + ", pb, " + ",
                           padAfter_[a], " = ", padded, ") in pooled dim ", a + 1, "; input ", in.str()));
    const int64_t room = padded - k;
    int64_t n = room / s + 1;
    if (options_.ceilMode && room % s != 0) {
      // ONNX/PyTorch: a ceil-mode window must start inside the input or the leading padding,
      // i.e. at n·s < size + pb; n·s overflowing means it starts past it.
      int64_t start = 0;
      if (!__builtin_mul_overflow(n, s, &start) && start < size + pb) ++n;
    }
    out.size[dims[a]] = n;
  }
  return out;
}

void PoolingLayer::check(const Array& x) const {
  const ActivationInfo info{x.shape(), x.format()};
  inferOutput(std::span(&info, 1));
}

Array MaxPoolingLayer::forward(std::span<const Array> inputs, ForwardContext&) const {
  expectInputs(inputs.size());
  check(inputs[0]);
  return maxPool(inputs[0], options_);
}

Array AveragePoolingLayer::forward(std::span<const Array> inputs, ForwardContext&) const {
  expectInputs(inputs.size());
  check(inputs[0]);
  return avgPool(inputs[0], options_);
}

GlobalPoolingLayer::GlobalPoolingLayer(std::string name, const char* kind, int spatialDims)
    : Layer(std::move(name)), spatialDims_(spatialDims), kind_(kind) {
  if (spatialDims_ < 1 || spatialDims_ > 3) failHere(detail::cat("spatialDims must be 1, 2 or 3, got ", spatialDims_));
}

std::string GlobalPoolingLayer::type() const { return detail::cat(spatialDims_, "-D Global ", kind_, " Pooling"); }

std::string GlobalPoolingLayer::description() const { return "Global " + lower(kind_) + " pooling"; }

ActivationInfo GlobalPoolingLayer::inferOutput(std::span<const ActivationInfo> inputs) const {
  expectInputs(inputs.size());
  const ActivationInfo& in = inputs[0];
  const std::vector<int> dims = pooledDims(in.format, spatialDims_);
  if (dims.empty()) failHere(formatProblem(in, spatialDims_));
  ActivationInfo out = in;
  for (int d : dims) {
    if (in.size[d] == 0) failHere("cannot pool over a dimension of size 0, input " + in.str());
    out.size[d] = 1;
  }
  return out;
}

void GlobalPoolingLayer::check(const Array& x) const {
  const ActivationInfo info{x.shape(), x.format()};
  inferOutput(std::span(&info, 1));
}

Array GlobalAveragePoolingLayer::forward(std::span<const Array> inputs, ForwardContext&) const {
  expectInputs(inputs.size());
  check(inputs[0]);
  return globalAvgPool(inputs[0]);
}

Array GlobalMaxPoolingLayer::forward(std::span<const Array> inputs, ForwardContext&) const {
  expectInputs(inputs.size());
  check(inputs[0]);
  return globalMaxPool(inputs[0]);
}

}  // namespace dlcam
