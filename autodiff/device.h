// Moving arrays between the CPU and the GPU, differentiably.
//
//   Array xg = toDevice(x, Device::GPU);   // MATLAB: gpuArray(x)
//   Array xc = toDevice(y, Device::CPU);   // MATLAB: gather(y)
//
// The copy is counted (core/device.h transferCounts()). On a tape, the gradient flows back to
// x's device. Ops run where their inputs are (kernels/dispatch.h), so moving the input and
// the network (Network::to) is all it takes to run on the GPU.
#pragma once

#include "core/array.h"

namespace dlcam {

// x's values on `device`, with x's format; x itself when it is already there.
Array toDevice(const Array& x, Device device);

}  // namespace dlcam
