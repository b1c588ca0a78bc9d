// Array: a labelled tensor, the equivalent of MATLAB's dlarray.
//
// An Array is a Tensor plus one DimFormat label per dimension (S… C B T U, canonical order),
// plus, while a Tape is recording, a link to the tape node that produced it. Arrays are
// values: copies share storage, and operations return new arrays.
//
//   Array x(Tensor::full({28, 28, 1, 8}, 0.5f), "SSCB");   // 28×28 images, 1 channel, 8 observations
//   Array s(t, "TCB");   // data in T×C×B order is permuted to canonical C×B×T, as dlarray does
#pragma once

#include <iosfwd>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/dim_format.h"
#include "core/tensor.h"

namespace dlcam {

namespace detail {
struct Node;
}

class Array {
 public:
  Array() = default;
  // Unformatted array: every dimension labelled U.
  explicit Array(Tensor value);
  // `format` labels the tensor's dimensions in the order they are stored. It may have more
  // labels than the tensor has dimensions (the extra ones are singleton, as in MATLAB), never
  // fewer. Data in a non-canonical order ("TCB", "CSS") is permuted to canonical order.
  Array(Tensor value, std::string_view format);
  // `format` must already be canonical and have exactly value.rank() labels (no permutation).
  Array(Tensor value, DimFormat format);

  // Builds an Array from values of any MATLAB numeric type (uint8, int8 … int64, float,
  // double), stored column-major; values are converted to float32.
  template <typename V>
  static Array fromValues(Shape shape, std::span<const V> values, std::string_view format = "") {
    Tensor t = Tensor::fromValues(std::move(shape), values);
    return format.empty() ? Array(std::move(t)) : Array(std::move(t), format);
  }

  const Tensor& value() const { return value_; }
  const DimFormat& format() const { return format_; }
  const Shape& shape() const { return value_.shape(); }
  int rank() const { return value_.rank(); }
  int64_t size(int d) const { return value_.shape()[d]; }
  int64_t numel() const { return value_.numel(); }
  DType dtype() const { return value_.dtype(); }
  Device device() const { return value_.device(); }
  bool defined() const { return value_.defined(); }

  // The single value of a one-element array. Throws if numel() != 1.
  double item() const;
  // All values, column-major, as float (copied from the GPU when the array is there).
  std::vector<float> toVector() const;

  // True when this array is being recorded by the tape that is active on this thread.
  bool isTraced() const;
  // The same values without tape history (MATLAB: dlarray(extractdata(x), dims(x))).
  Array detached() const { return Array(value_, format_); }

  // The tape node that produced this array, or null. For autodiff/ only.
  const std::shared_ptr<detail::Node>& node() const { return node_; }
  void setNode(std::shared_ptr<detail::Node> node) { node_ = std::move(node); }

 private:
  Tensor value_;
  DimFormat format_;
  std::shared_ptr<detail::Node> node_;
};

// "Array 28x28x1x8 SSCB float32"
std::ostream& operator<<(std::ostream& out, const Array& x);

}  // namespace dlcam
