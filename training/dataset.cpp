#include "training/dataset.h"

#include <algorithm>
#include <numeric>

#include "autodiff/shape_ops.h"
#include "core/error.h"

namespace dlcam {

Batch Dataset::all() const {
  std::vector<int64_t> indices(static_cast<size_t>(size()));
  std::iota(indices.begin(), indices.end(), int64_t{0});
  return batch(indices);
}

namespace {

void checkIndices(std::span<const int64_t> indices, int64_t size, const char* what) {
  if (indices.empty()) fail(what, "::batch: no indices given");
  for (int64_t i : indices)
    if (i < 0 || i >= size) fail(what, "::batch: index ", i, " is outside [0, ", size, ")");
}

}  // namespace

ArrayDataset::ArrayDataset(Array inputs, Array targets) : inputs_(std::move(inputs)), targets_(std::move(targets)) {
  const int bIn = inputs_.defined() ? inputs_.format().find('B') : -1;
  const int bTarget = targets_.defined() ? targets_.format().find('B') : -1;
  if (bIn < 0 || bTarget < 0)
    fail("ArrayDataset: inputs and targets need a B (observation) dimension, got formats \"",
         inputs_.format().str(), "\" and \"", targets_.format().str(), "\"");
  size_ = inputs_.size(bIn);
  if (targets_.size(bTarget) != size_)
    fail("ArrayDataset: ", size_, " inputs but ", targets_.size(bTarget), " targets");
  if (size_ == 0) fail("ArrayDataset: no observations");
}

Batch ArrayDataset::batch(std::span<const int64_t> indices) const {
  checkIndices(indices, size_, "ArrayDataset");
  const std::vector<int64_t> chosen(indices.begin(), indices.end());
  return {index(inputs_, inputs_.format().find('B'), chosen), index(targets_, targets_.format().find('B'), chosen)};
}

SequenceDataset::SequenceDataset(std::vector<Tensor> sequences, Array targets)
    : sequences_(std::move(sequences)), targets_(std::move(targets)) {
  if (sequences_.empty()) fail("SequenceDataset: no sequences");
  const int64_t channels = sequences_[0].rank() >= 1 ? sequences_[0].shape()[0] : 0;
  for (size_t i = 0; i < sequences_.size(); ++i) {
    const Tensor& s = sequences_[i];
    if (s.rank() < 1 || s.rank() > 2 || s.numel() == 0 || s.shape()[0] != channels)
      fail("SequenceDataset: sequence ", i, " must be ", channels, "×t with t >= 1 (as sequence 0), got ",
           s.shape().str());
    if (s.dtype() != sequences_[0].dtype())
      fail("SequenceDataset: sequence ", i, " has another dtype than sequence 0");
  }
  const int b = targets_.defined() ? targets_.format().find('B') : -1;
  if (b < 0) fail("SequenceDataset: the targets need a B dimension, got format \"", targets_.format().str(), "\"");
  if (targets_.size(b) != size())
    fail("SequenceDataset: ", size(), " sequences but ", targets_.size(b), " targets");
}

Batch SequenceDataset::batch(std::span<const int64_t> indices) const {
  checkIndices(indices, size(), "SequenceDataset");
  const int64_t c = sequences_[0].shape()[0];
  const int64_t n = static_cast<int64_t>(indices.size());
  int64_t longest = 0;
  for (int64_t i : indices) longest = std::max(longest, sequences_[static_cast<size_t>(i)].numel() / c);
  // "CBT": element (c, b, t) at c + C·b + C·N·t. Steps past a sequence's end stay 0.
  Tensor x(Shape{c, n, longest}, sequences_[0].dtype());
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    T* out = x.data<T>();
    for (int64_t b = 0; b < n; ++b) {
      const Tensor& s = sequences_[static_cast<size_t>(indices[static_cast<size_t>(b)])];
      const T* in = s.data<T>();
      const int64_t steps = s.numel() / c;
      for (int64_t t = 0; t < steps; ++t) std::copy(in + c * t, in + c * (t + 1), out + c * b + c * n * t);
    }
  });
  const std::vector<int64_t> chosen(indices.begin(), indices.end());
  return {Array(x, "CBT"), index(targets_, targets_.format().find('B'), chosen)};
}

}  // namespace dlcam
