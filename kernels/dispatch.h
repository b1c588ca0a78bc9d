// Dispatch: one header per op in kernels/ (conv.h, pool.h, elementwise.h...) declares the op
// once, in dlcam::kernels; it runs kernels/cpu when its inputs are on the CPU and kernels/cuda
// when any is on the GPU. autodiff/ calls only these headers, so a differentiable function
// does not know which device it runs on.
//
// An op without a GPU kernel still runs on GPU inputs: its inputs are copied to the host, the
// CPU kernel runs, and its result is copied back. That is slow but never silently wrong, and
// it is announced once per op on stderr (and listed by hostFallbacks()).
#pragma once

#include <string>
#include <type_traits>
#include <vector>

#include "core/device.h"
#include "core/tensor.h"

namespace dlcam::kernels {

// The device an op runs on: GPU when any defined tensor among its inputs is on the GPU.
template <typename... Ts>
Device deviceOf(const Ts&... tensors) {
  bool gpu = false;
  ((gpu = gpu || (tensors.defined() && tensors.device() == Device::GPU)), ...);
  return gpu ? Device::GPU : Device::CPU;
}

// t on `device`: itself when it is there (or undefined), else a counted copy. Used for mixed
// inputs (a GPU activation with CPU weights), which cost a copy per call: move the network
// with Network::to(Device) to avoid it.
inline Tensor on(const Tensor& t, Device device) { return t.defined() ? t.to(device) : t; }
inline Tensor onGpu(const Tensor& t) { return on(t, Device::GPU); }

// Prints "dlcam: note: '<op>' has no GPU kernel; it runs on the CPU (inputs and result are
// copied)" the first time op falls back, and counts every call.
void noteHostFallback(const std::string& op);
// The ops that fell back so far, in order of first use, with how many times each did.
struct HostFallback {
  std::string op;
  int64_t calls = 0;
};
std::vector<HostFallback> hostFallbacks();

namespace detail {
inline Tensor toHost(const Tensor& t) { return on(t, Device::CPU); }
template <typename A>
const A& toHost(const A& a) { return a; }  // parameters pass through
}  // namespace detail

// The CPU kernel on host copies of the tensor arguments, its Tensor result moved to the GPU.
template <typename F, typename... Args>
Tensor hostFallback(const std::string& op, F&& cpuKernel, const Args&... args) {
  noteHostFallback(op);
  return on(cpuKernel(detail::toHost(args)...), Device::GPU);
}

}  // namespace dlcam::kernels
