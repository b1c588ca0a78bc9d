#include "autodiff/conv.h"

#include <algorithm>

#include "autodiff/per_dimension.h"
#include "autodiff/tape.h"
#include "kernels/conv.h"
#include "kernels/layout.h"

namespace dlcam {

// Dispatch headers: every kc:: call runs on the device of its inputs (kernels/dispatch.h).
namespace kc = kernels;

namespace {

// How x's labels map onto the kernel layout [spatial…, C, B].
struct Layout {
  int spatialDims = 1;
  bool sequence = false;  // "CT" / "CBT": T is moved to the front and plays the spatial dim
  bool hasBatch = false;
};

std::string describe(const Array& x) { return detail::cat(x.shape().str(), " \"", x.format().str(), "\""); }

Layout layoutOf(const Array& x) {
  const DimFormat& f = x.format();
  const int spatial = f.count('S');
  const bool hasT = f.find('T') >= 0;
  if (spatial == 0 && !hasT)
    fail("conv: x needs 1 to 3 S dims (\"SSCB\") or a T dim (\"CBT\"), got ", describe(x));
  if (spatial > 3) fail("conv: x has ", spatial, " S dims, at most 3 are supported; got ", describe(x));
  if (spatial > 0 && hasT)
    fail("conv: x has both S and T dims; convolve over S (\"S…CB\") or over T (\"CBT\"), got ", describe(x));
  if (f.find('C') < 0) fail("conv: x needs a C dim, got ", describe(x));
  if (f.count('U') > 0) fail("conv: x must not have U dims, got ", describe(x));
  return Layout{hasT ? 1 : spatial, hasT, f.find('B') >= 0};
}

// x's layout → the kernel layout.
Tensor toKernel(const Tensor& t, const Layout& l) {
  if (l.sequence) {
    if (l.hasBatch) return kc::permute(t, {2, 0, 1});  // C B T → T C B
    return kc::permute(t, {1, 0}).reshaped(Shape{t.shape()[1], t.shape()[0], 1});  // C T → T C 1
  }
  if (l.hasBatch) return t;
  std::vector<int64_t> dims = t.shape().dims();
  dims.push_back(1);
  return t.reshaped(Shape(dims));
}

// The kernel layout → x's layout.
Tensor fromKernel(const Tensor& t, const Layout& l) {
  if (l.sequence) {
    if (l.hasBatch) return kc::permute(t, {1, 2, 0});                                 // T C B → C B T
    return kc::permute(t.reshaped(Shape{t.shape()[0], t.shape()[1]}), {1, 0});  // T C → C T
  }
  if (l.hasBatch) return t;
  std::vector<int64_t> dims = t.shape().dims();
  dims.pop_back();
  return t.reshaped(Shape(dims));
}

kc::ConvGeometry resolveGeometry(const Array& x, const Tensor& xk, const Array& weights, const Layout& l,
                                 const ConvOptions& o) {
  const int d = l.spatialDims;
  const auto du = static_cast<size_t>(d);
  kc::ConvGeometry g;
  g.spatialDims = d;
  for (int a = 0; a < d; ++a) g.in[static_cast<size_t>(a)] = xk.shape()[a];
  g.channels = xk.shape()[d];
  g.batch = xk.shape()[d + 1];

  const Shape& ws = weights.shape();
  std::vector<int64_t> wd = ws.dims();
  if (wd.size() > du + 2 && std::any_of(wd.begin() + d + 2, wd.end(), [](int64_t s) { return s != 1; }))
    fail("conv: weights for a ", d, "-D convolution need shape k_1 x ... x k_", d, " x C/groups x F (", d + 2,
         " dims), got ", ws.str());
  wd.resize(du + 2, 1);
  for (int a = 0; a < d; ++a) {
    g.kernel[static_cast<size_t>(a)] = wd[static_cast<size_t>(a)];
    if (wd[static_cast<size_t>(a)] < 1)
      fail("conv: kernel sizes must be positive, got weights of shape ", ws.str());
  }
  const int64_t perGroup = wd[du];
  g.filters = wd[du + 1];
  g.groups = o.groups;
  if (g.groups < 1) fail("conv: groups must be at least 1, got ", g.groups);
  if (g.channels % g.groups != 0)
    fail("conv: x has C = ", g.channels, " channels, which is not divisible by groups = ", g.groups, " (x ",
         describe(x), ")");
  if (g.filters % g.groups != 0)
    fail("conv: the weights have F = ", g.filters, " filters (last dim of ", ws.str(),
         "), which is not divisible by groups = ", g.groups);
  int64_t grouped = 0;
  if (__builtin_mul_overflow(perGroup, g.groups, &grouped) || grouped != g.channels)
    fail("conv: x has C = ", g.channels, " channels (", describe(x), ") and groups = ", g.groups,
         ", so the weights need C/groups = ", g.channels / g.groups, " in dim ", d + 1, ", but the weights of shape ",
         ws.str(), " have ", perGroup);

  const std::string where = detail::cat("one per spatial dim of a ", d, "-D convolution");
  const std::vector<int64_t> stride = detail::perDimension(o.stride, du, std::vector<int64_t>(du, 1), "conv: stride", where);
  const std::vector<int64_t> dilation = detail::perDimension(o.dilation, du, std::vector<int64_t>(du, 1), "conv: dilation", where);
  for (int a = 0; a < d; ++a) {
    const auto au = static_cast<size_t>(a);
    if (stride[au] < 1) fail("conv: stride must be positive, got ", detail::bracketed(o.stride));
    if (dilation[au] < 1) fail("conv: dilation must be positive, got ", detail::bracketed(o.dilation));
    g.stride[au] = stride[au];
    g.dilation[au] = dilation[au];
  }

  const ConvPadding& pad = o.padding;
  if (pad.mode == ConvPadding::Mode::Causal && d != 1)
    fail("conv: causal padding is for 1-D convolution only, x ", describe(x), " has ", d, " spatial dims");
  if (pad.mode != ConvPadding::Mode::Explicit && !(pad.before.empty() && pad.after.empty()))
    fail("conv: 'same' and 'causal' padding compute their own amounts; got explicit values before ",
         detail::bracketed(pad.before), ", after ", detail::bracketed(pad.after));
  std::vector<int64_t> before = detail::perDimension(pad.before, du, std::vector<int64_t>(du, 0), "conv: padding (before)", where);
  std::vector<int64_t> after = detail::perDimension(pad.after, du, std::vector<int64_t>(du, 0), "conv: padding (after)", where);
  for (int a = 0; a < d; ++a) {
    const auto au = static_cast<size_t>(a);
    const int64_t in = g.in[au], k = g.kernel[au], s = g.stride[au];
    int64_t span = 0;  // the kernel's extent with dilation: (k − 1)·dilation + 1
    if (__builtin_mul_overflow(k - 1, g.dilation[au], &span) || __builtin_add_overflow(span, 1, &span))
      fail("conv: the kernel (", k, " with dilation ", g.dilation[au], ") spans more than 2^63 - 1 positions along spatial dim ",
           a + 1, "; x ", describe(x), ", weights ", ws.str());
    if (pad.mode == ConvPadding::Mode::Explicit && (before[au] < 0 || after[au] < 0))
      fail("conv: padding must not be negative, got before ", detail::bracketed(pad.before), ", after ", detail::bracketed(pad.after));
    if (pad.mode == ConvPadding::Mode::Same) {
      const int64_t out = in / s + (in % s != 0);
      // (out − 1)·s + span − in, ordered so that no step overflows: (out − 1)·s < in.
      const int64_t total = std::max<int64_t>(span - (in - (out - 1) * s), 0);
      before[au] = total / 2;
      after[au] = total - total / 2;
      g.out[au] = out;
    } else {
      if (pad.mode == ConvPadding::Mode::Causal) {
        before[au] = span - 1;
        after[au] = 0;
      }
      int64_t padded = 0;
      if (__builtin_add_overflow(in, before[au], &padded) || __builtin_add_overflow(padded, after[au], &padded))
        fail("conv: the padded input (", in, " + ", before[au], " + ", after[au], ") along spatial dim ", a + 1,
             " does not fit in int64; x ", describe(x), ", weights ", ws.str());
      if (padded < span)
        fail("conv: the kernel (", k, " with dilation ", g.dilation[au], ", spanning ", span,
             ") is larger than the padded input (", in, " + ", before[au], " + ", after[au], " = ", padded,
             ") along spatial dim ", a + 1, "; x ", describe(x), ", weights ", ws.str());
      g.out[au] = (padded - span) / s + 1;
    }
    g.padBefore[au] = before[au];
    g.padAfter[au] = after[au];
  }
  return g;
}

}  // namespace

Array conv(const Array& x, const Array& weights, const Array& bias, const ConvOptions& options) {
  if (!x.defined() || !weights.defined()) fail("conv: x and weights must be defined arrays");
  const Layout layout = layoutOf(x);
  if (weights.dtype() != x.dtype() || (bias.defined() && bias.dtype() != x.dtype()))
    fail("conv: x, weights and bias must have the same dtype, got x ", dtypeName(x.dtype()), ", weights ",
         dtypeName(weights.dtype()), (bias.defined() ? ", bias " + dtypeName(bias.dtype()) : std::string()));
  const Tensor xk = toKernel(x.value(), layout);
  const kc::ConvGeometry g = resolveGeometry(x, xk, weights, layout, options);
  if (bias.defined() && bias.numel() != g.filters)
    fail("conv: bias needs F = ", g.filters, " elements (one per filter), got shape ", bias.shape().str());

  const Tensor w = weights.value();
  Array out(fromKernel(kc::convForward(xk, w, bias.defined() ? bias.value() : Tensor(), g), layout), x.format());
  if (!detail::anyTraced({&x, &weights, &bias})) return out;

  std::vector<const Array*> inputs = {&x, &weights};
  if (bias.defined()) inputs.push_back(&bias);
  // Each gradient needs only the other operand: keep x only when the weights may want a
  // gradient, and the weights only when x may.
  const Tensor keptX = weights.isTraced() ? xk : Tensor();
  const Tensor keptW = x.isTraced() ? w : Tensor();
  const Shape wShape = weights.shape(), bShape = bias.defined() ? bias.shape() : Shape();
  detail::record(out, "conv", inputs, [=](const Tensor& grad, const std::vector<bool>& needed) {
    const Tensor gk = toKernel(grad, layout);
    std::vector<Tensor> grads(needed.size());
    if (needed[0]) grads[0] = fromKernel(kc::convBackwardData(gk, keptW, g), layout);
    if (needed[1]) grads[1] = kc::convBackwardWeights(gk, keptX, g).reshaped(wShape);
    if (needed.size() > 2 && needed[2]) grads[2] = kc::convBackwardBias(gk, g).reshaped(bShape);
    return grads;
  });
  return out;
}

}  // namespace dlcam
