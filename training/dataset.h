// Datasets: where a training loop draws its mini-batches from.
//
//   ArrayDataset data(images, oneHot(labels, 10));   // images 28×28×1×N "SSCB"
//   Batch b = data.batch(std::vector<int64_t>{4, 17, 2});
//
// A Dataset is a numbered collection of observations; batch() gathers some of them, in the
// order given, into the network's input (B = the number of indices) and the matching targets.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/array.h"

namespace dlcam {

struct Batch {
  Array inputs;   // the network's input format, B = number of observations
  Array targets;  // "CB" (or "CBT"): one-hot classes or responses, one column per observation
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  // The observations at `indices` (each in [0, size()), repeats allowed), in that order.
  virtual Batch batch(std::span<const int64_t> indices) const = 0;
  // All observations in order.
  Batch all() const;
};

// Observations held in two arrays whose B dimensions line up: inputs in any format with B
// (a 28×28×1×N "SSCB" stack of images, a c×N×t "CBT" batch of equal-length sequences...) and
// targets "CB" (C×N) or "CBT".
class ArrayDataset : public Dataset {
 public:
  // Throws dlcam::Error when either array has no B dimension or their B sizes differ.
  ArrayDataset(Array inputs, Array targets);
  int64_t size() const override { return size_; }
  Batch batch(std::span<const int64_t> indices) const override;

 private:
  Array inputs_, targets_;
  int64_t size_ = 0;
};

// Vector sequences of varying length (MATLAB's cell array of c×t sequences): each batch is
// padded on the right with zeros to its longest sequence, as MATLAB's trainNetwork pads by
// default ('SequenceLength' 'longest', 'SequencePaddingDirection' 'right', value 0). Inputs
// "CBT"; targets "CB", one column per sequence.
class SequenceDataset : public Dataset {
 public:
  // sequences: c×t tensors with the same c and any t >= 1; targets: "CB" with one column per
  // sequence. Throws dlcam::Error naming the first sequence that does not fit.
  SequenceDataset(std::vector<Tensor> sequences, Array targets);
  int64_t size() const override { return static_cast<int64_t>(sequences_.size()); }
  Batch batch(std::span<const int64_t> indices) const override;
  const Tensor& sequence(int64_t i) const { return sequences_.at(static_cast<size_t>(i)); }

 private:
  std::vector<Tensor> sequences_;
  Array targets_;
};

}  // namespace dlcam
