#include "core/dim_format.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace dlcam {

namespace {
int rankOf(char label) {
  switch (label) {
    case 'S': return 0;
    case 'C': return 1;
    case 'B': return 2;
    case 'T': return 3;
    case 'U': return 4;
    default: return -1;
  }
}
}  // namespace

DimFormat::DimFormat(std::string_view labels) : labels_(labels) {
  for (char c : labels_)
    if (rankOf(c) < 0)
      fail("invalid dimension label '", c, "' in format \"", labels_,
           "\": expected only S (spatial), C (channel), B (batch), T (time) or U (unspecified)");
  for (char c : {'C', 'B', 'T'})
    if (count(c) > 1)
      fail("format \"", labels_, "\" has ", count(c), " '", c, "' labels; at most one C, one B and one T are allowed");
}

bool DimFormat::isFormatted() const {
  return std::any_of(labels_.begin(), labels_.end(), [](char c) { return c != 'U'; });
}

int DimFormat::count(char label) const {
  return static_cast<int>(std::count(labels_.begin(), labels_.end(), label));
}

int DimFormat::find(char label) const {
  auto pos = labels_.find(label);
  return pos == std::string::npos ? -1 : static_cast<int>(pos);
}

std::vector<int> DimFormat::spatialDims() const { return dimsOf("S"); }

std::vector<int> DimFormat::dimsOf(std::string_view labels) const {
  std::vector<int> dims;
  for (int d = 0; d < rank(); ++d)
    if (labels.find(labels_[static_cast<size_t>(d)]) != std::string_view::npos) dims.push_back(d);
  return dims;
}

bool DimFormat::isCanonical() const {
  return std::is_sorted(labels_.begin(), labels_.end(), [](char a, char b) { return rankOf(a) < rankOf(b); });
}

std::vector<int> DimFormat::canonicalOrder() const {
  std::vector<int> order(labels_.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return rankOf(labels_[static_cast<size_t>(a)]) < rankOf(labels_[static_cast<size_t>(b)]); });
  return order;
}

}  // namespace dlcam
