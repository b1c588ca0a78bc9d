// The CUDA runtime behind dlcam's GPU tensors: one device, one stream, a caching memory pool.
// A plain C++ header (no CUDA types), so that core/ can call it from g++-compiled code; the
// CUDA-side helpers (status checks, handles) are in kernels/cuda/check.h.
//
// Why one stream: every GPU operation dlcam issues is ordered on it, so a block freed by
// the host can be handed to the next allocation at once. A later kernel that writes it runs
// after every earlier kernel that read it, the same reasoning as PyTorch's caching
// allocator, without events.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace dlcam::kernels::cuda {

// Number of CUDA devices, or -1 with `why` set when the driver or runtime fails.
int probeDevices(std::string& why);
std::string describeDevice();  // name, compute capability and memory of device 0

// Pool. allocate() throws dlcam::Error naming the size when the device is out of memory
// even after the pool returned its cached blocks.
void* allocate(size_t bytes);
void release(void* p, size_t bytes) noexcept;
void emptyCache();
struct PoolCounters {
  int64_t inUse = 0, cached = 0, peakInUse = 0, deviceAllocations = 0;
};
PoolCounters poolCounters();

// Copies and fills, ordered on dlcam's stream. copyToHost waits for it.
void copyToDevice(void* dst, const void* src, size_t bytes);
void copyToHost(void* dst, const void* src, size_t bytes);
void copyOnDevice(void* dst, const void* src, size_t bytes);
void zero(void* p, size_t bytes);
void synchronize();
// p[i] = value for n elements of float32 (or float64 when isDouble).
void fill(void* p, double value, bool isDouble, int64_t n);
// dst[i] = src[i] for n elements, float32 <-> float64 (both on the device).
void convert(const void* src, bool srcDouble, void* dst, bool dstDouble, int64_t n);

}  // namespace dlcam::kernels::cuda
