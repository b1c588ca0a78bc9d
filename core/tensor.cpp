#include "core/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace dlcam {

// 64-byte alignment: one cache line, and what AVX-512 loads like.
constexpr size_t kAlignment = 64;

Storage::Storage(size_t bytes, Device device, bool zeroFill) : bytes_(bytes), device_(device) {
  size_t rounded = 0;
  if (__builtin_add_overflow(bytes, kAlignment - 1, &rounded)) fail("cannot allocate ", bytes, " bytes");
  rounded = rounded / kAlignment * kAlignment;
  data_ = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  if (!data_) fail("out of memory allocating ", bytes, " bytes");
  if (zeroFill) std::memset(data_, 0, bytes);
}

Storage::~Storage() { std::free(data_); }

Tensor::Tensor(Shape shape, DType dtype) : Tensor(std::move(shape), dtype, true) {}

Tensor::Tensor(Shape shape, DType dtype, bool zeroFill) : shape_(std::move(shape)), dtype_(dtype) {
  int64_t n = shape_.numel();
  size_t bytes = 0;
  if (__builtin_mul_overflow(static_cast<size_t>(n), sizeOf(dtype), &bytes))
    fail("tensor of shape ", shape_.str(), " is too large to allocate");
  storage_ = std::make_shared<Storage>(bytes, Device::CPU, zeroFill);
}

Tensor Tensor::empty(Shape shape, DType dtype) { return Tensor(std::move(shape), dtype, false); }

Tensor Tensor::full(Shape shape, double value, DType dtype) {
  Tensor t(std::move(shape), dtype);
  visitFloat(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* p = t.data<T>();
    std::fill(p, p + t.numel(), static_cast<T>(value));
  });
  return t;
}

void Tensor::checkType(DType requested) const {
  if (!storage_) fail("tensor has no value (it is undefined)");
  if (requested != dtype_) fail("tensor holds ", dtypeName(dtype_), ", accessed as ", dtypeName(requested));
}

double Tensor::at(int64_t i) const {
  if (i < 0 || i >= numel()) fail("index ", i, " is out of range for a tensor of ", numel(), " elements");
  return visitFloat(dtype_, [&](auto zero) { return static_cast<double>(data<decltype(zero)>()[i]); });
}

Tensor Tensor::clone() const {
  if (!storage_) return {};
  Tensor t(shape_, dtype_);
  std::memcpy(t.storage_->data(), storage_->data(), storage_->bytes());
  return t;
}

Tensor Tensor::to(DType dtype) const {
  if (dtype == dtype_ || !storage_) return *this;
  Tensor t(shape_, dtype);
  const int64_t n = numel();
  visitFloat(dtype_, [&](auto from) {
    visitFloat(dtype, [&](auto to) {
      const auto* src = data<decltype(from)>();
      auto* dst = t.data<decltype(to)>();
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<decltype(to)>(src[i]);
    });
  });
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
