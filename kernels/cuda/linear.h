// GPU matrix kernels (cuBLAS): the same operations and layouts as kernels/cpu/linear.h, on
// GPU tensors of float32 or float64. Called through kernels/linear.h.
#pragma once

#include "kernels/cpu/linear.h"

namespace dlcam::kernels::cuda {

// C = op(A)·op(B) per page. a, b: GPU, column-major, params.pages pages each. Out: m×n×pages.
Tensor gemm(const Tensor& a, const Tensor& b, const cpu::GemmParams& params);
// out = w·x + bias. x: I×N, w: O×I, bias: O or undefined; all on the GPU. Out: O×N.
Tensor fullyConnect(const Tensor& x, const cpu::FullyConnectParams& params, const Tensor& w, const Tensor& bias);
// Row sums of an O×N GPU matrix. Out: {O}.
Tensor rowSums(const Tensor& g, int64_t rows, int64_t cols);

}  // namespace dlcam::kernels::cuda
