// dlcam's bundled default model, trained by dlcam: a small CNN that tells circles, squares,
// triangles and crosses apart on cluttered 64×64 colour images (datasets/localisation.h).
// Each image's true box is known, so its Grad-CAM maps can be checked (`dlcam evaluate`).
//
//   build/examples/shapes train    [--out examples/shapes] [--epochs 12] [--seed 1]
//   build/examples/shapes figure   [--model examples/shapes/model.onnx] [--out docs/images/shapes.png]
//   build/examples/shapes test-set [--out build/sets/shapes] [--count 400]
//
// `test-set --out examples/shapes/samples --count 8` makes the bundled sample images (the
// first eight of the test set, with their manifest).
#include <cstdio>
#include <iostream>

#include "examples/common/example.h"
#include "gradcam/draw.h"
#include "gradcam/gradcam.h"
#include "gradcam/picture.h"
#include "io/onnx/importer.h"
#include "layers/activation_layers.h"
#include "layers/input_layers.h"
#include "layers/pool_layers.h"
#include "layers/simple_layers.h"
#include "training/initializers.h"

using namespace dlcam;
using namespace dlcam::examples;
using datasets::LocalisationKind;

namespace {

const char* kUsage =
    "usage: shapes train    [--out DIR] [--epochs N] [--seed S] [--quick]\n"
    "       shapes figure   [--model FILE] [--out FILE.png]\n"
    "       shapes test-set [--out DIR] [--count N]\n";

// Raw pixel values in (0…255, scaled to 0…1 by the input layer); four blocks of 3×3
// convolution, batch normalisation and ReLU, the first two followed by 2×2 max pooling; global
// average pooling, a fully connected layer and softmax. Each unit of relu_4 sees 26×26 input
// pixels, enough for a whole shape.
Network buildNetwork(int64_t classes, Random& rng) {
  Network net;
  net.add(std::make_shared<ImageInputLayer>(
      "input", ImageInputOptions{.size = {64, 64, 3},
                                 .normalization = {.kind = Normalization::RescaleZeroOne,
                                                   .min = Array(Tensor::scalar(0)),
                                                   .max = Array(Tensor::scalar(255))}}));
  const ConvOptions same{.padding = ConvPadding::same()};
  const PoolingOptions halve{.spatialDims = 2, .pool = {.size = {2}, .stride = {2}}};
  const int64_t filters[] = {16, 32, 32, 64};
  int64_t channels = 3;
  for (int block = 1; block <= 4; ++block) {
    const std::string k = std::to_string(block);
    const int64_t f = filters[block - 1];
    net.add(convolutionLayer("conv_" + k, {.filterSize = {3, 3}, .channels = channels, .filters = f, .conv = same}, rng));
    net.add(batchNormalizationLayer("batchnorm_" + k, f));
    net.add(std::make_shared<ReluLayer>("relu_" + k));  // relu_4 (16×16×64): Grad-CAM's default feature layer
    if (block <= 2) net.add(std::make_shared<MaxPoolingLayer>("maxpool_" + k, halve));
    channels = f;
  }
  net.add(std::make_shared<GlobalAveragePoolingLayer>("gap", 2));
  net.add(fullyConnectedLayer("fc", {.inputs = 64, .outputs = classes}, rng));
  net.add(std::make_shared<SoftmaxLayer>("softmax"));
  net.initialize();
  return net;
}

void train(const ExampleArgs& args) {
  Random rng(args.seed);
  Network net = buildNetwork(static_cast<int64_t>(datasets::classNames(LocalisationKind::Shapes).size()), rng);
  trainLocalisation(net, LocalisationKind::Shapes, args,
                    {.trainCount = 12000,
                     .testCount = 1000,
                     .options = {.solver = Solver::Adam, .learnRate = 2e-3, .learnRateDropPeriod = 10,
                                 .learnRateDropFactor = 0.1, .epochs = 12, .miniBatchSize = 64}});
}

// Eight test images with the Grad-CAM map of the predicted class and the true box (white).
void figure(const ExampleArgs& args) {
  const Network net = onnx::importNetwork(args.model);
  const auto& classes = datasets::classNames(LocalisationKind::Shapes);
  std::vector<Image> panels;
  for (const auto& sample : datasets::makeSet(LocalisationKind::Shapes, kTestSetSeed, 8)) {
    const GradCamResult cam = gradCAM(net, sampleInput(LocalisationKind::Shapes, sample), CamTarget::predicted());
    Image image = enlarge(tensorToImage(sample.input), 2);
    Image picture = overlay(image, cam.map.reshaped(Shape{64, 64}));
    const auto& r = sample.region;
    detail::drawFrame(picture, 2 * r.first[1], 2 * r.first[0], 2 * (r.last[1] - r.first[1] + 1),
                      2 * (r.last[0] - r.first[0] + 1), detail::kWhite);
    char score[48];
    std::snprintf(score, sizeof score, "%s %.0f %%", classes[static_cast<size_t>(cam.classes[0])].c_str(),
                  100 * cam.scores[0]);
    panels.push_back(captioned(grid({image, picture}, 2, 2), {"true " + classes[static_cast<size_t>(sample.label)], score}));
  }
  writePng(args.out, grid(panels, 4));
  std::cout << "wrote " << args.out << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  const ExampleArgs args = parseExampleArgs(
      argc, argv, kUsage, {.modelFolder = "examples/shapes", .figure = "docs/images/shapes.png", .testSet = "build/sets/shapes"});
  return runExample([&] {
    if (args.command == "train") train(args);
    else if (args.command == "figure") figure(args);
    else writeTestSet(LocalisationKind::Shapes, args, 400);
  });
}
