// The committed example models (examples/*/model.onnx, trained by dlcam's own example
// programs) reach the test metrics their READMEs report, and their Grad-CAM maps point at
// the truth. The numbers below are those README numbers: retraining an example means
// updating both.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "autodiff/shape_ops.h"
#include "datasets/fashion_mnist.h"
#include "datasets/localisation.h"
#include "examples/common/example.h"
#include "gradcam/gradcam.h"
#include "gradcam/quality.h"
#include "io/labels.h"
#include "io/onnx/importer.h"
#include "tests/support/onnx_nets.h"
#include "training/loss.h"
#include "training/trainer.h"

using namespace dlcam;
using datasets::LocalisationKind;

namespace {

// What the examples' READMEs report (percent, or degrees for the rotation RMSE). Inference is
// deterministic, but another CPU rounds float sums differently: allow a hair.
constexpr double kFashionAccuracy = 92.09;    // examples/fashion_mnist/README.md, 10000 test images
constexpr double kRotationRmse = 4.211;       // examples/rotation/README.md, 10000 rotated test items
constexpr double kSequencesAccuracy = 98.83;  // examples/sequences/README.md, 600 test sequences
constexpr double kShapesAccuracy = 100.0;     // examples/shapes/README.md, 1000 test images
constexpr double kBlobsAccuracy = 100.0;      // examples/blobs/README.md, 300 test volumes

std::string examplePath(const std::string& example, const std::string& file) {
  return (test::sourceDir() / "examples" / example / file).string();
}

Network loadExample(const std::string& example) {
  Network net = onnx::importNetwork(examplePath(example, "model.onnx"));
  return net;
}

// Runs the dataset through the network and returns accuracy or RMSE: in batches, or one
// observation at a time for sequences (unpadded, as the READMEs report them).
Metrics measure(const Network& net, const Dataset& data, Loss loss, int64_t batch = 250) {
  return evaluateNetwork(net, data, {.miniBatchSize = batch, .loss = loss});
}

bool haveFashionMnist() {
  return std::filesystem::exists(datasets::fashionMnistFolder() + "/t10k-images-idx3-ubyte.gz");
}

// The fraction of samples whose Grad-CAM map (for the true class) peaks inside the true region.
double pointingGame(const Network& net, LocalisationKind kind, const std::vector<datasets::LocalisationSample>& samples) {
  int64_t hits = 0;
  for (const auto& s : samples) {
    const GradCamResult cam = gradCAM(net, examples::sampleInput(kind, s), s.label);
    std::vector<int64_t> mapSize = cam.map.shape().dims();
    mapSize.resize(kind == LocalisationKind::Blobs ? 3 : 2);
    hits += pointingHit(cam.map.reshaped(Shape(mapSize)), kind == LocalisationKind::Sequences
                                                            ? datasets::Region{{0, s.region.first[0]}, {0, s.region.last[0]}}
                                                            : s.region);
  }
  return static_cast<double>(hits) / static_cast<double>(samples.size());
}

}  // namespace

TEST_CASE("examples: the Fashion-MNIST classifier reaches its reported test accuracy") {
  if (!haveFashionMnist()) {
    MESSAGE("DLCAM_SKIPPED: Debian's dataset-fashion-mnist is not installed (scripts/setup.sh installs it)");
    return;
  }
  const Network net = loadExample("fashion_mnist");
  CHECK(readClassNames(examplePath("fashion_mnist", "labels.txt")) == datasets::fashionMnistClassNames());
  const datasets::ImageSet test = datasets::readFashionMnist(datasets::Split::Test);
  const ArrayDataset data(Array(test.images, "SSCB"), oneHot(test.labels, 10));
  const double accuracy = 100 * measure(net, data, Loss::CrossEntropy).accuracy;
  CHECK(accuracy >= 90.0);
  CHECK(accuracy == doctest::Approx(kFashionAccuracy).epsilon(0.0005));
}

TEST_CASE("examples: the rotation regression reaches its reported test RMSE") {
  if (!haveFashionMnist()) {
    MESSAGE("DLCAM_SKIPPED: Debian's dataset-fashion-mnist is not installed (scripts/setup.sh installs it)");
    return;
  }
  const Network net = loadExample("rotation");
  const examples::RotatedSet test = examples::rotatedSet(datasets::Split::Test, -1, examples::kTestSetSeed);
  const ArrayDataset data(Array(test.images, "SSCB"), Array(test.angles, "CB"));
  const double rmse = measure(net, data, Loss::MeanSquaredError).rmse;
  CHECK(rmse == doctest::Approx(kRotationRmse).epsilon(0.002));
  // Far better than guessing 0 for every item: the RMSE of a uniform angle in ±45° is 26°.
  CHECK(rmse < 10.0);
  // The page's call: an identity reduction function at 'fc' with the features of 'relu_4'.
  const Array one = index(Array(test.images, "SSCB"), 3, {0});  // the first item, 28×28×1×1
  const GradCamResult cam = gradCAM(net, one, ReductionFunction([](const Array& y) { return y; }),
                                    {.featureLayer = "relu_4", .reductionLayer = "fc"});
  CHECK(cam.map.shape() == Shape{28, 28, 1, 1});
  CHECK(cam.scores[0] == doctest::Approx(net.predict(one).item()).epsilon(1e-5));
}

TEST_CASE("examples: the localisation classifiers reach their reported accuracy and point at the truth") {
  struct Case {
    const char* example;
    LocalisationKind kind;
    double reported;
    int64_t testCount, pointingSamples;
  };
  for (const Case& c : {Case{"sequences", LocalisationKind::Sequences, kSequencesAccuracy, 600, 120},
                        Case{"shapes", LocalisationKind::Shapes, kShapesAccuracy, 1000, 80},
                        Case{"blobs", LocalisationKind::Blobs, kBlobsAccuracy, 300, 40}}) {
    CAPTURE(c.example);
    const Network net = loadExample(c.example);
    CHECK(readClassNames(examplePath(c.example, "labels.txt")) == datasets::classNames(c.kind));
    const auto samples = datasets::makeSet(c.kind, examples::kTestSetSeed, c.testCount);
    const auto data = examples::localisationDataset(c.kind, samples);
    const double accuracy =
        100 * measure(net, *data, Loss::CrossEntropy, c.kind == LocalisationKind::Sequences ? 1 : 250).accuracy;
    CHECK(accuracy == doctest::Approx(c.reported).epsilon(0.0005));
    CHECK(accuracy >= 95.0);
    const std::vector<datasets::LocalisationSample> few(samples.begin(), samples.begin() + c.pointingSamples);
    CHECK(pointingGame(net, c.kind, few) >= 0.9);
  }
}
