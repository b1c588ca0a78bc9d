// Softmax and log-softmax over channels on the GPU, through cuDNN.
//
// dlcam's channel view inner × C × outer (column-major) is, read row-major, cuDNN's packed
// NCHW with N = outer, C = C, H = inner, W = 1, and CUDNN_SOFTMAX_MODE_CHANNEL normalises over
// C for each (n, h, w): the layout maps onto cuDNN for every format ("CB": inner = 1; "SSCB":
// inner = h·w). ACCURATE subtracts the maximum first, as the CPU kernel does; LOG is the
// log-softmax, and its backward is the CPU's g − exp(y)·Σ_c g. cuDNN's sizes are ints, so the
// outer dimension goes in chunks of at most INT_MAX elements.
#include <algorithm>
#include <climits>

#include "kernels/cuda/check.h"
#include "kernels/cuda/cudnn_descriptors.h"
#include "kernels/cuda/softmax.h"

namespace dlcam::kernels::cuda {

namespace {

cudnnSoftmaxAlgorithm_t algorithmOf(const SoftmaxLayout& l) { return l.log ? CUDNN_SOFTMAX_LOG : CUDNN_SOFTMAX_ACCURATE; }

// Calls run(descriptor, first element) for each chunk of whole samples along outer.
template <typename T, typename Run>
void forEachChunk(const SoftmaxLayout& l, Run run) {
  const int64_t sample = l.channels * l.inner;
  const int64_t perChunk = std::min<int64_t>(l.outer, INT_MAX / sample);
  TensorDescriptor desc;
  for (int64_t first = 0; first < l.outer; first += perChunk) {
    const int64_t n = std::min(perChunk, l.outer - first);
    desc.setPacked(cudnnType<T>(), {static_cast<int>(n), static_cast<int>(l.channels), static_cast<int>(l.inner), 1});
    run(desc.get(), first * sample);
  }
}

}  // namespace

bool softmaxFits(const SoftmaxLayout& l) { return l.channels * l.inner <= INT_MAX; }

Tensor softmax(const Tensor& x, const SoftmaxLayout& l) {
  DLCAM_ASSERT(l.inner * l.channels * l.outer == x.numel() && softmaxFits(l), "softmax layout for ", x.shape().str());
  Tensor y = emptyOnGpu(x.shape(), x.dtype());
  if (x.numel() == 0) return y;
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T one = 1, none = 0;  // scaling factors in the data type (cuDNN reads doubles for double data)
    const T* xp = x.deviceData<T>();
    T* yp = y.deviceData<T>();
    forEachChunk<T>(l, [&](cudnnTensorDescriptor_t desc, int64_t at) {
      DLCAM_CUDNN_CHECK(cudnnSoftmaxForward(cudnnHandle(), algorithmOf(l), CUDNN_SOFTMAX_MODE_CHANNEL, &one, desc,
                                            xp + at, &none, desc, yp + at));
    });
  });
  return y;
}

Tensor softmaxBackward(const Tensor& g, const Tensor& y, const SoftmaxLayout& l) {
  DLCAM_ASSERT(g.shape() == y.shape() && g.dtype() == y.dtype(), "softmaxBackward ", g.shape().str(), " vs ",
               y.shape().str());
  DLCAM_ASSERT(l.inner * l.channels * l.outer == g.numel() && softmaxFits(l), "softmax layout for ", g.shape().str());
  Tensor dx = emptyOnGpu(g.shape(), g.dtype());
  if (g.numel() == 0) return dx;
  visitFloat(g.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T one = 1, none = 0;
    const T* gp = g.deviceData<T>();
    const T* yp = y.deviceData<T>();
    T* dp = dx.deviceData<T>();
    forEachChunk<T>(l, [&](cudnnTensorDescriptor_t desc, int64_t at) {
      DLCAM_CUDNN_CHECK(cudnnSoftmaxBackward(cudnnHandle(), algorithmOf(l), CUDNN_SOFTMAX_MODE_CHANNEL, &one, desc,
                                             yp + at, desc, gp + at, &none, desc, dp + at));
    });
  });
  return dx;
}

}  // namespace dlcam::kernels::cuda
