// Shape: the sizes of an array's dimensions. Storage is column-major (first dimension
// fastest), as in MATLAB, so an h×w×c×n image has h fastest.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace dlcam {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(std::vector<int64_t> dims);

  int rank() const { return static_cast<int>(dims_.size()); }
  int64_t operator[](int d) const { return dims_.at(static_cast<size_t>(d)); }
  int64_t& operator[](int d) { return dims_.at(static_cast<size_t>(d)); }
  const std::vector<int64_t>& dims() const { return dims_; }

  // Number of elements (1 for rank 0). Throws dlcam::Error on int64 overflow.
  int64_t numel() const;
  // Column-major stride of dimension d: the product of the sizes before it.
  int64_t stride(int d) const;

  // "3x4x5"; rank 0 prints as "scalar".
  std::string str() const;

  bool operator==(const Shape&) const = default;

 private:
  std::vector<int64_t> dims_;
};

}  // namespace dlcam
