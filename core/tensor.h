// Tensor: a dense, contiguous, column-major block of float32 or float64 values with a shape.
//
// A Tensor is a cheap handle: copies share the same storage. Kernels never modify their
// inputs; they return new tensors. Use clone() for a deep copy before writing into a
// tensor that others may hold.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <type_traits>

#include "core/dtype.h"
#include "core/shape.h"

namespace dlcam {

// Owns one allocation: host memory, or a block of GPU memory from the CUDA backend's pool
// (core/device.h), which is why tensors reach their bytes through Storage and not a
// std::vector.
class Storage {
 public:
  // zeroFill = false leaves the bytes unset (for kernels that overwrite every element).
  Storage(size_t bytes, Device device, bool zeroFill = true);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() { return data_; }
  const void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  Device device_ = Device::CPU;
};

class Tensor {
 public:
  // An empty tensor: rank 0 but no storage; defined() is false. Stands for "no value"
  // (for example, a gradient that was not asked for).
  Tensor() = default;
  // Zero-filled tensor.
  explicit Tensor(Shape shape, DType dtype = DType::Float32, Device device = Device::CPU);

  static Tensor zeros(Shape shape, DType dtype = DType::Float32, Device device = Device::CPU) {
    return Tensor(std::move(shape), dtype, device);
  }
  // Uninitialised values: for kernels that write every element.
  static Tensor empty(Shape shape, DType dtype = DType::Float32, Device device = Device::CPU);
  static Tensor full(Shape shape, double value, DType dtype = DType::Float32, Device device = Device::CPU);
  static Tensor scalar(double value, DType dtype = DType::Float32) { return full(Shape{}, value, dtype); }
  // Copies values of any arithmetic type (uint8 … int64, float, double), converting them to
  // dtype. values.size() must equal shape.numel().
  template <typename V>
  static Tensor fromValues(Shape shape, std::span<const V> values, DType dtype = DType::Float32);

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  int64_t numel() const { return shape_.numel(); }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_ ? storage_->device() : Device::CPU; }

  // Typed access to host values; T must match dtype() and the tensor must be on the CPU
  // (both checked: a GPU tensor read here would be garbage, so it throws instead).
  template <typename T> T* data();
  template <typename T> const T* data() const;
  // Typed device pointer of a GPU tensor, for kernels/cuda (checked likewise).
  template <typename T> T* deviceData();
  template <typename T> const T* deviceData() const;

  // Value at a column-major linear index, converted to double (for tests and printing). On a
  // GPU tensor this copies that one value to the host.
  double at(int64_t linearIndex) const;

  Tensor clone() const;          // on the same device
  Tensor to(DType dtype) const;  // converted copy (or this tensor if already dtype)
  // A copy on `device` (or this tensor if it is already there). Counted in transferCounts().
  Tensor to(Device device) const;
  // Same storage, new shape with the same number of elements.
  Tensor reshaped(Shape shape) const;

 private:
  void checkType(DType requested, Device where) const;
  Tensor(Shape shape, DType dtype, Device device, bool zeroFill);

  Shape shape_;
  DType dtype_ = DType::Float32;
  std::shared_ptr<Storage> storage_;
};

template <typename T>
T* Tensor::data() {
  checkType(dtypeOf<T>(), Device::CPU);
  return static_cast<T*>(storage_->data());
}

template <typename T>
const T* Tensor::data() const {
  checkType(dtypeOf<T>(), Device::CPU);
  return static_cast<const T*>(storage_->data());
}

template <typename T>
T* Tensor::deviceData() {
  checkType(dtypeOf<T>(), Device::GPU);
  return static_cast<T*>(storage_->data());
}

template <typename T>
const T* Tensor::deviceData() const {
  checkType(dtypeOf<T>(), Device::GPU);
  return static_cast<const T*>(storage_->data());
}

template <typename V>
Tensor Tensor::fromValues(Shape shape, std::span<const V> values, DType dtype) {
  static_assert(std::is_arithmetic_v<V>, "Tensor::fromValues takes numeric values");
  if (static_cast<int64_t>(values.size()) != shape.numel())
    fail("Tensor::fromValues: shape ", shape.str(), " needs ", shape.numel(), " values, got ",
         values.size());
  Tensor t(std::move(shape), dtype);
  visitFloat(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* out = t.data<T>();
    for (size_t i = 0; i < values.size(); ++i) out[i] = static_cast<T>(values[i]);
  });
  return t;
}

}  // namespace dlcam
