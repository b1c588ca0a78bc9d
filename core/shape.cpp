#include "core/shape.h"

#include "core/error.h"

namespace dlcam {

Shape::Shape(std::initializer_list<int64_t> dims) : Shape(std::vector<int64_t>(dims)) {}

Shape::Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {
  for (int64_t d : dims_)
    if (d < 0) fail("a dimension size must be >= 0, got ", d, " in shape ", str());
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int64_t d : dims_)
    if (__builtin_mul_overflow(n, d, &n)) fail("shape ", str(), " has more elements than fit in int64");
  return n;
}

int64_t Shape::stride(int d) const {
  int64_t s = 1;
  for (int i = 0; i < d; ++i) s *= dims_.at(static_cast<size_t>(i));
  return s;
}

std::string Shape::str() const {
  if (dims_.empty()) return "scalar";
  std::string s;
  for (size_t i = 0; i < dims_.size(); ++i) s += (i ? "x" : "") + std::to_string(dims_[i]);
  return s;
}

}  // namespace dlcam
