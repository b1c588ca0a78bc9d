// Matrix products (gemm, fullyConnect, rowSums) on the CPU or the GPU: see
// kernels/cpu/linear.h for the semantics, kernels/dispatch.h for how the device is chosen.
// Column-major on both devices, which is also cuBLAS's order, so the GPU versions are plain
// cuBLAS calls on the same buffers.
#pragma once

#include "kernels/cpu/linear.h"
#include "kernels/dispatch.h"

namespace dlcam::kernels {

using cpu::FullyConnectParams;
using cpu::GemmParams;

Tensor gemm(const Tensor& a, const Tensor& b, const GemmParams& params);
Tensor fullyConnect(const Tensor& x, const FullyConnectParams& params, const Tensor& w, const Tensor& bias);
Tensor rowSums(const Tensor& g, int64_t rows, int64_t cols);

}  // namespace dlcam::kernels
