#include "autodiff/resize.h"

#include <memory>

#include "autodiff/tape.h"
#include "core/error.h"
#include "core/limits.h"
#include "kernels/resize.h"

namespace dlcam {

namespace kc = kernels;

namespace {

kc::ResizeKernel kernelOf(ResizeMethod m) {
  switch (m) {
    case ResizeMethod::Nearest: return kc::ResizeKernel::Box;
    case ResizeMethod::Linear: return kc::ResizeKernel::Triangle;
    case ResizeMethod::Cubic: return kc::ResizeKernel::Cubic;
  }
  fail("resize: unknown method ", static_cast<int>(m));
}

}  // namespace

Array resize(const Array& x, const std::vector<int64_t>& outputSize, const ResizeOptions& options) {
  const DimFormat& fmt = x.format();
  std::vector<int> dims = fmt.spatialDims();
  const char* what = "S";
  if (dims.empty() && fmt.find('T') >= 0) {
    dims = {fmt.find('T')};
    what = "T";
  }
  if (dims.empty())
    fail("resize: x needs S dimensions or a T dimension to resize, got format \"", fmt.str(), "\" (shape ",
         x.shape().str(), ")");
  if (outputSize.size() != dims.size())
    fail("resize: outputSize needs ", dims.size(), " values (one per ", what, " dimension of format \"", fmt.str(),
         "\"), got ", outputSize.size(), " ", detail::bracketed(outputSize));
  for (size_t k = 0; k < dims.size(); ++k) {
    if (outputSize[k] <= 0) fail("resize: output sizes must be positive, got ", detail::bracketed(outputSize));
    if (x.size(dims[k]) == 0)
      fail("resize: cannot resize an empty dimension (dimension ", dims[k], " of input ", x.shape().str(), " ",
           fmt.str(), ")");
  }

  // The output must fit under the memory cap, checked before the plan's tables (as long as
  // the output's sizes) are built for it.
  std::vector<int64_t> outDims = x.shape().dims();
  for (size_t k = 0; k < dims.size(); ++k) outDims[static_cast<size_t>(dims[k])] = outputSize[k];
  int64_t outBytes = static_cast<int64_t>(sizeOf(x.dtype()));
  for (int64_t size : outDims)
    if (outBytes >= 0 && __builtin_mul_overflow(outBytes, size, &outBytes)) outBytes = -1;  // "more than 8 EiB"
  if (!fitsMemoryCap(outBytes, x.device()))
    checkMemoryCap(outBytes, x.device(), detail::cat("resize: the ", dtypeName(x.dtype()), " output of size ",
                                                     detail::sizesText(outDims)));

  kc::ResizeParams params;
  params.dims = dims;
  params.outSizes = outputSize;
  params.kernel = kernelOf(options.method);
  params.antialiasing = options.antialiasing && options.method != ResizeMethod::Nearest;
  params.border = options.border;
  auto plan = std::make_shared<const kc::ResizePlan>(kc::planResize(x.shape(), params));

  Array out(kc::resize(x.value(), *plan), fmt);
  if (detail::anyTraced(x))
    detail::record(out, "resize", {&x}, [plan](const Tensor& g, const std::vector<bool>& needed) {
      return std::vector<Tensor>{needed[0] ? kc::resizeBackward(g, *plan) : Tensor()};
    });
  return out;
}

}  // namespace dlcam
