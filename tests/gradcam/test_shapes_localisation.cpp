// Grad-CAM localises the object: on examples/shapes (a small CNN the project trained on
// synthetic images with one shape each, tools/train_shapes_model.py), every sample image is
// classified correctly and its Grad-CAM map for the true class peaks on the shape.
//
// The samples come with the shape's bounding box (samples/boxes.txt), so the test needs no
// reference map. For the true class, the map's maximum must lie inside the box (2 px margin for
// the bicubic upsampling of a 16×16 map to 64×64) and its mean inside the box must be at least
// twice its mean outside (the maps here reach 6.7 to 19.5 times). The images have distractor
// lines and blobs, so a map that merely follows contrast fails, as do a transposed map and a
// map from an early layer (the first ReLU's map peaks outside the box on half the samples).
//
// Grad-CAM is also class-discriminative: inside the box, the map of every other class is
// smaller than the true class's (here by 9× or more). A map that ignores the class (channels
// weighted equally, which still highlights the shape) or a class index off by one fails that.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gradcam/gradcam.h"
#include "io/image.h"
#include "io/labels.h"
#include "io/onnx/importer.h"
#include "tests/support/onnx_nets.h"

namespace dlcam {
namespace {

namespace fs = std::filesystem;

struct Sample {
  std::string file;
  int64_t classIndex = 0;
  int64_t ymin = 0, xmin = 0, ymax = 0, xmax = 0;  // 0-based, inclusive
};

std::vector<Sample> readBoxes(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, "cannot read " << path);
  std::vector<Sample> samples;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Sample s;
    fields >> s.file >> s.classIndex >> s.ymin >> s.xmin >> s.ymax >> s.xmax;
    REQUIRE_MESSAGE(fields, "bad line in " << path << ": " << line);
    samples.push_back(s);
  }
  return samples;
}

struct MapStats {
  int64_t peakY = 0, peakX = 0;    // position of the maximum
  double inside = 0, outside = 0;  // means inside and outside the box
};

// Statistics of an h×w map (column-major: map(y, x) = map[y + h·x]) against a sample's box.
MapStats mapStats(const Tensor& mapTensor, const Sample& s) {
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
      const bool in = y >= s.ymin && y <= s.ymax && x >= s.xmin && x <= s.xmax;
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
  const std::vector<Sample> samples = readBoxes(dir / "samples" / "boxes.txt");
  REQUIRE(classes.size() == 4);
  REQUIRE(samples.size() == 2 * classes.size());

  for (const Sample& s : samples) {
    CAPTURE(s.file);
    REQUIRE(s.classIndex >= 0);
    REQUIRE(s.classIndex < static_cast<int64_t>(classes.size()));
    CHECK(s.file.starts_with(classes[static_cast<size_t>(s.classIndex)] + "_"));

    const Image image = readImage((dir / "samples" / s.file).string(), 3);
    const Tensor pixels = imageToTensor(image);  // 64×64×3, raw 0…255: the network scales itself
    const Array X(pixels, "SSC");

    // The prediction, from predict on a batch of one (independent of gradCAM's forward pass).
    const Array scores = net.predict(Array(pixels.reshaped(Shape({image.height, image.width, 3, 1})), "SSCB"));
    REQUIRE(scores.value().numel() == static_cast<int64_t>(classes.size()));
    const Tensor probabilities = scores.value().to(DType::Float32);
    CHECK(argmax(probabilities.data<float>(), probabilities.numel()) == s.classIndex);

    const GradCamResult r = gradCAM(net, X, s.classIndex);
    // The default layers: the last ReLU (a 16×16×64 map, the finest one with channels that
    // see a whole shape) and the softmax output.
    CHECK(r.reductionLayer == net.outputLayer().name());
    const Shape featureSize = net.outputInfo(r.featureLayer).size;
    CHECK(featureSize[0] == 16);
    CHECK(featureSize[1] == 16);
    CHECK(featureSize[2] == 64);
    REQUIRE(r.map.shape() == Shape({image.height, image.width, 1, 1}));

    const MapStats st = mapStats(r.map, s);
    INFO("map max at (y " << st.peakY << ", x " << st.peakX << "), box y " << s.ymin << "…" << s.ymax << ", x "
                          << s.xmin << "…" << s.xmax << "; mean inside " << st.inside << ", outside " << st.outside);
    constexpr int64_t kMargin = 2;
    CHECK(st.peakY >= s.ymin - kMargin);
    CHECK(st.peakY <= s.ymax + kMargin);
    CHECK(st.peakX >= s.xmin - kMargin);
    CHECK(st.peakX <= s.xmax + kMargin);
    CHECK(st.inside > 0);
    CHECK(st.inside >= 2 * st.outside);

    for (int64_t other = 0; other < static_cast<int64_t>(classes.size()); ++other) {
      if (other == s.classIndex) continue;
      CAPTURE(other);
      CHECK(mapStats(gradCAM(net, X, other).map, s).inside < st.inside);
    }
    MESSAGE(s.file << ": predicted " << classes[static_cast<size_t>(s.classIndex)] << ", map max at (" << st.peakY
                   << ", " << st.peakX << "), box (" << s.ymin << ", " << s.xmin << ")…(" << s.ymax << ", " << s.xmax
                   << "), mean inside/outside " << st.inside / st.outside);
  }
}

}  // namespace dlcam
