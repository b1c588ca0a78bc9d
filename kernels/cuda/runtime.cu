// dlcam's CUDA runtime: device probe, stream, handles, copies and the caching memory pool.
#include <cstdio>
#include <map>
#include <mutex>
#include <unordered_map>

#include "kernels/cuda/check.h"

namespace dlcam::kernels::cuda {

namespace detail {
void failCall(const char* call, const char* library, const char* message, const char* file, int line) {
  fail(library, " call ", call, " failed: ", message, " (", file, ":", line, ")");
}
}  // namespace detail

int probeDevices(std::string& why) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    why = dlcam::detail::cat("cudaGetDeviceCount failed: ", cudaGetErrorString(status));
    cudaGetLastError();  // reset the last error, so that later checks do not report this one
    return -1;
  }
  if (count == 0) why = "cudaGetDeviceCount found no CUDA device";
  return count;
}

std::string describeDevice() {
  cudaDeviceProp p{};
  DLCAM_CUDA_CHECK(cudaGetDeviceProperties(&p, 0));
  return dlcam::detail::cat(p.name, " (compute capability ", p.major, ".", p.minor, ", ",
                            p.totalGlobalMem >> 30, " GiB)");
}

cudaStream_t stream() {
  static cudaStream_t s = [] {
    cudaStream_t created = nullptr;
    DLCAM_CUDA_CHECK(cudaStreamCreateWithFlags(&created, cudaStreamNonBlocking));
    return created;
  }();
  return s;
}

cudnnHandle_t cudnnHandle() {
  static cudnnHandle_t h = [] {
    cudnnHandle_t created = nullptr;
    DLCAM_CUDNN_CHECK(cudnnCreate(&created));
    DLCAM_CUDNN_CHECK(cudnnSetStream(created, stream()));
    return created;
  }();
  return h;
}

cublasHandle_t cublasHandle() {
  static cublasHandle_t h = [] {
    cublasHandle_t created = nullptr;
    DLCAM_CUBLAS_CHECK(cublasCreate(&created));
    DLCAM_CUBLAS_CHECK(cublasSetStream(created, stream()));
    // Full float32 precision (no TF32): GPU results are compared with the CPU backend's.
    DLCAM_CUBLAS_CHECK(cublasSetMathMode(created, CUBLAS_DEFAULT_MATH));
    return created;
  }();
  return h;
}

// ---- Pool ------------------------------------------------------------------------------------
//
// Freed blocks are kept in a multimap by size. A request takes the smallest cached block
// that is at least its size and at most twice it (so a small tensor does not pin a huge
// block); otherwise cudaMalloc, and if the device is full, the cache is returned to the
// driver and cudaMalloc is tried once more. Sizes are rounded up (512 bytes below 1 MiB, 1 MiB
// above) so that the shapes of one network map to few block sizes.

namespace {

size_t roundUp(size_t bytes) {
  const size_t unit = bytes < (1u << 20) ? 512 : (1u << 20);
  return (bytes + unit - 1) / unit * unit;
}

struct Pool {
  std::mutex mutex;
  std::multimap<size_t, void*> free;        // size -> block
  std::unordered_map<void*, size_t> sizes;  // every live block's rounded size
  PoolCounters counters;

  void releaseCache() {  // mutex held
    for (auto& [size, p] : free) {
      DLCAM_CUDA_CHECK(cudaFree(p));
      sizes.erase(p);
      counters.cached -= static_cast<int64_t>(size);
    }
    free.clear();
  }
};

Pool& pool() {
  static Pool* p = new Pool;  // never destroyed: blocks may be released during static destruction
  return *p;
}

}  // namespace

void* allocate(size_t bytes) {
  Pool& P = pool();
  const size_t size = roundUp(bytes == 0 ? 1 : bytes);
  std::lock_guard lock(P.mutex);
  void* p = nullptr;
  if (auto it = P.free.lower_bound(size); it != P.free.end() && it->first <= 2 * size) {
    p = it->second;
    P.counters.cached -= static_cast<int64_t>(it->first);
    P.counters.inUse += static_cast<int64_t>(it->first);
    P.free.erase(it);
  } else {
    cudaError_t status = cudaMalloc(&p, size);
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // the failed cudaMalloc's error, not a sticky one
      DLCAM_CUDA_CHECK(cudaStreamSynchronize(stream()));
      P.releaseCache();
      status = cudaMalloc(&p, size);
    }
    if (status != cudaSuccess) {
      cudaGetLastError();
      size_t freeBytes = 0, total = 0;
      cudaMemGetInfo(&freeBytes, &total);
      fail("GPU out of memory: cannot allocate ", bytes, " bytes (", freeBytes >> 20, " MiB of ", total >> 20,
           " MiB free; dlcam holds ", P.counters.inUse >> 20, " MiB): ", cudaGetErrorString(status));
    }
    P.sizes[p] = size;
    ++P.counters.deviceAllocations;
    P.counters.inUse += static_cast<int64_t>(size);
  }
  P.counters.peakInUse = std::max(P.counters.peakInUse, P.counters.inUse);
  return p;
}

// Called from Storage's destructor: must not throw.
void release(void* p, size_t) noexcept {
  if (!p) return;
  Pool& P = pool();
  std::lock_guard lock(P.mutex);
  auto it = P.sizes.find(p);
  if (it == P.sizes.end()) {  // a dlcam bug; leaking the block is the safe answer in a destructor
    std::fprintf(stderr, "dlcam: internal error: release of a GPU block the pool did not hand out\n");
    return;
  }
  const size_t size = it->second;
  P.counters.inUse -= static_cast<int64_t>(size);
  P.counters.cached += static_cast<int64_t>(size);
  P.free.emplace(size, p);
}

void emptyCache() {
  Pool& P = pool();
  synchronize();
  std::lock_guard lock(P.mutex);
  P.releaseCache();
}

PoolCounters poolCounters() {
  Pool& P = pool();
  std::lock_guard lock(P.mutex);
  return P.counters;
}

// ---- Copies ----------------------------------------------------------------------------------

void copyToDevice(void* dst, const void* src, size_t bytes) {
  if (bytes) DLCAM_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream()));
  // The host buffer may be freed as soon as we return: wait for pageable copies to be taken.
  DLCAM_CUDA_CHECK(cudaStreamSynchronize(stream()));
}

void copyToHost(void* dst, const void* src, size_t bytes) {
  if (bytes) DLCAM_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream()));
  DLCAM_CUDA_CHECK(cudaStreamSynchronize(stream()));
}

void copyOnDevice(void* dst, const void* src, size_t bytes) {
  if (bytes) DLCAM_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream()));
}

void zero(void* p, size_t bytes) {
  if (bytes) DLCAM_CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, stream()));
}

void synchronize() { DLCAM_CUDA_CHECK(cudaStreamSynchronize(stream())); }

namespace {
template <typename From, typename To>
__global__ void convertKernel(const From* src, To* dst, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{blockDim.x} * gridDim.x)
    dst[i] = static_cast<To>(src[i]);
}
template <typename T>
__global__ void fillKernel(T* p, T value, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{blockDim.x} * gridDim.x)
    p[i] = value;
}
}  // namespace

void fill(void* p, double value, bool isDouble, int64_t n) {
  if (n == 0) return;
  if (isDouble)
    fillKernel<<<blocksFor(n), kThreads, 0, stream()>>>(static_cast<double*>(p), value, n);
  else
    fillKernel<<<blocksFor(n), kThreads, 0, stream()>>>(static_cast<float*>(p), static_cast<float>(value), n);
  DLCAM_CUDA_CHECK_LAUNCH("fillKernel");
}

void convert(const void* src, bool srcDouble, void* dst, bool dstDouble, int64_t n) {
  if (n == 0) return;
  if (srcDouble == dstDouble) {
    copyOnDevice(dst, src, static_cast<size_t>(n) * (srcDouble ? 8 : 4));
    return;
  }
  if (srcDouble)
    convertKernel<<<blocksFor(n), kThreads, 0, stream()>>>(static_cast<const double*>(src), static_cast<float*>(dst), n);
  else
    convertKernel<<<blocksFor(n), kThreads, 0, stream()>>>(static_cast<const float*>(src), static_cast<double*>(dst), n);
  DLCAM_CUDA_CHECK_LAUNCH("convertKernel");
}

}  // namespace dlcam::kernels::cuda
