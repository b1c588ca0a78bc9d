// Separable resizing (MATLAB imresize semantics) on the CPU or the GPU: see
// kernels/cpu/resize.h for the semantics, kernels/dispatch.h for how the device is chosen.
// The tables and plans are host data on both devices.
#pragma once

#include "kernels/cpu/resize.h"
#include "kernels/dispatch.h"

namespace dlcam::kernels {

using cpu::planResize;
using cpu::ResizeBorder;
using cpu::ResizeKernel;
using cpu::ResizeParams;
using cpu::ResizePass;
using cpu::ResizePlan;
using cpu::ResizeTable;
using cpu::resizeTable;
using cpu::ResizeTableParams;

// x.shape[dim] == table.inLength; the result has table.outLength along dim.
Tensor resizeAlong(const Tensor& x, int dim, const ResizeTable& table);
// The adjoint: g has outLength along dim, the result inLength.
Tensor resizeAlongBackward(const Tensor& g, int dim, const ResizeTable& table);

// x has plan.inShape, the result plan.outShape (plan.passes in order).
Tensor resize(const Tensor& x, const ResizePlan& plan);
// g has plan.outShape; the result has plan.inShape.
Tensor resizeBackward(const Tensor& g, const ResizePlan& plan);

}  // namespace dlcam::kernels
