// Convolution layer (MATLAB convolution1dLayer, convolution2dLayer, convolution3dLayer,
// groupedConvolution2dLayer; ONNX Conv), computed by conv() of autodiff/conv.h.
//
//   ConvolutionLayer conv("conv1", {.spatialDims = 2, .weights = w, .bias = b,
//                                   .conv = {.stride = {2}, .padding = ConvPadding::same()}});
//
// Input: spatialDims S dims, C and usually B ("SCB", "SSCB", "SSSCB"; B may be absent), or
// for spatialDims = 1 a sequence "CBT" / "CT" (convolved over T). C must equal the
// weights' channels. Output: the input's format; the S (or T) sizes are the convolution's
// output sizes and C is the number of filters.
// Learnables: "Weights" (k_1×…×k_d×(C/groups)×F) and "Bias" (F values; absent when the
// layer has no bias).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "autodiff/conv.h"
#include "layers/layer.h"

namespace dlcam {

struct ConvolutionOptions {
  int spatialDims = 2;  // 1, 2 or 3
  // k_1×…×k_d×(C/groups)×F, MATLAB's layout (as conv()); trailing singleton dims may be left out.
  Array weights{};
  Array bias{};  // F values, or Array() for none
  ConvOptions conv{};
};

class ConvolutionLayer : public Layer {
 public:
  // Throws dlcam::Error naming the layer when the weights, bias or options do not fit
  // together (see conv()).
  ConvolutionLayer(std::string name, ConvolutionOptions options);

  // "2-D Convolution"; "2-D Grouped Convolution" when groups > 1.
  std::string type() const override;
  // "16 3×3×3 convolutions with stride [2 2] and padding [1 1 1 1]"; padding is listed
  // before and after each spatial dim in turn ([top bottom left right] in 2-D), or 'same'.
  std::string description() const override;
  ActivationInfo inferOutput(std::span<const ActivationInfo> inputs) const override;
  Array forward(std::span<const Array> inputs, ForwardContext& context) const override;

  int spatialDims() const { return spatialDims_; }
  const std::vector<int64_t>& filterSize() const { return filterSize_; }  // k_1 … k_d
  int64_t numChannels() const { return channels_; }                       // C, all groups together
  int64_t numFilters() const { return filters_; }                         // F, all groups together
  int64_t groups() const { return options_.groups; }
  const ConvOptions& convOptions() const { return options_; }
  // Per spatial dim, resolved (one value each).
  const std::vector<int64_t>& stride() const { return stride_; }
  const std::vector<int64_t>& dilation() const { return dilation_; }
  const Array& weights() const { return learnables_[0].value; }
  bool hasBias() const { return learnables_.size() > 1; }
  const Array& bias() const;  // throws when the layer has no bias

 private:
  int spatialDims_;
  ConvOptions options_;
  std::vector<int64_t> filterSize_, stride_, dilation_, padBefore_, padAfter_;
  int64_t channels_ = 0, filters_ = 0;
};

}  // namespace dlcam
