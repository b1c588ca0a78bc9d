// The blobs set: 32×32×32 volumes with one solid ball, cube or ring (torus) among fuzzy blobs
// of about its size and brightness, so that only its shape tells the class.
#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <vector>

#include "datasets/localisation_detail.h"

namespace dlcam::datasets::detail {

namespace {

constexpr int64_t kSize = 32;  // voxels along h, w and d
constexpr int64_t kVoxels = kSize * kSize * kSize;
constexpr int64_t kLattice = 6;  // nodes per axis of the smooth background's coarse grid

enum class Solid { Ball, Cube, Ring };  // in classNames(Blobs) order

// A point or direction as (h, w, d) = (y, x, z). Voxel (i, j, k) covers [i, i+1) × [j, j+1) ×
// [k, k+1) and lies at i + 32·j + 1024·k.
using Vec3 = std::array<double, 3>;

double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
Vec3 minus(const Vec3& a, const Vec3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
Vec3 voxelCentre(int64_t i, int64_t j, int64_t k) { return {i + 0.5, j + 0.5, k + 0.5}; }

// A direction uniformly distributed on the sphere.
Vec3 randomDirection(Random& rng) {
  const double z = rng.uniform(-1, 1), phi = rng.uniform(0, 2 * std::numbers::pi), r = std::sqrt(1 - z * z);
  return {r * std::cos(phi), r * std::sin(phi), z};
}

// The rows of a uniformly distributed rotation: a random unit quaternion (Shoemake's method).
std::array<Vec3, 3> randomRotation(Random& rng) {
  const double u1 = rng.uniform(), u2 = 2 * std::numbers::pi * rng.uniform(), u3 = 2 * std::numbers::pi * rng.uniform();
  const double x = std::sqrt(1 - u1) * std::sin(u2), y = std::sqrt(1 - u1) * std::cos(u2);
  const double z = std::sqrt(u1) * std::sin(u3), w = std::sqrt(u1) * std::cos(u3);
  return {Vec3{1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)},
          Vec3{2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)},
          Vec3{2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)}};
}

// The class-defining object. Its coverage of a voxel is 0.5 − (signed distance from the
// voxel's centre to its surface), clamped to 0…1: solid inside, 0 outside, and a one-voxel
// ramp across the surface that anti-aliases it. A voxel is at least half covered exactly when
// its centre is inside.
struct Object {
  Solid solid = Solid::Ball;
  Vec3 centre{};
  double size = 0;             // ball: radius; cube: half the side; ring: the radius of its centre circle
  double thickness = 0;        // ring: the radius of its tube
  std::array<Vec3, 3> axes{};  // cube: its own axes (a rotation's rows); ring: axes[0] is its normal

  double signedDistance(const Vec3& p) const {
    const Vec3 q = minus(p, centre);
    switch (solid) {
      case Solid::Ball: return std::sqrt(dot(q, q)) - size;
      case Solid::Cube: {
        double outside = 0, inside = -size;
        for (const Vec3& axis : axes) {
          const double d = std::abs(dot(q, axis)) - size;
          outside += std::max(d, 0.0) * std::max(d, 0.0);
          inside = std::max(inside, d);
        }
        return std::sqrt(outside) + std::min(inside, 0.0);
      }
      case Solid::Ring: {
        const double along = dot(q, axes[0]), across = std::sqrt(std::max(dot(q, q) - along * along, 0.0));
        return std::hypot(across - size, along) - thickness;
      }
    }
    return 0;
  }

  // How far the object reaches from its centre along each axis.
  Vec3 halfExtent() const {
    Vec3 e{};
    for (int k = 0; k < 3; ++k) switch (solid) {
        case Solid::Ball: e[k] = size; break;
        case Solid::Cube: e[k] = size * (std::abs(axes[0][k]) + std::abs(axes[1][k]) + std::abs(axes[2][k])); break;
        case Solid::Ring: e[k] = size * std::sqrt(std::max(1 - axes[0][k] * axes[0][k], 0.0)) + thickness; break;
      }
    return e;
  }
};

// Ball radius 4…6; cube side 7…11, turned at random; ring radius 4…6 with a tube of radius
// 1.5…2, facing a random direction. At least one voxel from every face of the volume.
Object drawObject(Solid solid, Random& rng) {
  Object object;
  object.solid = solid;
  switch (solid) {
    case Solid::Ball: object.size = rng.uniform(4, 6); break;
    case Solid::Cube:
      object.size = rng.uniform(7, 11) / 2;
      object.axes = randomRotation(rng);
      break;
    case Solid::Ring:
      object.size = rng.uniform(4, 6);
      object.thickness = rng.uniform(1.5, 2);
      object.axes[0] = randomDirection(rng);
      break;
  }
  const Vec3 reach = object.halfExtent();
  for (int k = 0; k < 3; ++k) object.centre[k] = rng.uniform(reach[k] + 1, kSize - reach[k] - 1);
  return object;
}

std::vector<double> objectCoverage(const Object& object) {
  std::vector<double> coverage(kVoxels, 0.0);
  const Vec3 reach = object.halfExtent();
  int64_t lo[3], hi[3];
  for (int k = 0; k < 3; ++k) {
    lo[k] = std::max<int64_t>(static_cast<int64_t>(std::floor(object.centre[k] - reach[k] - 1)), 0);
    hi[k] = std::min<int64_t>(static_cast<int64_t>(std::ceil(object.centre[k] + reach[k] + 1)), kSize);
  }
  for (int64_t z = lo[2]; z < hi[2]; ++z)
    for (int64_t x = lo[1]; x < hi[1]; ++x)
      for (int64_t y = lo[0]; y < hi[0]; ++y)
        coverage[y + kSize * (x + kSize * z)] = std::clamp(0.5 - object.signedDistance(voxelCentre(y, x, z)), 0.0, 1.0);
  return coverage;
}

// Smooth, low-amplitude variation: random values (σ 0.05) on a coarse 6×6×6 grid spanning the
// volume, interpolated trilinearly.
void addSmoothBackground(std::vector<double>& volume, Random& rng) {
  std::vector<double> nodes(kLattice * kLattice * kLattice);
  for (double& n : nodes) n = rng.normal(0, 0.05);
  const double step = static_cast<double>(kLattice - 1) / (kSize - 1);
  int64_t node[kSize];
  double frac[kSize];
  for (int64_t i = 0; i < kSize; ++i) {
    node[i] = std::min<int64_t>(static_cast<int64_t>(i * step), kLattice - 2);
    frac[i] = i * step - static_cast<double>(node[i]);
  }
  const auto at = [&](int64_t a, int64_t b, int64_t c) { return nodes[a + kLattice * (b + kLattice * c)]; };
  for (int64_t z = 0; z < kSize; ++z)
    for (int64_t x = 0; x < kSize; ++x)
      for (int64_t y = 0; y < kSize; ++y) {
        double value = 0;
        for (int corner = 0; corner < 8; ++corner) {
          const int dy = corner & 1, dx = (corner >> 1) & 1, dz = corner >> 2;
          value += (dy ? frac[y] : 1 - frac[y]) * (dx ? frac[x] : 1 - frac[x]) * (dz ? frac[z] : 1 - frac[z]) *
                   at(node[y] + dy, node[x] + dx, node[z] + dz);
        }
        volume[y + kSize * (x + kSize * z)] += value;
      }
}

// Distance from a point to the voxels of a region (0 inside).
double distanceToRegion(const Vec3& p, const Region& region) {
  double d2 = 0;
  for (int k = 0; k < 3; ++k) {
    const double gap =
        std::max({static_cast<double>(region.first[k]) - p[k], 0.0, p[k] - static_cast<double>(region.last[k] + 1)});
    d2 += gap * gap;
  }
  return std::sqrt(d2);
}

// 2–4 fuzzy blobs: Gaussian bumps amplitude·2^(−d²/r²) (r, 2…4 voxels, is where they fall to
// half) of the object's range of amplitudes, centred at least 2r from the object's region, so
// that less than 1/16 of their height reaches it. A blob that finds no room after 100 tries is
// left out.
void addDistractors(std::vector<double>& volume, const Region& region, double minAmplitude, double maxAmplitude,
                    Random& rng) {
  for (int64_t n = rng.between(2, 4); n > 0; --n) {
    const double radius = rng.uniform(2, 4), amplitude = rng.uniform(minAmplitude, maxAmplitude);
    Vec3 centre{};
    bool placed = false;
    for (int attempt = 0; attempt < 100 && !placed; ++attempt) {
      for (double& c : centre) c = rng.uniform(radius, kSize - radius);
      placed = distanceToRegion(centre, region) >= 2 * radius;
    }
    if (!placed) continue;
    // 2^(−d²/r²) is the product of one factor per axis.
    std::array<std::array<double, kSize>, 3> factor{};
    for (int k = 0; k < 3; ++k)
      for (int64_t i = 0; i < kSize; ++i) {
        const double d = i + 0.5 - centre[k];
        factor[k][i] = std::exp2(-d * d / (radius * radius));
      }
    for (int64_t z = 0; z < kSize; ++z)
      for (int64_t x = 0; x < kSize; ++x)
        for (int64_t y = 0; y < kSize; ++y)
          volume[y + kSize * (x + kSize * z)] += amplitude * factor[0][y] * factor[1][x] * factor[2][z];
  }
}

}  // namespace

LocalisationSample drawBlobs(int64_t label, Random& objectRng, Random& sceneRng, const DrawOptions& options) {
  constexpr double kMinAmplitude = 0.5, kMaxAmplitude = 1.0;  // of the object and the fuzzy blobs alike
  const Object object = drawObject(static_cast<Solid>(label), objectRng);
  const double amplitude = options.background ? objectRng.uniform(kMinAmplitude, kMaxAmplitude) : 1.0;
  const std::vector<double> coverage = objectCoverage(object);
  LocalisationSample sample{Tensor(Shape{kSize, kSize, kSize, 1}), label,
                            boxAtLeast(coverage.data(), {kSize, kSize, kSize}, 0.5)};

  std::vector<double> volume(kVoxels, 0.0);
  if (options.background) addSmoothBackground(volume, sceneRng);
  if (options.distractors) addDistractors(volume, sample.region, kMinAmplitude, kMaxAmplitude, sceneRng);
  if (options.object)  // solid: it hides what lies behind it
    for (int64_t v = 0; v < kVoxels; ++v) volume[v] += coverage[v] * (amplitude - volume[v]);
  if (options.background) {
    const double noise = sceneRng.uniform(0.02, 0.08);
    for (double& v : volume) v += sceneRng.normal(0, noise);
  }

  float* out = sample.input.data<float>();
  for (int64_t v = 0; v < kVoxels; ++v) out[v] = static_cast<float>(volume[v]);
  return sample;
}

}  // namespace dlcam::datasets::detail
