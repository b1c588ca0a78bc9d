// Grad-CAM localises the object: on examples/shapes (a small CNN dlcam trains on generated
// images with one shape each, datasets/localisation.h), every sample image is classified
// correctly and its Grad-CAM map for the true class peaks on the shape.
//
// The samples come with the shape's box (samples/manifest.txt), so the test needs no reference
// map. For the true class, the map's maximum must lie inside the box (2 px margin for the
// bicubic upsampling of a 16×16 map to 64×64; shapes_0004.png's peaks 1 px left of its box)
// and its mean inside the box must be at least twice its mean outside (the maps here reach 7.6
// to 19.3 times). The images have distractor lines and blobs, so a map that merely follows
// contrast fails, as do a transposed map (3 of the 8 peaks leave their box) and a map from an
// early layer (the first ReLU's map peaks outside the box on 7 of the 8 samples).
//
// Grad-CAM is also class-discriminative: inside the box, the map of every other class is
// smaller than the true class's (here by 239× or more: the network is sure of these samples,
// so the other classes' softmax outputs, and their gradients, are nearly 0). A map that
// ignores the class (channels weighted equally, which still highlights the shape) or a class
// index off by one fails that.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "datasets/manifest.h"
#include "gradcam/gradcam.h"
#include "io/image.h"
#include "io/labels.h"
#include "io/onnx/importer.h"
#include "tests/support/onnx_nets.h"

namespace dlcam {
namespace {

namespace fs = std::filesystem;

struct MapStats {
  int64_t peakY = 0, peakX = 0;    // position of the maximum
  double inside = 0, outside = 0;  // means inside and outside the box
};

// Statistics of an h×w map (column-major: map(y, x) = map[y + h·x]) against a box.
MapStats mapStats(const Tensor& mapTensor, const datasets::Region& box) {
  const int64_t h = mapTensor.shape()[0], w = mapTensor.shape()[1];
  const float* map = mapTensor.data<float>();
  MapStats st;
  int64_t insideCount = 0;
  for (int64_t x = 0; x < w; ++x)
    for (int64_t y = 0; y < h; ++y) {
      const float v = map[y + h * x];
      if (v > map[st.peakY + h * st.peakX]) {
        st.peakY = y;
        st.peakX = x;
      }
      const bool in = box.contains({y, x});
      (in ? st.inside : st.outside) += v;
      insideCount += in;
    }
  st.inside /= static_cast<double>(insideCount);
  st.outside /= static_cast<double>(h * w - insideCount);
  return st;
}

int64_t argmax(const float* values, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (values[i] > values[best]) best = i;
  return best;
}

}  // namespace

TEST_CASE("gradCAM localises the shape in every sample of the shapes example network") {
  const fs::path dir = test::sourceDir() / "examples" / "shapes";
  Network net = onnx::importNetwork((dir / "model.onnx").string());
  const std::vector<std::string> classes = readClassNames((dir / "labels.txt").string());
  const auto samples = datasets::readManifest((dir / "samples" / "manifest.txt").string());
  REQUIRE(classes.size() == 4);
  REQUIRE(readClassNames((dir / "samples" / "labels.txt").string()) == classes);
  REQUIRE(samples.size() == 2 * classes.size());

  std::vector<int64_t> perClass(classes.size(), 0);
  for (const datasets::ManifestEntry& s : samples) {
    CAPTURE(s.file);
    REQUIRE(s.label < static_cast<int64_t>(classes.size()));
    ++perClass[static_cast<size_t>(s.label)];
    REQUIRE(s.region.first.size() == 2);
    const datasets::Region& box = s.region;

    const Image image = readImage(s.path, 3);
    const Tensor pixels = imageToTensor(image);  // 64×64×3, raw 0…255: the network scales itself
    const Array X(pixels, "SSC");

    // The prediction, from predict on a batch of one (independent of gradCAM's forward pass).
    const Array scores = net.predict(Array(pixels.reshaped(Shape({image.height, image.width, 3, 1})), "SSCB"));
    REQUIRE(scores.value().numel() == static_cast<int64_t>(classes.size()));
    const Tensor probabilities = scores.value().to(DType::Float32);
    CHECK(argmax(probabilities.data<float>(), probabilities.numel()) == s.label);

    const GradCamResult r = gradCAM(net, X, s.label);
    // The default layers: the last ReLU (a 16×16×64 map, the finest one with channels that
    // see a whole shape) and the softmax output.
    CHECK(r.featureLayer == "relu_4");
    CHECK(r.reductionLayer == net.outputLayer().name());
    const Shape featureSize = net.outputInfo(r.featureLayer).size;
    CHECK(featureSize[0] == 16);
    CHECK(featureSize[1] == 16);
    CHECK(featureSize[2] == 64);
    REQUIRE(r.map.shape() == Shape({image.height, image.width, 1, 1}));

    const MapStats st = mapStats(r.map, box);
    INFO("map max at (y " << st.peakY << ", x " << st.peakX << "), box y " << box.first[0] << "…" << box.last[0]
                          << ", x " << box.first[1] << "…" << box.last[1] << "; mean inside " << st.inside
                          << ", outside " << st.outside);
    constexpr int64_t kMargin = 2;
    CHECK(st.peakY >= box.first[0] - kMargin);
    CHECK(st.peakY <= box.last[0] + kMargin);
    CHECK(st.peakX >= box.first[1] - kMargin);
    CHECK(st.peakX <= box.last[1] + kMargin);
    CHECK(st.inside > 0);
    CHECK(st.inside >= 2 * st.outside);

    double strongestOther = -std::numeric_limits<double>::infinity();
    for (int64_t other = 0; other < static_cast<int64_t>(classes.size()); ++other) {
      if (other == s.label) continue;
      CAPTURE(other);
      const double inside = mapStats(gradCAM(net, X, other).map, box).inside;
      CHECK(inside < st.inside);
      strongestOther = std::max(strongestOther, inside);
    }
    MESSAGE(s.file << ": " << classes[static_cast<size_t>(s.label)] << ", map max at (" << st.peakY << ", "
                   << st.peakX << "), box (" << box.first[0] << ", " << box.first[1] << ")…(" << box.last[0] << ", "
                   << box.last[1] << "), mean inside/outside " << st.inside / st.outside << ", mean inside "
                   << st.inside << " (the largest other class's " << strongestOther << ")");
  }
  for (const int64_t count : perClass) CHECK(count == 2);
}

}  // namespace dlcam
