// Reader for reference-data fixtures written by other implementations (PyTorch: see
// tests/reference/make_torch_reference.py).
//
// Format, one item per line; blank lines and lines starting with '#' are ignored:
//     case <name>
//     <tensor-name> <rank> <dim_0> ... <dim_{rank-1}> <value> ...
// Tensor lines belong to the case above them. Values are row-major (last dim fastest), as
// PyTorch and NumPy store them, in any text strtod reads (repr() of a float64 round-trips).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace dlcam::test {

struct FixtureTensor {
  std::vector<int64_t> dims;   // row-major order, as written
  std::vector<double> values;  // row-major

  // The values as a float64 dlcam Tensor with the dims reversed: a row-major d0×…×dk block is
  // the same memory as a column-major dk×…×d0 one, so no value moves.
  Tensor columnMajor() const;
  // Values converted to integers (for options such as strides); each must be integral.
  std::vector<int64_t> ints() const;
  // The single value of a one-element tensor.
  double scalar() const;
};

class FixtureCase {
 public:
  explicit FixtureCase(std::string name = "") : name_(std::move(name)) {}
  const std::string& name() const { return name_; }
  bool has(const std::string& tensor) const { return tensors_.count(tensor) != 0; }
  // Throws dlcam::Error naming the case when the tensor is missing.
  const FixtureTensor& operator[](const std::string& tensor) const;
  void add(const std::string& tensor, FixtureTensor value);

 private:
  std::string name_;
  std::map<std::string, FixtureTensor> tensors_;
};

class Fixture {
 public:
  // Reads the whole file; throws dlcam::Error (with the path and line number) when it cannot
  // be opened or a line is malformed.
  static Fixture read(const std::string& path);
  // Throws dlcam::Error naming the case when it is missing.
  const FixtureCase& operator[](const std::string& caseName) const;
  size_t size() const { return cases_.size(); }

 private:
  std::map<std::string, FixtureCase> cases_;
};

}  // namespace dlcam::test
