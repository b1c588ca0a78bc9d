// Matrix kernels on column-major tensors, through Eigen's GEMM.
#pragma once

#include "core/tensor.h"

namespace dlcam::kernels::cpu {

// Matrices as stored (column-major): a is rowsA×colsA, b is rowsB×colsB; `pages`
// consecutive matrices in each operand.
struct GemmParams {
  int64_t rowsA = 0, colsA = 0, rowsB = 0, colsB = 0;
  int64_t pages = 1;
  bool transposeA = false;
  bool transposeB = false;
};

// C = op(A)·op(B) per page, op = transpose where asked. Out: m×n×pages.
Tensor gemm(const Tensor& a, const Tensor& b, const GemmParams& params);

struct FullyConnectParams {
  int64_t inputs = 0;   // I
  int64_t columns = 0;  // N
  int64_t outputs = 0;  // O
};
// out[o, n] = Σ_i w[o, i] x[i, n] + bias[o]. x: I×N, w: O×I, bias: O or undefined. Out: O×N.
Tensor fullyConnect(const Tensor& x, const FullyConnectParams& params, const Tensor& w, const Tensor& bias);

// Row sums of an O×N matrix: the bias gradient.
Tensor rowSums(const Tensor& g, int64_t rows, int64_t cols);

}  // namespace dlcam::kernels::cpu
