// Localisation sets: generated inputs whose class is decided by one object at a known place,
// so that an explanation can be checked against the truth (gradcam/quality.h, `dlcam
// evaluate`). Three kinds, one per input kind dlcam explains:
//
//   shapes     64×64 RGB images (h×w×3, whole values 0…255, as a PNG file holds them): one
//              target shape — circle, square, triangle (apex up) or cross (a plus sign),
//              12…24 px, turned by up to ±15° — at a random place among 1–3 soft blobs and
//              1–3 thin lines, on a gradient background, with pixel noise (σ 4…16). Its colour
//              is random but at least 110 (RGB distance) from what lies under it. Region: the
//              box of the pixels the shape covers at least half.
//   blobs      32×32×32 volumes (h×w×d×1): one solid class-defining object — a ball (radius
//              4…6), a cube (side 7…11, turned at random) or a ring (a torus of radius 4…6,
//              tube radius 1.5…2, facing a random way) — of height 0.5…1 among 2–4 fuzzy
//              Gaussian blobs of the same heights and about its size, on a background near 0
//              (smooth variation σ 0.05, voxel noise σ 0.02…0.08). Region: the box of the
//              voxels the object covers at least half.
//   sequences  12 features × t time steps (c×t, t varies, 48…96): Gaussian noise (σ 1) and a
//              slow drift per feature, one class-defining pattern in a window of 10…14 steps,
//              and 1–2 patterns of no class elsewhere. Class k is a sine burst of amplitude
//              2…3 on a group of four features: "fast-0-3" (period 4 steps on features 0–3,
//              alternating in sign from feature to feature), "slow-0-3" (period 8, in phase),
//              "fast-4-7", "slow-4-7", "fast-8-11", "slow-8-11". The others are single
//              half-sine bumps (signs + + − −), up or down, on one of those groups, in windows
//              that do not touch the pattern's. Region: the pattern's window.
//
// Every sample is a function of (kind, seed, index) alone, so any sample can be made again
// without the others, and a set is the same wherever dlcam is built the same way (another
// libm or compiler may round the drawing's sin/exp differently in the last bits).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace dlcam::datasets {

enum class LocalisationKind { Shapes, Blobs, Sequences };

// "shapes", "blobs", "sequences"; and back (throws dlcam::Error listing the kinds).
std::string kindName(LocalisationKind kind);
LocalisationKind kindFromName(const std::string& name);

// The true region: per spatial dimension (h, w[, d]) or for time (t), the first and last
// index it covers (0-based, inclusive).
struct Region {
  std::vector<int64_t> first, last;
  // Whether a position (one index per dimension) lies inside.
  bool contains(const std::vector<int64_t>& position) const;
  // The number of positions inside.
  int64_t count() const;
};

struct LocalisationSample {
  // shapes: h×w×3 float32 (0…255); blobs: h×w×d×1 float32; sequences: 12×t float32 (c×t).
  Tensor input;
  int64_t label = 0;  // class index, 0-based
  Region region;
};

// The class names of a kind, in class-index order.
const std::vector<std::string>& classNames(LocalisationKind kind);

// Sample `index` of the set with this seed. Classes cycle with the index (index mod the
// number of classes), so any n consecutive indices are balanced.
LocalisationSample makeSample(LocalisationKind kind, uint64_t seed, int64_t index);

// Samples [first, first + count) of the set with this seed (in parallel).
std::vector<LocalisationSample> makeSet(LocalisationKind kind, uint64_t seed, int64_t count, int64_t first = 0);

}  // namespace dlcam::datasets
