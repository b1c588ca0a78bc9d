// Explanation quality: does a Grad-CAM map point at what decided the class, does the score
// follow the map, and does the map depend on what the network learnt? Three measures from the
// literature, for the maps gradCAM returns (`dlcam evaluate` runs them over a localisation set,
// datasets/manifest.h):
//
//   pointing game      the map's peak lies inside the true region (Zhang et al. 2016)
//   deletion/insertion the class score as the most important positions are removed from the
//                      input, or put back into a blank one (Petsiuk et al. 2018, RISE)
//   sanity check       the map of a network whose learnables are randomised layer by layer,
//                      from the top, compared with the original map (Adebayo et al. 2018)
//
// A map here is the spatial map of one target and one observation at the input's resolution,
// a float32 tensor (column-major, as gradCAM returns it):
//
//   2-D image  h×w      volume  h×w×d      sequence  1×t
//
// that is one slice of GradCamResult::map (h×w×N×B ...). A position is one pixel, voxel or
// time step, with all of the input's channels. Regions (datasets/localisation.h) give per
// dimension the first and last index inside, 0-based and inclusive: (h, w), (h, w, d), or (t)
// alone for a 1×t map.
//
//   GradCamResult r = gradCAM(net, x, label);              // x: one observation
//   bool hit = pointingHit(r.map, region);                 // an h×w×1×1 map is an h×w map
//   PerturbationCurves c = perturbationCurves(net, x, r.map, label);
//   c.deletionArea;                                        // lower is better
//   std::vector<RandomisationStep> s = cascadingRandomisation(net, {x}, {label});
//   s[0].layer, s[0].meanRho;                              // the top layer randomised: rho near 1 is bad
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/array.h"
#include "core/random.h"
#include "datasets/localisation.h"
#include "gradcam/gradcam.h"
#include "layers/network.h"

namespace dlcam {

// ---- Pointing game --------------------------------------------------------------------------

// The position of the map's largest value, one index per dimension of the tensor (0 for
// trailing sizes of 1 such as gradCAM's N and B). Ties go to the first position in
// column-major order (the first dimension fastest: in an h×w map, the smallest column, then
// the smallest row); NaN never counts as largest. Throws dlcam::Error for an empty map.
std::vector<int64_t> mapPeak(const Tensor& map);

// Whether the map's peak (mapPeak) lies inside the region, or within `tolerance` positions of
// it (Euclidean distance to the nearest position inside; Zhang et al. allow 15 pixels on
// images of about 224×224, which absorbs the coarseness of a map upsampled from a small
// feature map). The region has one dimension per map dimension, or one (t) for a 1×t map.
// Throws dlcam::Error when it has another count or does not fit inside the map (checkRegion),
// or tolerance < 0.
bool pointingHit(const Tensor& map, const datasets::Region& region, double tolerance = 0);

// Throws dlcam::Error "<what> (first…)…(last…) <why>" unless the region fits a map of this
// size: one dimension per map dimension (or one, t, for a 1×t map), 0 ≤ first ≤ last < size.
void checkRegion(const datasets::Region& region, const std::vector<int64_t>& mapSize, const std::string& what);

// Baseline maps, explanations that know nothing of the network, for the pointing game and the
// curves. randomMap: i.i.d. uniform values in [0, 1) drawn from rng in column-major order.
// centreBiasMap: exp(−½ Σ_d ((i_d − c_d) / σ_d)²) with the centre c_d = ⌊size_d / 2⌋ (the
// middle pixel, or the one after the middle for an even size) and σ_d = size_d / 4; its peak
// is that centre pixel. `size`: the map's dimensions (h×w, h×w×d or 1×t).
Tensor randomMap(const std::vector<int64_t>& size, Random& rng);
Tensor centreBiasMap(const std::vector<int64_t>& size);

// ---- Deletion and insertion -----------------------------------------------------------------

// The map's positions (column-major linear indices) from the most important (largest value)
// to the least; equal values in index order; NaN last.
std::vector<int64_t> importanceOrder(const Tensor& map);

// The area under a curve of points (x_i, y_i), x increasing: the trapezoid rule.
double curveArea(const std::vector<double>& x, const std::vector<double>& y);

struct PerturbationOptions {
  // The curves have steps + 1 points: k_i = round(i · P / steps) positions changed at point i
  // (P: the number of positions), from 0 to all of them.
  int64_t steps = 32;
  // The layer whose class score is measured, summed over its spatial and time dimensions as
  // gradCAM's class score is (the softmax probability for a classifier's output). Empty: the
  // network's output layer.
  std::string reductionLayer{};
  // The perturbed inputs go through the network this many at a time (memory).
  int64_t batchSize = 33;
};

struct PerturbationCurves {
  std::vector<double> fractions;  // k_i / P, from 0 to 1
  // The class score at each point. Deletion: the input with its k_i most important positions
  // set to the baseline; insertion: the baseline with the k_i most important positions of the
  // input put back. Both start or end at the input's own score.
  std::vector<double> deletion, insertion;
  // curveArea over the fractions: a good map makes the deletion area small and the insertion
  // area large (compare with the curves of a randomMap).
  double deletionArea = 0, insertionArea = 0;
};

// The deletion and insertion curves of `map` for class `classIndex`. x: one observation in the
// network's input format, with B = 1 or without B (h×w×c "SSC(B)", h×w×d×c "SSSC(B)", c×t
// "CBT"/"CT"), as the network's input layer takes it (after any normalisation the caller
// applies). map: its positions, h×w, h×w×d or 1×t (mapPeak's note on trailing 1s applies).
// The baseline is the input's mean over positions, per channel (a gray image for an image).
// Throws dlcam::Error when the map's size is not the input's, steps or batchSize < 1, the
// layer is unknown or has no C dimension, or the class is not one of its channels.
PerturbationCurves perturbationCurves(const Network& net, const Array& x, const Tensor& map, int64_t classIndex,
                                      const PerturbationOptions& options = {});

// ---- Sanity check: cascading randomisation --------------------------------------------------

// Spearman's rank correlation of two equally long sets of values: the Pearson correlation of
// their ranks, equal values getting the mean of their ranks. NaN when either set has fewer
// than two values or all its values equal (no ranking). Throws dlcam::Error when the sizes
// differ or a value is NaN.
double spearman(const Tensor& a, const Tensor& b);

// Saves the learnables of every layer of a network and puts them back when it goes out of
// scope (also when an exception leaves the scope): the same arrays, so the values are
// restored exactly.
class LearnablesGuard {
 public:
  explicit LearnablesGuard(Network& net);
  ~LearnablesGuard();
  LearnablesGuard(const LearnablesGuard&) = delete;
  LearnablesGuard& operator=(const LearnablesGuard&) = delete;

 private:
  Network& net_;
  std::vector<std::vector<Parameter>> saved_;  // per layer, in layer order
};

// The layers cascadingRandomisation randomises, in its order: those with a "Weights"
// learnable (convolutions, fully connected layers), from the output down (reverse execution
// order).
std::vector<std::string> randomisationOrder(const Network& net);

// Replaces every learnable of the layer (Weights and Bias) with new arrays of the same size
// whose values are drawn i.i.d. from a normal distribution with the mean and the standard
// deviation of the old values: the scale the layer had, none of its structure. A learnable
// whose values are all equal (a zero bias) keeps them. Draws from rng learnable by learnable,
// in the layer's order, each column-major.
void randomiseLearnables(Layer& layer, Random& rng);

struct RandomisationOptions {
  GradCamOptions gradcam{};  // how every map is computed (layers, upsampling)
  uint64_t seed = 0;         // of the Random that randomiseLearnables draws from
};

struct RandomisationStep {
  std::string layer;  // randomised at this step, in addition to the layers above it
  // Per input: Spearman's rho between the map after this step and the original map, 0 when
  // either map is constant (an all-zero map after the ReLU has no ranking).
  std::vector<double> rho;
  int64_t constantMaps = 0;  // inputs whose rho is 0 for that reason
  double meanRho = 0;        // the mean of rho
};

// Adebayo et al.'s cascading randomisation: the maps of the inputs are computed, then the
// layers of randomisationOrder are randomised one after the other, cumulatively
// (randomiseLearnables, one Random(options.seed) for the whole cascade), and after each the
// maps are computed again and compared with the originals. A map that stays similar when the
// network's learnt weights are gone explains the input, not the network. One step per
// randomised layer, in that order. inputs: one observation each, as gradCAM takes it;
// classes: the class whose map is compared, one per input. The network's learnables are
// restored before it returns or throws (LearnablesGuard). Throws dlcam::Error as gradCAM does,
// and when inputs and classes differ in count or are empty.
std::vector<RandomisationStep> cascadingRandomisation(Network& net, const std::vector<Array>& inputs,
                                                      const std::vector<int64_t>& classes,
                                                      const RandomisationOptions& options = {});

}  // namespace dlcam
