// The localisation generators' parts (datasets/localisation_*.cpp), and what their tests need:
// a sample drawn with parts of it left out. Internal to datasets/ and its tests.
#pragma once

#include <cstdint>

#include "core/random.h"
#include "datasets/localisation.h"

namespace dlcam::datasets::detail {

// What a sample is drawn with. Everything about the object (its class, place, size, turn,
// time window) comes from a random stream of its own, so leaving parts out moves nothing.
struct DrawOptions {
  // shapes: the gradient and the pixel noise; without it the image starts black and the object
  // is white (255), so each pixel is 255 × the object's coverage. blobs: the smooth background
  // and the voxel noise; without it the volume starts at 0 and the object's amplitude is 1.
  // sequences: the noise and the drift.
  bool background = true;
  // shapes: the lines and soft blobs; blobs: the fuzzy blobs; sequences: the patterns of no class.
  bool distractors = true;
  // The class-defining object (the region is the same with or without it).
  bool object = true;
};

// The seed of sample `index`'s generator: SplitMix64 mixing of (seed, kind, index).
uint64_t sampleSeed(LocalisationKind kind, uint64_t seed, int64_t index);

// makeSample with parts left out (the public makeSample draws everything).
LocalisationSample makeSample(LocalisationKind kind, uint64_t seed, int64_t index, const DrawOptions& options);

// One generator per kind: objectRng draws the object (and for sequences the length and the
// window), sceneRng everything else.
LocalisationSample drawShapes(int64_t label, Random& objectRng, Random& sceneRng, const DrawOptions& options);
LocalisationSample drawBlobs(int64_t label, Random& objectRng, Random& sceneRng, const DrawOptions& options);
LocalisationSample drawSequence(int64_t label, Random& objectRng, Random& sceneRng, const DrawOptions& options);

// The box (first and last index per dimension) of the positions of a column-major block of
// `sizes` whose value is at least `threshold`; empty vectors when there is none.
Region boxAtLeast(const double* values, const std::vector<int64_t>& sizes, double threshold);

}  // namespace dlcam::datasets::detail
