#include "datasets/localisation.h"

#include <algorithm>
#include <cstdint>

#include "core/error.h"
#include "datasets/localisation_detail.h"

namespace dlcam::datasets {

namespace {

// SplitMix64's output function: every input bit changes about half of the output bits.
uint64_t mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

std::string kindName(LocalisationKind kind) {
  switch (kind) {
    case LocalisationKind::Shapes: return "shapes";
    case LocalisationKind::Blobs: return "blobs";
    case LocalisationKind::Sequences: return "sequences";
  }
  DLCAM_ASSERT(false, "unknown LocalisationKind ", static_cast<int>(kind));
  return {};
}

LocalisationKind kindFromName(const std::string& name) {
  for (LocalisationKind kind : {LocalisationKind::Shapes, LocalisationKind::Blobs, LocalisationKind::Sequences})
    if (kindName(kind) == name) return kind;
  fail("unknown localisation set kind '", name, "' (expected shapes, blobs or sequences)");
}

bool Region::contains(const std::vector<int64_t>& position) const {
  if (position.size() != first.size())
    fail("Region::contains: the position has ", position.size(), " indices, the region ", first.size(), " dimensions");
  for (size_t d = 0; d < first.size(); ++d)
    if (position[d] < first[d] || position[d] > last[d]) return false;
  return true;
}

int64_t Region::count() const {
  int64_t n = 1;
  for (size_t d = 0; d < first.size(); ++d) n *= std::max<int64_t>(last[d] - first[d] + 1, 0);
  return n;
}

const std::vector<std::string>& classNames(LocalisationKind kind) {
  // The generators (localisation_*.cpp) draw class k as the k-th name here.
  static const std::vector<std::string> shapes{"circle", "square", "triangle", "cross"};
  static const std::vector<std::string> blobs{"ball", "cube", "ring"};
  static const std::vector<std::string> sequences{"fast-0-3", "slow-0-3",  "fast-4-7",
                                                  "slow-4-7", "fast-8-11", "slow-8-11"};
  switch (kind) {
    case LocalisationKind::Shapes: return shapes;
    case LocalisationKind::Blobs: return blobs;
    case LocalisationKind::Sequences: return sequences;
  }
  DLCAM_ASSERT(false, "unknown LocalisationKind ", static_cast<int>(kind));
  return shapes;
}

LocalisationSample makeSample(LocalisationKind kind, uint64_t seed, int64_t index) {
  return detail::makeSample(kind, seed, index, detail::DrawOptions{});
}

std::vector<LocalisationSample> makeSet(LocalisationKind kind, uint64_t seed, int64_t count, int64_t first) {
  if (count < 0) fail("makeSet: the count must be at least 0, got ", count);
  if (first < 0) fail("makeSet: the first index must be at least 0, got ", first);
  std::vector<LocalisationSample> samples(static_cast<size_t>(count));
  // Each sample has its own generator, so the threads share nothing and the set does not
  // depend on how many there are.
#pragma omp parallel for schedule(dynamic, 8)
  for (int64_t i = 0; i < count; ++i) samples[static_cast<size_t>(i)] = makeSample(kind, seed, first + i);
  return samples;
}

namespace detail {

uint64_t sampleSeed(LocalisationKind kind, uint64_t seed, int64_t index) {
  return mix64(mix64(mix64(seed) ^ (static_cast<uint64_t>(kind) + 1)) ^ static_cast<uint64_t>(index));
}

LocalisationSample makeSample(LocalisationKind kind, uint64_t seed, int64_t index, const DrawOptions& options) {
  if (index < 0) fail("makeSample: the index must be at least 0, got ", index);
  Random rng(sampleSeed(kind, seed, index));
  Random objectRng = rng.split();
  Random sceneRng = rng.split();
  const int64_t label = index % static_cast<int64_t>(classNames(kind).size());
  switch (kind) {
    case LocalisationKind::Shapes: return drawShapes(label, objectRng, sceneRng, options);
    case LocalisationKind::Blobs: return drawBlobs(label, objectRng, sceneRng, options);
    case LocalisationKind::Sequences: return drawSequence(label, objectRng, sceneRng, options);
  }
  DLCAM_ASSERT(false, "unknown LocalisationKind ", static_cast<int>(kind));
  return {};
}

Region boxAtLeast(const double* values, const std::vector<int64_t>& sizes, double threshold) {
  const size_t rank = sizes.size();
  Region box{std::vector<int64_t>(rank, INT64_MAX), std::vector<int64_t>(rank, -1)};
  int64_t numel = 1;
  for (int64_t s : sizes) numel *= s;
  std::vector<int64_t> position(rank, 0);  // of element i, counted up as i goes (column-major)
  for (int64_t i = 0; i < numel; ++i) {
    if (values[i] >= threshold)
      for (size_t d = 0; d < rank; ++d) {
        box.first[d] = std::min(box.first[d], position[d]);
        box.last[d] = std::max(box.last[d], position[d]);
      }
    for (size_t d = 0; d < rank && ++position[d] == sizes[d]; ++d) position[d] = 0;
  }
  if (rank > 0 && box.last[0] < 0) return Region{};
  return box;
}

}  // namespace detail

}  // namespace dlcam::datasets
