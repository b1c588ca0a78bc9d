// Batch and layer normalisation (MATLAB batchnorm and batchNormalizationLayer; layerNorm
// follows layerNormalizationLayer's OperationDimension "auto", "channel-only" and
// "spatial-channel"; "batch-excluded" is not provided).
//
// x must have a C dimension: "SSCB", "SSSCB", "SCB", "CB", "CBT", ... The per-channel
// parameters (offset, scale, mean, variance) are arrays with exactly C elements, of any shape
// or format ({C}, 1×1×C, "C"...); they are used in x's dtype. The output has x's shape,
// format and dtype; a parameter's gradient has that parameter's shape and dtype.
#pragma once

#include "core/array.h"

namespace dlcam {

struct BatchNormOptions {
  double epsilon = 1e-5;  // > 0, added to the variance
};

// Inference batch normalisation with stored statistics, per channel c:
//   y = scale_c·(x − mean_c)/sqrt(variance_c + ε) + offset_c
// Differentiable with respect to x, offset and scale. mean and variance are constants: their
// values are used, but no gradient flows to them even when they are traced.
// Throws dlcam::Error when x has no C dimension, a parameter does not have C elements,
// ε <= 0 or a variance is negative.
Array batchNorm(const Array& x, const Array& offset, const Array& scale, const Array& mean, const Array& variance,
                const BatchNormOptions& options = {});

struct BatchNormTrainResult {
  Array y;          // x's shape and format
  Tensor mean;      // the batch mean per channel, {C}, x's dtype
  Tensor variance;  // the UNBIASED batch variance per channel (divides by N − 1), {C}, x's dtype
};

// Training batch normalisation: the statistics are those of this batch, per channel over
// every dimension except C (S, B, T and U: N values per channel), and x is normalised with
// the biased variance (divides by N), as MATLAB and PyTorch do. y is differentiable with
// respect to x, offset and scale, through the batch mean and variance.
// mean and variance are returned for running-statistic updates; the variance is the unbiased
// one there, as PyTorch's BatchNorm uses for its running_var. They carry no gradient.
// Needs N >= 2 values per channel (as PyTorch): throws dlcam::Error otherwise.
BatchNormTrainResult batchNormTrain(const Array& x, const Array& offset, const Array& scale,
                                    const BatchNormOptions& options = {});

// Which dimensions layer normalisation normalises over (MATLAB layerNormalizationLayer's
// OperationDimension).
enum class LayerNormDims {
  // Channel when x has a T dimension ("CBT", "SCBT"...), SpatialChannel otherwise ("SSCB",
  // "SCB", "CB"...), following MATLAB's "auto" for sequence versus image input.
  Auto,
  // Over C alone, separately for every observation, time step and spatial position.
  Channel,
  // Over all S dimensions and C together, separately for every observation and time step
  // (and every position along U dimensions). Without S dimensions this equals Channel.
  SpatialChannel,
};

struct LayerNormOptions {
  double epsilon = 1e-5;  // > 0
  LayerNormDims dims = LayerNormDims::Auto;
};

// y = scale_c·x̂ + offset_c, where x̂ is x normalised by the mean and the biased variance of
// its group (see LayerNormDims). Differentiable with respect to x, offset and scale.
// Throws dlcam::Error when x has no C dimension, a parameter does not have C elements or ε <= 0.
Array layerNorm(const Array& x, const Array& offset, const Array& scale, const LayerNormOptions& options = {});

}  // namespace dlcam
