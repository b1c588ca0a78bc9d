// Matrix kernels on column-major tensors, through Eigen's GEMM.
#pragma once

#include "core/tensor.h"

namespace dlcam::kernels::cpu {

struct GemmParams {
  bool transposeA = false;
  bool transposeB = false;
};

// C = op(A)·op(B) for matrices given by their rows/cols in column-major storage: a is
// rowsA×colsA, b is rowsB×colsB. Pages: `pages` consecutive matrices in each operand.
Tensor gemm(const Tensor& a, int64_t rowsA, int64_t colsA, const Tensor& b, int64_t rowsB, int64_t colsB,
            int64_t pages, const GemmParams& params);

// out[o, n] = Σ_i w[o, i] x[i, n] + bias[o]. x: I×N, w: O×I, bias: O or undefined.
Tensor fullyConnect(const Tensor& x, int64_t inputs, int64_t columns, const Tensor& w, const Tensor& bias);

// Row sums of an O×N matrix: the bias gradient.
Tensor rowSums(const Tensor& g, int64_t rows, int64_t cols);

}  // namespace dlcam::kernels::cpu
