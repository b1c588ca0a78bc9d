// Resizing along one dimension on the GPU: the CPU's sparse weight tables applied by a kernel.
//
// A table is a sparse linear map along `dim` in CSR form: destination sample r is
// Σ_k weights[k] · source[cols[k]] over k in [start[r], start[r+1]). The forward map is the
// table itself (`taps` entries per output sample); the adjoint is its transpose, built on the
// host so that the backward pass is again a gather (one thread per output element, no
// atomics, results independent of scheduling). Each thread sums its entries in double, in
// table order, exactly as kernels/cpu/resize.cpp does, so the GPU and the CPU differ only by
// rounding (this is Grad-CAM's upsampling, compared against MATLAB's imresize).
#include <cstring>

#include "kernels/cpu/layout.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/resize.h"

namespace dlcam::kernels::cuda {

namespace {

using cpu::ResizeRows;
using cpu::ResizeTable;

// The rows copied to pool memory in one block (start, cols, weights: all 8-byte values), for
// the length of one call.
class RowsOnDevice {
 public:
  explicit RowsOnDevice(const ResizeRows& r)
      : starts_(r.start.size()), entries_(r.cols.size()), memory_(8 * (starts_ + 2 * entries_)) {
    std::vector<unsigned char> packed(memory_.bytes());
    std::memcpy(packed.data(), r.start.data(), 8 * starts_);
    std::memcpy(packed.data() + 8 * starts_, r.cols.data(), 8 * entries_);
    std::memcpy(packed.data() + 8 * (starts_ + entries_), r.weights.data(), 8 * entries_);
    copyToDevice(memory_.get(), packed.data(), packed.size());  // waits: `packed` goes at return
  }
  const int64_t* start() const { return static_cast<const int64_t*>(memory_.get()); }
  const int64_t* cols() const { return start() + starts_; }
  const double* weights() const { return reinterpret_cast<const double*>(cols() + entries_); }

 private:
  size_t starts_, entries_;
  Scratch memory_;
};

// dst (inner × rows × outer) = the rows applied to src (inner × srcLen × outer).
template <typename T>
__global__ void applyRowsKernel(const T* src, T* dst, const int64_t* start, const int64_t* cols, const double* weights,
                                int64_t inner, int64_t srcLen, int64_t rows, int64_t n) {
  for (int64_t e = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; e < n; e += int64_t{blockDim.x} * gridDim.x) {
    const int64_t i = e % inner, rest = e / inner;
    const int64_t r = rest % rows, q = rest / rows;
    const T* s = src + q * srcLen * inner + i;
    double acc = 0;
    for (int64_t k = start[r]; k < start[r + 1]; ++k) acc += weights[k] * static_cast<double>(s[cols[k] * inner]);
    dst[e] = static_cast<T>(acc);
  }
}

Tensor applyRows(const Tensor& src, int dim, const ResizeRows& rows) {
  const cpu::DimSplit a = cpu::splitAt(src.shape(), dim);
  const auto m = static_cast<int64_t>(rows.start.size()) - 1;
  Shape outShape = src.shape();
  outShape[dim] = m;
  Tensor out = emptyOnGpu(outShape, src.dtype());
  const int64_t n = out.numel();
  if (n == 0) return out;
  const RowsOnDevice table(rows);
  visitFloat(src.dtype(), [&](auto zero) {
    using T = decltype(zero);
    applyRowsKernel<T><<<blocksFor(n), kThreads, 0, stream()>>>(src.deviceData<T>(), out.deviceData<T>(),
                                                               table.start(), table.cols(), table.weights(), a.inner,
                                                               a.len, m, n);
    DLCAM_CUDA_CHECK_LAUNCH("applyRowsKernel");
  });
  return out;
}

}  // namespace

Tensor resizeAlong(const Tensor& x, int dim, const ResizeTable& table) {
  DLCAM_ASSERT(dim >= 0 && dim < x.rank() && x.shape()[dim] == table.inLength, "resizeAlong dim ", dim, " of ",
               x.shape().str(), " with a table for length ", table.inLength);
  return applyRows(x, dim, cpu::resizeRows(table));
}

Tensor resizeAlongBackward(const Tensor& g, int dim, const ResizeTable& table) {
  DLCAM_ASSERT(dim >= 0 && dim < g.rank() && g.shape()[dim] == table.outLength, "resizeAlongBackward dim ", dim,
               " of ", g.shape().str(), " with a table for length ", table.outLength);
  return applyRows(g, dim, cpu::transposedResizeRows(table));
}

}  // namespace dlcam::kernels::cuda
