// DimFormat: one label per dimension, as MATLAB's dlarray formats ("SSCB", "CBT", ...).
//
//   S spatial   C channel   B batch (observations)   T time   U unspecified
//
// An Array keeps its labels in canonical order: all S, then C, B, T, then all U. There is at
// most one C, one B and one T. An unformatted array has only U labels.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dlcam {

class DimFormat {
 public:
  DimFormat() = default;
  // Validates the letters and the counts; any order is accepted here (an Array permutes its
  // data into canonical order on construction). Throws dlcam::Error for "SSCCB" or "X".
  explicit DimFormat(std::string_view labels);
  static DimFormat unformatted(int rank) { return DimFormat(std::string(static_cast<size_t>(rank), 'U')); }

  const std::string& str() const { return labels_; }
  int rank() const { return static_cast<int>(labels_.size()); }
  char operator[](int d) const { return labels_.at(static_cast<size_t>(d)); }
  bool isFormatted() const;  // any label other than U

  int count(char label) const;
  // Index of the C, B or T dimension, or -1 when absent.
  int find(char label) const;
  std::vector<int> spatialDims() const;            // indices of S dims
  std::vector<int> dimsOf(std::string_view labels) const;  // indices of dims whose label is listed

  bool isCanonical() const;
  // Permutation p such that labels_[p[0]], labels_[p[1]], ... is canonical (stable).
  std::vector<int> canonicalOrder() const;

  bool operator==(const DimFormat&) const = default;

 private:
  std::string labels_;
};

}  // namespace dlcam
