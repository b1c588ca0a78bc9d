// Convolution kernels (1-D, 2-D, 3-D, grouped), forward and backward, by im2col + GEMM.
//
// Layouts, all contiguous and column-major:
//   x       [in_1 … in_d, C, B]       (first spatial dim fastest)
//   out     [out_1 … out_d, F, B]
//   weights k_1 × … × k_d × (C/groups) × F, read as a flat K × F matrix (K = k_1…k_d·C/groups);
//           filters [g·F/G, (g+1)·F/G) belong to group g. Any shape with that many elements.
//   bias    F elements, or an undefined Tensor for none.
// Cross-correlation (no kernel flip). The geometry is resolved by the caller (autodiff/conv.cpp):
// these kernels trust it.
#pragma once

#include <array>
#include <cstdint>

#include "core/tensor.h"

namespace dlcam::kernels::cpu {

struct ConvGeometry {
  static constexpr int kMaxDims = 3;
  int spatialDims = 1;  // d: 1, 2 or 3; the unused trailing dims keep their defaults (size 1, no padding)
  std::array<int64_t, kMaxDims> in{1, 1, 1};
  std::array<int64_t, kMaxDims> out{1, 1, 1};
  std::array<int64_t, kMaxDims> kernel{1, 1, 1};
  std::array<int64_t, kMaxDims> stride{1, 1, 1};
  std::array<int64_t, kMaxDims> dilation{1, 1, 1};
  std::array<int64_t, kMaxDims> padBefore{0, 0, 0};
  std::array<int64_t, kMaxDims> padAfter{0, 0, 0};
  int64_t channels = 1;  // C, over all groups
  int64_t filters = 1;   // F, over all groups
  int64_t groups = 1;
  int64_t batch = 1;

  int64_t inputVolume() const { return in[0] * in[1] * in[2]; }
  int64_t outputVolume() const { return out[0] * out[1] * out[2]; }
  int64_t kernelVolume() const { return kernel[0] * kernel[1] * kernel[2]; }
  // Shapes of x, out and the weight gradient in the layouts above (rank d + 2).
  Shape inputShape() const;
  Shape outputShape() const;
  Shape weightShape() const;
};

// out = conv(x, weights) + bias.
Tensor convForward(const Tensor& x, const Tensor& weights, const Tensor& bias, const ConvGeometry& geometry);
// d loss / d x from d loss / d out: same shape as x.
Tensor convBackwardData(const Tensor& gradOut, const Tensor& weights, const ConvGeometry& geometry);
// d loss / d weights, shaped geometry.weightShape().
Tensor convBackwardWeights(const Tensor& gradOut, const Tensor& x, const ConvGeometry& geometry);
// d loss / d bias: [F], the sum of gradOut over positions and batch.
Tensor convBackwardBias(const Tensor& gradOut, const ConvGeometry& geometry);

}  // namespace dlcam::kernels::cpu
