// Loss functions (MATLAB crossentropy and mse on formatted dlarrays), written with the
// differentiable functions of autodiff/, so their gradient flows through the tape like any
// other operation.
//
// Shapes: predictions and targets have the same size and format with a C and a B dimension
// ("CB", "CBT", "SSCB"...). N is the number of observations (the size of B): every loss
// here is summed over everything else and divided by N, MATLAB's default
// NormalizationFactor 'batch-size'. The result is a one-element unformatted array.
#pragma once

#include "core/array.h"

namespace dlcam {

// −(1/N) Σ T·log(Y): Y holds probabilities (a softmax output), T the targets (one-hot rows,
// or any distribution over C). Y must be positive wherever T is not zero.
Array crossEntropy(const Array& probabilities, const Array& targets);

// crossEntropy(softmax(scores), targets) computed from the unnormalised scores through
// logSoftmax: stable for any scores, and the form a training loop uses when the network ends
// in a softmax layer (the loss is taken at the softmax's input). Its gradient with respect to
// the scores is (softmax(scores) − T)/N.
Array softmaxCrossEntropy(const Array& scores, const Array& targets);

// Half mean squared error, (1/(2N)) Σ (Y − T)²: MATLAB's mse. (PyTorch's MSELoss is the mean
// over all elements without the half: for one response per observation, twice this.)
Array meanSquaredError(const Array& predictions, const Array& targets);

// Targets for crossEntropy: a "CB" numClasses×N array of float32 one-hot columns for 0-based
// class indices. Throws dlcam::Error for an index outside [0, numClasses).
Array oneHot(const std::vector<int64_t>& classes, int64_t numClasses);

}  // namespace dlcam
