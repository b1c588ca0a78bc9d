#include "core/device.h"

#include <atomic>
#include <mutex>

#ifdef DLCAM_HAVE_CUDA
#include "kernels/cuda/runtime.h"
#endif

namespace dlcam {

namespace {

std::atomic<int64_t> toGpuCount{0}, toGpuBytes{0}, toCpuCount{0}, toCpuBytes{0};

struct GpuProbe {
  bool available = false;
  std::string reason, description;
};

const GpuProbe& probe() {
  static const GpuProbe result = [] {
    GpuProbe p;
#ifdef DLCAM_HAVE_CUDA
    std::string why;
    const int count = kernels::cuda::probeDevices(why);
    if (count <= 0) {
      p.reason = "no CUDA device: " + why;
      return p;
    }
    try {  // a device can be listed and still fail (driver mismatch, out of memory)
      void* block = kernels::cuda::allocate(256);
      kernels::cuda::zero(block, 256);
      kernels::cuda::synchronize();
      kernels::cuda::release(block, 256);
      p.description = kernels::cuda::describeDevice();
      p.available = true;
    } catch (const std::exception& e) {
      p.reason = std::string("the CUDA device does not work: ") + e.what();
    }
#else
    p.reason = "this build of dlcam has no CUDA backend (CMake did not find nvcc and cuDNN, or DLCAM_CUDA is OFF)";
#endif
    return p;
  }();
  return result;
}

}  // namespace

bool builtWithCuda() {
#ifdef DLCAM_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

bool gpuAvailable() { return probe().available; }
std::string gpuUnavailableReason() { return probe().reason; }
std::string gpuDescription() { return probe().description; }

void requireGpu(const std::string& what) {
  if (!gpuAvailable()) fail(what, " needs a GPU, but ", gpuUnavailableReason());
}

ExecutionEnvironment parseExecutionEnvironment(const std::string& text) {
  if (text == "auto") return ExecutionEnvironment::Auto;
  if (text == "cpu") return ExecutionEnvironment::Cpu;
  if (text == "gpu") return ExecutionEnvironment::Gpu;
  fail("ExecutionEnvironment must be 'auto', 'cpu' or 'gpu', got '", text, "'");
}

std::string environmentName(ExecutionEnvironment e) {
  switch (e) {
    case ExecutionEnvironment::Auto: return "auto";
    case ExecutionEnvironment::Cpu: return "cpu";
    case ExecutionEnvironment::Gpu: return "gpu";
  }
  return "?";
}

Device resolveEnvironment(ExecutionEnvironment e, Device dataDevice, Device networkDevice, const std::string& what) {
  switch (e) {
    case ExecutionEnvironment::Gpu:
      requireGpu(what + " with ExecutionEnvironment 'gpu'");
      return Device::GPU;
    case ExecutionEnvironment::Cpu:
      if (networkDevice == Device::GPU)
        fail(what, ": ExecutionEnvironment is 'cpu' but the network's learnables are on the GPU; move them with "
                   "Network::to(Device::CPU) or use 'gpu' or 'auto'");
      return Device::CPU;
    case ExecutionEnvironment::Auto:
      if (dataDevice == Device::GPU || networkDevice == Device::GPU || gpuAvailable()) return Device::GPU;
      return Device::CPU;
  }
  return Device::CPU;
}

TransferCounts transferCounts() { return {toGpuCount, toGpuBytes, toCpuCount, toCpuBytes}; }

void resetTransferCounts() { toGpuCount = toGpuBytes = toCpuCount = toCpuBytes = 0; }

GpuMemoryStats gpuMemoryStats() {
#ifdef DLCAM_HAVE_CUDA
  if (!gpuAvailable()) return {};
  const auto c = kernels::cuda::poolCounters();
  return {c.inUse, c.cached, c.peakInUse, c.deviceAllocations};
#else
  return {};
#endif
}

void releaseCachedGpuMemory() {
#ifdef DLCAM_HAVE_CUDA
  if (gpuAvailable()) kernels::cuda::emptyCache();
#endif
}

void synchronizeGpu() {
#ifdef DLCAM_HAVE_CUDA
  if (gpuAvailable()) kernels::cuda::synchronize();
#endif
}

namespace detail {

#ifdef DLCAM_HAVE_CUDA
void* gpuAllocate(size_t bytes) {
  requireGpu("a GPU tensor");
  return kernels::cuda::allocate(bytes);
}
void gpuFree(void* p, size_t bytes) { kernels::cuda::release(p, bytes); }
void gpuZero(void* p, size_t bytes) { kernels::cuda::zero(p, bytes); }
void copyHostToGpu(void* dst, const void* src, size_t bytes) {
  kernels::cuda::copyToDevice(dst, src, bytes);
  ++toGpuCount;
  toGpuBytes += static_cast<int64_t>(bytes);
}
void copyGpuToHost(void* dst, const void* src, size_t bytes) {
  kernels::cuda::copyToHost(dst, src, bytes);
  ++toCpuCount;
  toCpuBytes += static_cast<int64_t>(bytes);
}
void copyGpuToGpu(void* dst, const void* src, size_t bytes) { kernels::cuda::copyOnDevice(dst, src, bytes); }
#else
void* gpuAllocate(size_t) { requireGpu("a GPU tensor"); return nullptr; }
void gpuFree(void*, size_t) {}
void gpuZero(void*, size_t) { requireGpu("a GPU tensor"); }
void copyHostToGpu(void*, const void*, size_t) { requireGpu("a copy to the GPU"); }
void copyGpuToHost(void*, const void*, size_t) { requireGpu("a copy from the GPU"); }
void copyGpuToGpu(void*, const void*, size_t) { requireGpu("a GPU copy"); }
#endif

}  // namespace detail

}  // namespace dlcam
