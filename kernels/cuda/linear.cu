// GPU matrix kernels: cuBLAS on dlcam's stream and handle (kernels/cuda/check.h).
//
// Tensors are column-major, cuBLAS's own order, so a page of a rowsA×colsA tensor is passed
// as it is with leading dimension rowsA; transposes become CUBLAS_OP_T. The handle runs in
// CUBLAS_DEFAULT_MATH (set where it is created): float32 products are computed in full
// float32, never TF32, because the GPU results are checked against the CPU backend's.
#include <climits>
#include <type_traits>

#include "kernels/cuda/check.h"
#include "kernels/cuda/linear.h"

namespace dlcam::kernels::cuda {

namespace {

// cuBLAS's classic API takes int sizes; larger matrices are refused rather than truncated.
int asInt(int64_t v, const char* what) {
  if (v < 0 || v > INT_MAX) fail("GPU matrix product: ", what, " = ", v, " does not fit cuBLAS's int sizes");
  return static_cast<int>(v);
}

cublasOperation_t op(bool transpose) { return transpose ? CUBLAS_OP_T : CUBLAS_OP_N; }

// C = alpha·op(A)·op(B) + beta·C for `pages` pages, cuBLAS's strided batched GEMM.
void gemmPages(bool ta, bool tb, int m, int n, int k, double alpha, const float* a, int lda, long long strideA,
               const float* b, int ldb, long long strideB, double beta, float* c, int ldc, long long strideC,
               int pages) {
  const float al = static_cast<float>(alpha), be = static_cast<float>(beta);
  DLCAM_CUBLAS_CHECK(cublasSgemmStridedBatched(cublasHandle(), op(ta), op(tb), m, n, k, &al, a, lda, strideA, b, ldb,
                                               strideB, &be, c, ldc, strideC, pages));
}

void gemmPages(bool ta, bool tb, int m, int n, int k, double alpha, const double* a, int lda, long long strideA,
               const double* b, int ldb, long long strideB, double beta, double* c, int ldc, long long strideC,
               int pages) {
  DLCAM_CUBLAS_CHECK(cublasDgemmStridedBatched(cublasHandle(), op(ta), op(tb), m, n, k, &alpha, a, lda, strideA, b,
                                               ldb, strideB, &beta, c, ldc, strideC, pages));
}

void gemv(int m, int n, const float* a, const float* x, float* y) {
  const float one = 1, zero = 0;
  DLCAM_CUBLAS_CHECK(cublasSgemv(cublasHandle(), CUBLAS_OP_N, m, n, &one, a, m, x, 1, &zero, y, 1));
}

void gemv(int m, int n, const double* a, const double* x, double* y) {
  const double one = 1, zero = 0;
  DLCAM_CUBLAS_CHECK(cublasDgemv(cublasHandle(), CUBLAS_OP_N, m, n, &one, a, m, x, 1, &zero, y, 1));
}

// out[r + rows·j] = v[r]: every column of a rows×cols matrix set to v (the bias, before the
// GEMM adds w·x onto it).
template <typename T>
__global__ void broadcastColumn(const T* v, int64_t rows, int64_t cols, T* out) {
  const int64_t n = rows * cols;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    out[i] = v[i % rows];
}

}  // namespace

Tensor gemm(const Tensor& a, const Tensor& b, const cpu::GemmParams& p) {
  const int64_t m = p.transposeA ? p.colsA : p.rowsA, k = p.transposeA ? p.rowsA : p.colsA;
  const int64_t kb = p.transposeB ? p.colsB : p.rowsB, n = p.transposeB ? p.rowsB : p.colsB;
  if (k != kb) fail("matrix product: inner sizes differ (", m, "x", k, " times ", kb, "x", n, ")");
  DLCAM_ASSERT(a.dtype() == b.dtype(), "GPU gemm of ", dtypeName(a.dtype()), " and ", dtypeName(b.dtype()));
  DLCAM_ASSERT(a.numel() == p.rowsA * p.colsA * p.pages && b.numel() == p.rowsB * p.colsB * p.pages,
               "GPU gemm: operands ", a.shape().str(), " and ", b.shape().str(), " do not match the parameters");
  Tensor c = emptyOnGpu(Shape{m, n, p.pages}, a.dtype());
  if (c.numel() == 0) return c;
  visitFloat(a.dtype(), [&](auto zeroValue) {
    using T = decltype(zeroValue);
    if (k == 0) {  // an empty sum; cuBLAS is not asked what it makes of k = 0
      zero(c.deviceData<T>(), static_cast<size_t>(c.numel()) * sizeof(T));
      return;
    }
    gemmPages(p.transposeA, p.transposeB, asInt(m, "rows"), asInt(n, "columns"), asInt(k, "inner size"), 1.0,
              a.deviceData<T>(), asInt(p.rowsA, "rows of A"), p.rowsA * p.colsA, b.deviceData<T>(),
              asInt(p.rowsB, "rows of B"), p.rowsB * p.colsB, 0.0, c.deviceData<T>(), asInt(m, "rows"), m * n,
              asInt(p.pages, "pages"));
  });
  return c;
}

Tensor fullyConnect(const Tensor& x, const cpu::FullyConnectParams& p, const Tensor& w, const Tensor& bias) {
  const int64_t inputs = p.inputs, columns = p.columns, outputs = p.outputs;
  if (!bias.defined()) return gemm(w, x, {.rowsA = outputs, .colsA = inputs, .rowsB = inputs, .colsB = columns});
  DLCAM_ASSERT(bias.numel() == outputs && bias.dtype() == x.dtype() && w.dtype() == x.dtype(),
               "GPU fullyConnect: bias ", bias.shape().str(), " for ", outputs, " outputs");
  DLCAM_ASSERT(x.numel() == inputs * columns && w.numel() == outputs * inputs, "GPU fullyConnect: x ",
               x.shape().str(), ", w ", w.shape().str(), " for ", inputs, " inputs");
  // y starts as the bias in every column and the GEMM adds w·x onto it (beta = 1): one pass
  // over y instead of a GEMM and then a broadcast add.
  Tensor y = emptyOnGpu(Shape{outputs, columns, 1}, x.dtype());
  if (y.numel() == 0) return y;
  visitFloat(x.dtype(), [&](auto zeroValue) {
    using T = decltype(zeroValue);
    T* out = y.deviceData<T>();
    broadcastColumn<T><<<blocksFor(y.numel()), kThreads, 0, stream()>>>(bias.deviceData<T>(), outputs, columns, out);
    DLCAM_CUDA_CHECK_LAUNCH("broadcastColumn");
    if (inputs == 0) return;  // the empty sum: y is the bias
    gemmPages(false, false, asInt(outputs, "outputs"), asInt(columns, "columns"), asInt(inputs, "inputs"), 1.0,
              w.deviceData<T>(), asInt(outputs, "outputs"), 0, x.deviceData<T>(), asInt(inputs, "inputs"), 0, 1.0,
              out, asInt(outputs, "outputs"), 0, 1);
  });
  return y;
}

Tensor rowSums(const Tensor& g, int64_t rows, int64_t cols) {
  DLCAM_ASSERT(g.numel() == rows * cols, "GPU rowSums of ", g.shape().str(), " as ", rows, "x", cols);
  Tensor out = emptyOnGpu(Shape{rows}, g.dtype());
  if (rows == 0) return out;
  visitFloat(g.dtype(), [&](auto zeroValue) {
    using T = decltype(zeroValue);
    if (cols == 0) {
      zero(out.deviceData<T>(), static_cast<size_t>(rows) * sizeof(T));
      return;
    }
    // G·1 with cuBLAS's GEMV: it spreads the work well for any aspect ratio (a thread per
    // row would leave the GPU idle for a few rows of many columns).
    Scratch ones(static_cast<size_t>(cols) * sizeof(T));
    T* onesData = static_cast<T*>(ones.get());
    fill(onesData, 1.0, std::is_same_v<T, double>, cols);
    gemv(asInt(rows, "rows"), asInt(cols, "columns"), g.deviceData<T>(), onesData, out.deviceData<T>());
  });
  return out;
}

}  // namespace dlcam::kernels::cuda
