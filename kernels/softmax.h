// Softmax and log-softmax over the channel dimension on the CPU or the GPU: see
// kernels/cpu/softmax.h for the semantics, kernels/dispatch.h for how the device is chosen.
#pragma once

#include "kernels/cpu/softmax.h"
#include "kernels/dispatch.h"

namespace dlcam::kernels {

using cpu::ChannelGeometry;
using cpu::channelGeometry;
using cpu::SoftmaxParams;

// x: inner × C × outer (params.geometry); y: the same shape.
Tensor softmax(const Tensor& x, const SoftmaxParams& params);
// g and y (the forward's output): x's shape; the result too.
Tensor softmaxBackward(const Tensor& g, const Tensor& y, const SoftmaxParams& params);

}  // namespace dlcam::kernels
