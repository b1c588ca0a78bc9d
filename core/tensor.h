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

// Owns one allocation. Host memory now; the GPU backend adds device allocations here,
// which is why tensors reach their bytes through Storage and not a std::vector.
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
  explicit Tensor(Shape shape, DType dtype = DType::Float32);

  static Tensor zeros(Shape shape, DType dtype = DType::Float32) { return Tensor(std::move(shape), dtype); }
  // Uninitialised values: for kernels that write every element.
  static Tensor empty(Shape shape, DType dtype = DType::Float32);
  static Tensor full(Shape shape, double value, DType dtype = DType::Float32);
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

  // Typed access; T must match dtype() (checked).
  template <typename T> T* data();
  template <typename T> const T* data() const;

  // Value at a column-major linear index, converted to double (for tests and printing).
  double at(int64_t linearIndex) const;

  Tensor clone() const;
  Tensor to(DType dtype) const;  // converted copy (or this tensor if already dtype)
  // Same storage, new shape with the same number of elements.
  Tensor reshaped(Shape shape) const;

 private:
  void checkType(DType requested) const;
  Tensor(Shape shape, DType dtype, bool zeroFill);

  Shape shape_;
  DType dtype_ = DType::Float32;
  std::shared_ptr<Storage> storage_;
};

template <typename T>
T* Tensor::data() {
  checkType(dtypeOf<T>());
  return static_cast<T*>(storage_->data());
}

template <typename T>
const T* Tensor::data() const {
  checkType(dtypeOf<T>());
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
