// Input layers (MATLAB imageInputLayer, image3dInputLayer, sequenceInputLayer,
// featureInputLayer): they declare the network's input size and format, check the data
// against it and normalise it.
//
//   ImageInputLayer in("input", {.size = {224, 224, 3},
//                                .normalization = {.kind = Normalization::ZScore, .mean = m, .standardDeviation = s}});
//
// forward(x) takes x with exactly the declared format and the declared sizes in every
// dimension except B (and T for a sequence of any length); it throws dlcam::Error naming the
// layer, the expected and the actual input otherwise. The output has x's size and format.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "layers/layer.h"

namespace dlcam {

// MATLAB's Normalization option of the input layers.
//   ZeroCenter:     x − mean
//   ZScore:         (x − mean) / standardDeviation
//   RescaleZeroOne: (x − min) / (max − min)
enum class Normalization { None, ZeroCenter, ZScore, RescaleZeroOne };

// The statistics of an input normalisation. Each one is given either per channel (C values),
// as one value for every element, or for the full input (as many values as one observation
// has: h·w·c for images, stored column-major; for sequence and feature input this is C).
// Give exactly those the kind uses: mean for ZeroCenter, mean and standardDeviation (> 0)
// for ZScore, min and max (max > min) for RescaleZeroOne; the constructor of the input layer
// checks this.
struct InputNormalization {
  Normalization kind = Normalization::None;
  Array mean{}, standardDeviation{}, min{}, max{};
};

// MATLAB's name of a normalisation: "none", "zerocenter", "zscore", "rescale-zero-one".
std::string normalizationName(Normalization kind);

// What the input layers share: the declared input, the check of the data against it and the
// normalisation. Not used directly: see the four layers below.
class NormalizingInputLayer : public InputLayer {
 public:
  std::string type() const override { return type_; }
  ActivationInfo inputInfo() const override { return declared_; }
  Array forward(std::span<const Array> inputs, ForwardContext& context) const override;
  void moveTo(Device device) override;  // the normalisation's shift and divisor too

  const InputNormalization& normalization() const { return normalization_; }

 protected:
  // declared: the input's size and format with B = 1; anyLength: T may take any size.
  NormalizingInputLayer(std::string name, std::string type, ActivationInfo declared, bool anyLength,
                        InputNormalization normalization);
  // " with 'zscore' normalization", or "" for none.
  std::string normalizationSuffix() const;

 private:
  // The statistic as an array that broadcasts against the input, in float64.
  Array prepareStatistic(const Array& stat, const char* what) const;
  std::string expectedText() const;

  std::string type_;
  ActivationInfo declared_;
  bool anyLength_ = false;
  InputNormalization normalization_;
  Array shift_, divisor_;  // y = (x − shift) / divisor; undefined when not used
};

struct ImageInputOptions {
  std::vector<int64_t> size{};  // {h, w, c}, or {h, w} for one channel
  InputNormalization normalization{};
};

// 2-D images: input "SSCB", h×w×c×n.
class ImageInputLayer : public NormalizingInputLayer {
 public:
  ImageInputLayer(std::string name, ImageInputOptions options);
  // "28×28×1 images with 'zerocenter' normalization"
  std::string description() const override;
  const std::vector<int64_t>& inputSize() const { return size_; }  // {h, w, c}

 private:
  std::vector<int64_t> size_;
};

// 3-D images: input "SSSCB", h×w×d×c×n.
class Image3dInputLayer : public NormalizingInputLayer {
 public:
  // options.size: {h, w, d, c}, or {h, w, d} for one channel.
  Image3dInputLayer(std::string name, ImageInputOptions options);
  std::string description() const override;
  const std::vector<int64_t>& inputSize() const { return size_; }  // {h, w, d, c}

 private:
  std::vector<int64_t> size_;
};

struct SequenceInputOptions {
  int64_t channels = 0;
  int64_t length = -1;  // number of time steps, or -1 for any
  InputNormalization normalization{};
};

// Vector sequences: input "CBT", c×n×t. The declared input has T = length, or 1 when the
// length may vary.
class SequenceInputLayer : public NormalizingInputLayer {
 public:
  SequenceInputLayer(std::string name, SequenceInputOptions options);
  // "Sequence input with 12 dimensions"
  std::string description() const override;
  int64_t numChannels() const { return channels_; }
  int64_t length() const { return length_; }  // -1: any

 private:
  int64_t channels_, length_;
};

struct FeatureInputOptions {
  int64_t channels = 0;
  InputNormalization normalization{};
};

// Feature vectors: input "CB", c×n.
class FeatureInputLayer : public NormalizingInputLayer {
 public:
  FeatureInputLayer(std::string name, FeatureInputOptions options);
  // "10 features"
  std::string description() const override;
  int64_t numChannels() const { return channels_; }

 private:
  int64_t channels_;
};

}  // namespace dlcam
