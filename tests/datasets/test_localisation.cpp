#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "datasets/localisation.h"
#include "datasets/localisation_detail.h"

using namespace dlcam;
using namespace dlcam::datasets;
namespace gen = dlcam::datasets::detail;  // the generators' internals

namespace {

constexpr LocalisationKind kKinds[] = {LocalisationKind::Shapes, LocalisationKind::Blobs, LocalisationKind::Sequences};

bool sameValues(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.data<float>(), b.data<float>(), static_cast<size_t>(a.numel()) * sizeof(float)) == 0;
}

bool sameRegion(const Region& a, const Region& b) { return a.first == b.first && a.last == b.last; }

// The box of the positions whose value is at least `threshold`, found by brute force over the
// first `rank` dimensions (any further ones are scanned too, and must agree).
Region boxOf(const Tensor& t, int rank, double threshold) {
  Region box{std::vector<int64_t>(rank, INT64_MAX), std::vector<int64_t>(rank, -1)};
  const std::vector<int64_t>& sizes = t.shape().dims();
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (t.at(i) < threshold) continue;
    int64_t rest = i;
    for (int d = 0; d < rank; ++d) {
      const int64_t position = rest % sizes[d];
      rest /= sizes[d];
      box.first[d] = std::min(box.first[d], position);
      box.last[d] = std::max(box.last[d], position);
    }
  }
  return box;
}

gen::DrawOptions objectOnly() { return {.background = false, .distractors = false, .object = true}; }
gen::DrawOptions distractorsOnly() { return {.background = false, .distractors = true, .object = false}; }

}  // namespace

TEST_CASE("localisation kinds by name, and their classes") {
  for (LocalisationKind kind : kKinds) CHECK(kindFromName(kindName(kind)) == kind);
  CHECK(kindName(LocalisationKind::Blobs) == "blobs");
  CHECK_THROWS_WITH_AS(kindFromName("cubes"), doctest::Contains("'cubes' (expected shapes, blobs or sequences)"),
                       Error);
  CHECK(classNames(LocalisationKind::Shapes) == std::vector<std::string>{"circle", "square", "triangle", "cross"});
  CHECK(classNames(LocalisationKind::Blobs) == std::vector<std::string>{"ball", "cube", "ring"});
  CHECK(classNames(LocalisationKind::Sequences).size() == 6);
}

TEST_CASE("Region contains and counts its positions") {
  const Region r{{2, 5}, {4, 5}};
  CHECK(r.count() == 3);
  CHECK(r.contains({2, 5}));
  CHECK(r.contains({4, 5}));
  CHECK_FALSE(r.contains({1, 5}));
  CHECK_FALSE(r.contains({3, 6}));
  CHECK(Region{{7}, {9}}.count() == 3);
  CHECK_THROWS_WITH_AS(r.contains({2}), doctest::Contains("1 indices, the region 2 dimensions"), Error);
}

TEST_CASE("a localisation sample is a function of its kind, seed and index alone") {
  for (LocalisationKind kind : kKinds) {
    CAPTURE(kindName(kind));
    const LocalisationSample a = makeSample(kind, 7, 5), again = makeSample(kind, 7, 5);
    CHECK(sameValues(a.input, again.input));
    CHECK(sameRegion(a.region, again.region));
    CHECK_FALSE(sameValues(a.input, makeSample(kind, 7, 6).input));
    CHECK_FALSE(sameValues(a.input, makeSample(kind, 8, 5).input));
    // makeSet makes them in parallel: the same samples as one by one.
    const std::vector<LocalisationSample> set = makeSet(kind, 7, 4, 3);
    REQUIRE(set.size() == 4);
    for (int64_t i = 0; i < 4; ++i) {
      const LocalisationSample one = makeSample(kind, 7, 3 + i);
      CHECK(sameValues(set[i].input, one.input));
      CHECK(set[i].label == one.label);
      CHECK(sameRegion(set[i].region, one.region));
    }
  }
  CHECK(makeSet(LocalisationKind::Shapes, 1, 0).empty());
  CHECK_THROWS_WITH_AS(makeSet(LocalisationKind::Shapes, 1, -1), doctest::Contains("count must be at least 0"), Error);
  CHECK_THROWS_WITH_AS(makeSample(LocalisationKind::Blobs, 1, -2), doctest::Contains("index must be at least 0"),
                       Error);
}

TEST_CASE("localisation classes cycle with the index, sizes and values are as documented, regions inside") {
  for (LocalisationKind kind : kKinds) {
    CAPTURE(kindName(kind));
    const int64_t classes = static_cast<int64_t>(classNames(kind).size());
    const std::vector<LocalisationSample> set = makeSet(kind, 3, 2 * classes, 10);
    for (int64_t i = 0; i < static_cast<int64_t>(set.size()); ++i) {
      const LocalisationSample& s = set[i];
      CHECK(s.label == (10 + i) % classes);
      const std::vector<int64_t>& dims = s.input.shape().dims();
      float lo = INFINITY, hi = -INFINITY;
      for (int64_t k = 0; k < s.input.numel(); ++k) {
        lo = std::min(lo, s.input.data<float>()[k]);
        hi = std::max(hi, s.input.data<float>()[k]);
      }
      switch (kind) {
        case LocalisationKind::Shapes:
          CHECK(dims == std::vector<int64_t>{64, 64, 3});
          CHECK(lo >= 0);
          CHECK(hi <= 255);
          CHECK(std::all_of(s.input.data<float>(), s.input.data<float>() + s.input.numel(),
                            [](float v) { return v == std::round(v); }));
          break;
        case LocalisationKind::Blobs:
          CHECK(dims == std::vector<int64_t>{32, 32, 32, 1});
          CHECK(lo > -0.6);
          CHECK(hi < 1.6);
          CHECK(hi > 0.45);  // the object is at least 0.5 bright, under noise
          break;
        case LocalisationKind::Sequences:
          CHECK(dims.size() == 2);
          CHECK(dims[0] == 12);
          CHECK(dims[1] >= 48);
          CHECK(dims[1] <= 96);
          break;
      }
      const size_t rank = kind == LocalisationKind::Sequences ? 1 : (kind == LocalisationKind::Shapes ? 2 : 3);
      REQUIRE(s.region.first.size() == rank);
      REQUIRE(s.region.last.size() == rank);
      for (size_t d = 0; d < rank; ++d) {
        const int64_t size = kind == LocalisationKind::Sequences ? dims[1] : dims[d];
        CHECK(s.region.first[d] >= 0);
        CHECK(s.region.first[d] <= s.region.last[d]);
        CHECK(s.region.last[d] < size);
      }
    }
  }
}

TEST_CASE("shapes: the region is the box of the pixels the object covers at least half, and its outline is right") {
  for (int64_t index = 0; index < 12; ++index) {
    CAPTURE(index);
    const LocalisationSample full = makeSample(LocalisationKind::Shapes, 5, index);
    // The object alone, white on black: each pixel is 255 × its coverage, rounded; a coverage
    // of 8/16 (the least that counts) is 127.5, which rounds to 128, and 7/16 to 112.
    const LocalisationSample clean = gen::makeSample(LocalisationKind::Shapes, 5, index, objectOnly());
    CHECK(sameRegion(clean.region, full.region));
    const Region box = boxOf(clean.input, 2, 128);
    CHECK(sameRegion(box, full.region));
    int64_t notGray = 0;  // white: the three channels agree
    for (int64_t k = 0; k < 64 * 64; ++k)
      notGray += clean.input.at(k) != clean.input.at(k + 4096) || clean.input.at(k) != clean.input.at(k + 8192);
    CHECK(notGray == 0);
    const int64_t height = box.last[0] - box.first[0] + 1, width = box.last[1] - box.first[1] + 1;
    CHECK(height >= 11);  // 12…24 px, turned by up to 15°
    CHECK(width <= 35);
    const auto covered = [&](int64_t y, int64_t x) { return clean.input.at(y + 64 * x) >= 128; };
    int64_t inside = 0, topThird = 0, bottomThird = 0;
    for (int64_t y = box.first[0]; y <= box.last[0]; ++y)
      for (int64_t x = box.first[1]; x <= box.last[1]; ++x) {
        inside += covered(y, x);
        topThird += covered(y, x) && y < box.first[0] + height / 3;
        bottomThird += covered(y, x) && y > box.last[0] - height / 3;
      }
    const double fill = static_cast<double>(inside) / box.count();
    const int64_t cy = (box.first[0] + box.last[0]) / 2, cx = (box.first[1] + box.last[1]) / 2;
    switch (clean.label) {
      case 0:  // circle: π/4 of its box
        CHECK(fill > 0.7);
        CHECK(fill < 0.87);
        break;
      case 1:  // square: all of its box, 2/3 when turned by 15°
        CHECK(fill > 0.6);
        CHECK(covered(cy, cx));
        break;
      case 2:  // triangle, apex up: rows grow downwards, so the top third holds the least
        CHECK(fill < 0.6);
        CHECK(3 * topThird < bottomThird);
        break;
      case 3:  // cross: the centre is covered, the box's corners are not
        CHECK(covered(cy, cx));
        CHECK_FALSE(covered(box.first[0], box.first[1]));
        CHECK_FALSE(covered(box.first[0], box.last[1]));
        CHECK_FALSE(covered(box.last[0], box.first[1]));
        CHECK_FALSE(covered(box.last[0], box.last[1]));
        break;
    }
  }
}

TEST_CASE("blobs: the region is the box of the voxels the object covers at least half, and the blobs keep away") {
  for (int64_t index = 0; index < 9; ++index) {
    CAPTURE(index);
    const LocalisationSample full = makeSample(LocalisationKind::Blobs, 5, index);
    // The object alone with amplitude 1: each voxel holds its coverage.
    const LocalisationSample clean = gen::makeSample(LocalisationKind::Blobs, 5, index, objectOnly());
    CHECK(sameRegion(clean.region, full.region));
    const Region box = boxOf(clean.input, 3, 0.5);
    CHECK(sameRegion(box, full.region));
    int64_t inside = 0;
    for (int64_t k = 0; k < clean.input.numel(); ++k) inside += clean.input.at(k) >= 0.5;
    const double fill = static_cast<double>(inside) / box.count();
    const int64_t centre = (box.first[0] + box.last[0]) / 2 + 32 * ((box.first[1] + box.last[1]) / 2) +
                           1024 * ((box.first[2] + box.last[2]) / 2);
    switch (clean.label) {
      case 0:  // ball: π/6 of its box, radius 4…6
        CHECK(fill > 0.4);
        CHECK(fill < 0.65);
        CHECK(clean.input.at(centre) == 1.0);
        CHECK(box.last[0] - box.first[0] + 1 >= 7);
        CHECK(box.last[0] - box.first[0] + 1 <= 12);
        break;
      case 1:  // cube: solid in the middle, side 7…11 (its box is larger when it is turned)
        CHECK(clean.input.at(centre) == 1.0);
        CHECK(inside >= 6 * 6 * 6);
        CHECK(inside <= 12 * 12 * 12);
        break;
      case 2:  // ring: a hole in the middle
        CHECK(clean.input.at(centre) == 0.0);
        break;
    }
    // The fuzzy blobs alone: each is centred at least twice its half-height radius from the
    // region, so less than 1/16 of its height (at most 1) reaches it; there are at most 4.
    const LocalisationSample blobs = gen::makeSample(LocalisationKind::Blobs, 5, index, distractorsOnly());
    double inRegion = 0, anywhere = 0;
    for (int64_t k = 0; k < blobs.input.numel(); ++k) {
      anywhere = std::max(anywhere, blobs.input.at(k));
      if (blobs.region.contains({k % 32, k / 32 % 32, k / 1024})) inRegion = std::max(inRegion, blobs.input.at(k));
    }
    CHECK(anywhere >= 0.4);  // the peak of a blob of height 0.5 or more, off a voxel's centre
    CHECK(inRegion < 4.0 / 16);
  }
}

TEST_CASE("sequences: the pattern lies in its window, on its class's features, with its class's signs and pace") {
  for (int64_t index = 0; index < 18; ++index) {
    CAPTURE(index);
    const LocalisationSample full = makeSample(LocalisationKind::Sequences, 5, index);
    const LocalisationSample clean = gen::makeSample(LocalisationKind::Sequences, 5, index, objectOnly());
    const LocalisationSample others = gen::makeSample(LocalisationKind::Sequences, 5, index, distractorsOnly());
    CHECK(sameRegion(clean.region, full.region));
    REQUIRE(clean.input.shape() == full.input.shape());
    const int64_t steps = clean.input.shape()[1], first = clean.region.first[0], last = clean.region.last[0];
    CHECK(last - first + 1 >= 10);
    CHECK(last - first + 1 <= 14);
    // Classes in pairs (fast, slow) per group of features 0–3, 4–7, 8–11.
    const int64_t group = clean.label / 2;
    const bool fast = clean.label % 2 == 0;
    const auto value = [&](const LocalisationSample& s, int64_t f, int64_t t) { return s.input.at(f + 12 * t); };
    double otherEnergy = 0;
    for (int64_t t = 0; t < steps; ++t)
      for (int64_t f = 0; f < 12; ++f) {
        const bool ownPlace = f / 4 == group && t >= first && t <= last;
        if (!ownPlace) CHECK(value(clean, f, t) == 0.0);
        if (t >= first && t <= last) CHECK(value(others, f, t) == 0.0);  // distractors stay out of the window
        otherEnergy += value(others, f, t) * value(others, f, t);
      }
    CHECK(otherEnergy > 0);
    // The window's ends carry the pattern too (a sine is never zero at two neighbouring steps).
    const auto energyAt = [&](int64_t t) { return value(clean, 4 * group, t) * value(clean, 4 * group, t); };
    CHECK(energyAt(first) + energyAt(first + 1) > 1.0);
    CHECK(energyAt(last) + energyAt(last - 1) > 1.0);
    // Fast bursts alternate in sign from feature to feature, slow ones are in phase.
    for (int64_t t = first; t <= last; ++t)
      for (int64_t f = 1; f < 4; ++f)
        CHECK(value(clean, 4 * group + f, t) == (fast && f % 2 ? -1 : 1) * value(clean, 4 * group, t));
    // Period 4 changes sign on about half of the steps, period 8 on about a quarter.
    int64_t signChanges = 0;
    for (int64_t t = first; t < last; ++t)
      signChanges += (value(clean, 4 * group + 1, t) > 0) != (value(clean, 4 * group + 1, t + 1) > 0);
    const double rate = static_cast<double>(signChanges) / (last - first);
    CHECK((fast ? rate > 0.4 : rate < 0.4));
  }
}
