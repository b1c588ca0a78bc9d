#include "kernels/resize.h"

#ifdef DLCAM_HAVE_CUDA
#include "kernels/cuda/resize.h"
#endif

namespace dlcam::kernels {

// Without the CUDA backend no tensor can be on the GPU, so every call takes the CPU branch.

Tensor resizeAlong(const Tensor& x, int dim, const ResizeTable& table) {
#ifdef DLCAM_HAVE_CUDA
  if (deviceOf(x) == Device::GPU) return cuda::resizeAlong(x, dim, table);
#endif
  return cpu::resizeAlong(x, dim, table);
}

Tensor resizeAlongBackward(const Tensor& g, int dim, const ResizeTable& table) {
#ifdef DLCAM_HAVE_CUDA
  if (deviceOf(g) == Device::GPU) return cuda::resizeAlongBackward(g, dim, table);
#endif
  return cpu::resizeAlongBackward(g, dim, table);
}

// A plan's passes, each on the tensor's device (qualified calls: the cpu:: table type would
// also find the cpu:: versions by ADL).

Tensor resize(const Tensor& x, const ResizePlan& plan) {
  DLCAM_ASSERT(x.shape() == plan.inShape, "resize of ", x.shape().str(), " with a plan for ", plan.inShape.str());
  Tensor y = x;
  for (const ResizePass& p : plan.passes) y = kernels::resizeAlong(y, p.dim, p.table);
  return y;
}

Tensor resizeBackward(const Tensor& g, const ResizePlan& plan) {
  DLCAM_ASSERT(g.shape() == plan.outShape, "resizeBackward of ", g.shape().str(), " with a plan for ",
               plan.outShape.str());
  Tensor gx = g;
  for (auto p = plan.passes.rbegin(); p != plan.passes.rend(); ++p)
    gx = kernels::resizeAlongBackward(gx, p->dim, p->table);
  return gx;
}

}  // namespace dlcam::kernels
