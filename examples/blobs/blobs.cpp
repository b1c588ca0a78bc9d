// A 3-D convolutional classifier trained by dlcam on generated volumes: each 32×32×32 volume
// holds one class-defining object (a ball, a cube or a ring) at a random place among fuzzy
// distractor blobs and noise (datasets/localisation.h). Its Grad-CAM maps are volumes too,
// checked against the object's box by `dlcam evaluate`.
//
//   build/examples/blobs train    [--out examples/blobs] [--epochs 8] [--seed 1]
//   build/examples/blobs figure   [--model examples/blobs/model.onnx] [--out docs/images/blobs.png]
//   build/examples/blobs test-set [--out build/sets/blobs] [--count 150]
#include <cstdio>
#include <iostream>

#include "examples/common/example.h"
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
    "usage: blobs train    [--out DIR] [--epochs N] [--seed S] [--quick]\n"
    "       blobs figure   [--model FILE] [--out FILE.png]\n"
    "       blobs test-set [--out DIR] [--count N]\n";

// Three blocks of 3×3×3 convolution, batch normalisation and ReLU (the first two halve the
// volume with max pooling), then global average pooling, a fully connected layer and softmax.
Network buildNetwork(int64_t classes, Random& rng) {
  Network net;
  net.add(std::make_shared<Image3dInputLayer>("input", ImageInputOptions{.size = {32, 32, 32, 1}}));
  const ConvOptions same{.padding = ConvPadding::same()};
  const PoolingOptions halve{.spatialDims = 3, .pool = {.size = {2}, .stride = {2}}};
  const int64_t filters[] = {8, 16, 32};
  int64_t channels = 1;
  for (int block = 1; block <= 3; ++block) {
    const std::string k = std::to_string(block);
    const int64_t f = filters[block - 1];
    net.add(convolutionLayer("conv3d_" + k, {.filterSize = {3, 3, 3}, .channels = channels, .filters = f, .conv = same},
                             rng));
    net.add(batchNormalizationLayer("batchnorm_" + k, f));
    net.add(std::make_shared<ReluLayer>("relu_" + k));  // relu_3 (8×8×8×32): Grad-CAM's default feature layer
    if (block < 3) net.add(std::make_shared<MaxPoolingLayer>("maxpool3d_" + k, halve));
    channels = f;
  }
  net.add(std::make_shared<GlobalAveragePoolingLayer>("gap3d", 3));
  net.add(fullyConnectedLayer("fc", {.inputs = 32, .outputs = classes}, rng));
  net.add(std::make_shared<SoftmaxLayer>("softmax"));
  net.initialize();
  return net;
}

void train(const ExampleArgs& args) {
  Random rng(args.seed);
  Network net = buildNetwork(static_cast<int64_t>(datasets::classNames(LocalisationKind::Blobs).size()), rng);
  trainLocalisation(net, LocalisationKind::Blobs, args,
                    {.trainCount = 2400,
                     .testCount = 300,
                     .options = {.solver = Solver::Adam, .learnRate = 2e-3, .learnRateDropPeriod = 6,
                                 .learnRateDropFactor = 0.1, .epochs = 8, .miniBatchSize = 32}});
}

// Depth slices of two test volumes with the Grad-CAM map of the predicted class.
void figure(const ExampleArgs& args) {
  const Network net = onnx::importNetwork(args.model);
  const auto& classes = datasets::classNames(LocalisationKind::Blobs);
  std::vector<Image> panels;
  for (const auto& sample : datasets::makeSet(LocalisationKind::Blobs, kTestSetSeed, 2)) {
    const Shape& s = sample.input.shape();
    const GradCamResult cam = gradCAM(net, sampleInput(LocalisationKind::Blobs, sample), CamTarget::predicted());
    char caption[160];
    std::snprintf(caption, sizeof caption, "true %s, predicted %s; object in slices %lld-%lld",
                  classes[static_cast<size_t>(sample.label)].c_str(), classes[static_cast<size_t>(cam.classes[0])].c_str(),
                  static_cast<long long>(sample.region.first[2] + 1), static_cast<long long>(sample.region.last[2] + 1));
    const Image montage =
        volumeMontage(sample.input, cam.map.reshaped(Shape{s[0], s[1], s[2]}), {.columns = 8, .scale = 3});
    panels.push_back(captioned(montage, {caption}));
  }
  writePng(args.out, grid(panels, 1));
  std::cout << "wrote " << args.out << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  const ExampleArgs args = parseExampleArgs(
      argc, argv, kUsage, {.modelFolder = "examples/blobs", .figure = "docs/images/blobs.png", .testSet = "build/sets/blobs"});
  return runExample([&] {
    if (args.command == "train") train(args);
    else if (args.command == "figure") figure(args);
    else writeTestSet(LocalisationKind::Blobs, args, 150);
  });
}
