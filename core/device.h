// Devices: whether a GPU can be used, and the counted transfers between host and GPU.
//
// A GPU tensor exists only in a build with the CUDA backend (CMake finds nvcc and cuDNN and
// defines DLCAM_HAVE_CUDA), on a machine with a CUDA device that answers. Transfers are
// explicit (Tensor::to(Device), toDevice() for arrays) and every one is counted, so a test or
// a benchmark can check that a hot path moves nothing it should not.
#pragma once

#include <cstdint>
#include <string>

#include "core/dtype.h"

namespace dlcam {

// True when this build has the CUDA backend and a CUDA device answered a first allocation.
// Decided once, on the first call (which creates the CUDA context: ~0.1-1 s).
bool gpuAvailable();
// Why gpuAvailable() is false, in one sentence ("this build of dlcam has no CUDA backend
// (...)", "no CUDA device: ..."); empty when it is true.
std::string gpuUnavailableReason();
// "NVIDIA H100 80GB HBM3 (compute capability 9.0, 79 GiB)"; empty without a GPU.
std::string gpuDescription();
// Throws dlcam::Error "<what> needs a GPU, but <reason>" when gpuAvailable() is false.
void requireGpu(const std::string& what);
// Whether this build has the CUDA backend at all (a GPU may still be absent).
bool builtWithCuda();

// MATLAB's ExecutionEnvironment option: "auto" (the GPU when one is usable), "cpu", "gpu".
enum class ExecutionEnvironment { Auto, Cpu, Gpu };
// "auto" / "cpu" / "gpu"; throws dlcam::Error listing the accepted values.
ExecutionEnvironment parseExecutionEnvironment(const std::string& text);
std::string environmentName(ExecutionEnvironment e);
// The device a call with this option runs on, for data and a network on `dataDevice` and
// `networkDevice`: Auto is the GPU when either is there or a GPU is usable, else the CPU;
// Gpu needs a usable GPU; Cpu needs the network on the CPU (data is moved). Throws
// dlcam::Error naming `what` ("gradCAM") and the reason otherwise.
Device resolveEnvironment(ExecutionEnvironment e, Device dataDevice, Device networkDevice, const std::string& what);

// Host <-> GPU copies since the program started (or resetTransferCounts()).
struct TransferCounts {
  int64_t toGpu = 0, toGpuBytes = 0;  // host to device
  int64_t toCpu = 0, toCpuBytes = 0;  // device to host
};
TransferCounts transferCounts();
void resetTransferCounts();

// The GPU memory pool: tensors take blocks from it and give them back when freed, so the
// hot path does not call cudaMalloc. All zeros without a GPU.
struct GpuMemoryStats {
  int64_t inUseBytes = 0;    // held by live tensors
  int64_t cachedBytes = 0;   // freed blocks kept for reuse
  int64_t peakInUseBytes = 0;
  int64_t deviceAllocations = 0;  // cudaMalloc calls so far
};
GpuMemoryStats gpuMemoryStats();
// Returns the pool's cached blocks to the driver.
void releaseCachedGpuMemory();
// Waits until every GPU operation issued so far has finished (for timing).
void synchronizeGpu();

namespace detail {
// The storage layer's access to device memory (core/tensor.cpp). Without the CUDA backend
// each throws the gpuUnavailableReason().
void* gpuAllocate(size_t bytes);
void gpuFree(void* p, size_t bytes);
void gpuZero(void* p, size_t bytes);
void copyHostToGpu(void* dst, const void* src, size_t bytes);  // counted
void copyGpuToHost(void* dst, const void* src, size_t bytes);  // counted; waits for the GPU
void copyGpuToGpu(void* dst, const void* src, size_t bytes);
}  // namespace detail

}  // namespace dlcam
