// Options given per dimension (stride, window, padding...): none, one value for every
// dimension, or one value each.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace dlcam::detail {

// `values` expanded to `count` entries: a single value applies to every dimension, an empty
// list gives `ifEmpty` (when that is not empty too). Otherwise throws dlcam::Error:
// "<what> needs 1 or <count> values (<where>), got <n> values [..]".
inline std::vector<int64_t> perDimension(const std::vector<int64_t>& values, size_t count,
                                         const std::vector<int64_t>& ifEmpty, const std::string& what,
                                         const std::string& where) {
  if (values.empty() && !ifEmpty.empty()) return ifEmpty;
  if (values.size() == count) return values;
  if (values.size() == 1) return std::vector<int64_t>(count, values[0]);
  fail(what, " needs 1 or ", count, " values (", where, "), got ", values.size(), " values ", bracketed(values));
}

}  // namespace dlcam::detail
