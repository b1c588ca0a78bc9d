#include "core/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "core/device.h"
#include "core/limits.h"
#ifdef DLCAM_HAVE_CUDA
#include "kernels/cuda/runtime.h"
#endif

namespace dlcam {

// 64-byte alignment: one cache line, and what AVX-512 loads like.
constexpr size_t kAlignment = 64;

namespace {

// Host memory (aligned) or a GPU block, zeroed when asked.
void* allocateBytes(size_t bytes, Device device, bool zeroFill) {
  if (device == Device::GPU) {
    void* data = detail::gpuAllocate(bytes);
    if (zeroFill) {
      try {
        detail::gpuZero(data, bytes);
      } catch (...) {
        detail::gpuFree(data, bytes);
        throw;
      }
    }
    return data;
  }
  size_t rounded = 0;
  if (__builtin_add_overflow(bytes, kAlignment - 1, &rounded)) fail("cannot allocate ", bytes, " bytes");
  rounded = rounded / kAlignment * kAlignment;
  void* data = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  if (!data) fail("out of memory allocating ", bytes, " bytes");
  if (zeroFill) std::memset(data, 0, bytes);
  return data;
}

}  // namespace

// The bytes count against the memory cap (core/limits.h) before anything is allocated, and
// are uncounted if the allocation fails or when the storage goes.
Storage::Storage(size_t bytes, Device device, bool zeroFill) : bytes_(bytes), device_(device) {
  if (bytes > static_cast<size_t>(INT64_MAX)) fail("cannot allocate ", bytes, " bytes");
  detail::reserveTensorBytes(static_cast<int64_t>(bytes), device, "a tensor");
  try {
    data_ = allocateBytes(bytes, device, zeroFill);
  } catch (...) {
    detail::releaseTensorBytes(static_cast<int64_t>(bytes), device);
    throw;
  }
}

Storage::~Storage() {
  if (device_ == Device::GPU)
    detail::gpuFree(data_, bytes_);
  else
    std::free(data_);
  detail::releaseTensorBytes(static_cast<int64_t>(bytes_), device_);
}

Tensor::Tensor(Shape shape, DType dtype, Device device) : Tensor(std::move(shape), dtype, device, true) {}

Tensor::Tensor(Shape shape, DType dtype, Device device, bool zeroFill) : shape_(std::move(shape)), dtype_(dtype) {
  int64_t n = shape_.numel();
  size_t bytes = 0;
  if (__builtin_mul_overflow(static_cast<size_t>(n), sizeOf(dtype), &bytes))
    fail("tensor of shape ", shape_.str(), " is too large to allocate");
  // The same check Storage makes, here with the shape in the message.
  if (bytes > static_cast<size_t>(INT64_MAX)) fail("tensor of shape ", shape_.str(), " is too large to allocate");
  if (!fitsMemoryCap(static_cast<int64_t>(bytes), device))
    checkMemoryCap(static_cast<int64_t>(bytes), device, detail::cat("a ", dtypeName(dtype), " tensor of shape ", shape_.str()));
  storage_ = std::make_shared<Storage>(bytes, device, zeroFill);
}

Tensor Tensor::empty(Shape shape, DType dtype, Device device) { return Tensor(std::move(shape), dtype, device, false); }

Tensor Tensor::full(Shape shape, double value, DType dtype, Device device) {
  if (device == Device::GPU) {  // filled on the device: no copy
    Tensor t(std::move(shape), dtype, Device::GPU, false);
#ifdef DLCAM_HAVE_CUDA
    kernels::cuda::fill(t.storage_->data(), value, dtype == DType::Float64, t.numel());
#endif
    return t;
  }
  Tensor t(std::move(shape), dtype, Device::CPU, false);
  visitFloat(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* p = t.data<T>();
    std::fill(p, p + t.numel(), static_cast<T>(value));
  });
  return t;
}

void Tensor::checkType(DType requested, Device where) const {
  if (!storage_) fail("tensor has no value (it is undefined)");
  if (requested != dtype_) fail("tensor holds ", dtypeName(dtype_), ", accessed as ", dtypeName(requested));
  DLCAM_ASSERT(storage_->device() == where, "a ", deviceName(storage_->device()), " tensor ", shape_.str(),
               " was accessed as ", deviceName(where), " memory; move it with Tensor::to(Device) first");
}

double Tensor::at(int64_t i) const {
  if (i < 0 || i >= numel()) fail("index ", i, " is out of range for a tensor of ", numel(), " elements");
  if (device() == Device::GPU) {
    double value = 0;
    visitFloat(dtype_, [&](auto zero) {
      decltype(zero) v{};
      detail::copyGpuToHost(&v, static_cast<const decltype(zero)*>(storage_->data()) + i, sizeof v);
      value = static_cast<double>(v);
    });
    return value;
  }
  return visitFloat(dtype_, [&](auto zero) { return static_cast<double>(data<decltype(zero)>()[i]); });
}

Tensor Tensor::clone() const {
  if (!storage_) return {};
  Tensor t(shape_, dtype_, device(), false);
  if (device() == Device::GPU)
    detail::copyGpuToGpu(t.storage_->data(), storage_->data(), storage_->bytes());
  else
    std::memcpy(t.storage_->data(), storage_->data(), storage_->bytes());
  return t;
}

Tensor Tensor::to(DType dtype) const {
  if (dtype == dtype_ || !storage_) return *this;
  Tensor t(shape_, dtype, device(), false);
  const int64_t n = numel();
  if (device() == Device::GPU) {
#ifdef DLCAM_HAVE_CUDA
    kernels::cuda::convert(storage_->data(), dtype_ == DType::Float64, t.storage_->data(), dtype == DType::Float64, n);
#endif
    return t;
  }
  visitFloat(dtype_, [&](auto from) {
    visitFloat(dtype, [&](auto to) {
      const auto* src = data<decltype(from)>();
      auto* dst = t.data<decltype(to)>();
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<decltype(to)>(src[i]);
    });
  });
  return t;
}

Tensor Tensor::to(Device device) const {
  if (!storage_ || device == this->device()) return *this;
  Tensor t(shape_, dtype_, device, false);
  if (device == Device::GPU)
    detail::copyHostToGpu(t.storage_->data(), storage_->data(), storage_->bytes());
  else
    detail::copyGpuToHost(t.storage_->data(), storage_->data(), storage_->bytes());
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  if (!storage_) fail("cannot reshape a tensor that has no value");
  if (shape.numel() != numel())
    fail("cannot reshape ", shape_.str(), " (", numel(), " elements) to ", shape.str(), " (",
         shape.numel(), " elements)");
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

}  // namespace dlcam
