// Separable resizing on the GPU (the device twins of kernels/cpu/resize.h; see there for the
// semantics). The tables are planned on the host (cpu::resizeTable, cpu::planResize) and
// copied to the device for each call.
#pragma once

#include "core/tensor.h"
#include "kernels/cpu/resize.h"

namespace dlcam::kernels::cuda {

// x on the GPU with x.shape[dim] == table.inLength; the result has outLength along dim.
Tensor resizeAlong(const Tensor& x, int dim, const cpu::ResizeTable& table);
// The adjoint: g on the GPU with outLength along dim; the result has inLength.
Tensor resizeAlongBackward(const Tensor& g, int dim, const cpu::ResizeTable& table);

}  // namespace dlcam::kernels::cuda
