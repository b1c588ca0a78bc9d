// A rotation regression network trained by dlcam, as the reference page's digitsRegressionNet:
// it predicts by how many degrees (−45…45) a Fashion-MNIST item was turned. Grad-CAM explains
// a regression output with a reduction function (here the identity: the one response), at
// the layers the page names: FeatureLayer 'relu_4', ReductionLayer 'fc'.
//
//   build/examples/rotation train  [--out examples/rotation] [--epochs 12] [--seed 1]
//   build/examples/rotation figure [--model examples/rotation/model.onnx] [--out docs/images/rotation.png]
#include <cmath>
#include <cstdio>
#include <iostream>

#include "autodiff/shape_ops.h"
#include "datasets/fashion_mnist.h"
#include "examples/common/example.h"
#include "gradcam/gradcam.h"
#include "gradcam/picture.h"
#include "io/onnx/importer.h"
#include "layers/activation_layers.h"
#include "layers/input_layers.h"
#include "layers/pool_layers.h"
#include "layers/simple_layers.h"
#include "training/initializers.h"
#include "training/trainer.h"

using namespace dlcam;
using namespace dlcam::examples;

namespace {

const char* kUsage =
    "usage: rotation train  [--out DIR] [--epochs N] [--seed S] [--quick]\n"
    "       rotation figure [--model FILE] [--out FILE.png]\n";

// digitsRegressionNet's layers, with MATLAB's names: four convolution blocks (the first two
// followed by 2×2 average pooling), dropout and one fully connected output.
Network buildNetwork(Random& rng) {
  Network net;
  net.add(std::make_shared<ImageInputLayer>(
      "imageinput", ImageInputOptions{.size = {28, 28, 1},
                                      .normalization = {.kind = Normalization::RescaleZeroOne,
                                                        .min = Array(Tensor::scalar(0)),
                                                        .max = Array(Tensor::scalar(255))}}));
  const ConvOptions same{.padding = ConvPadding::same()};
  const PoolingOptions halve{.spatialDims = 2, .pool = {.size = {2}, .stride = {2}}};
  const int64_t filters[] = {8, 16, 32, 32};
  int64_t channels = 1;
  for (int block = 1; block <= 4; ++block) {
    const std::string k = std::to_string(block);
    const int64_t f = filters[block - 1];
    net.add(convolutionLayer("conv_" + k, {.filterSize = {3, 3}, .channels = channels, .filters = f, .conv = same}, rng));
    net.add(batchNormalizationLayer("batchnorm_" + k, f));
    net.add(std::make_shared<ReluLayer>("relu_" + k));
    if (block <= 2) net.add(std::make_shared<AveragePoolingLayer>("avgpool2d_" + k, halve));
    channels = f;
  }
  net.add(std::make_shared<DropoutLayer>("dropout", 0.2));
  net.add(fullyConnectedLayer("fc", {.inputs = 7 * 7 * 32, .outputs = 1}, rng));
  net.initialize();
  return net;
}

void train(const ExampleArgs& args) {
  const RotatedSet trainSet = rotatedSet(datasets::Split::Train, args.quick ? 2000 : -1, args.seed);
  const RotatedSet testSet = rotatedSet(datasets::Split::Test, args.quick ? 500 : -1, kTestSetSeed);
  std::cout << "data: " << trainSet.angles.numel() << " training and " << testSet.angles.numel()
            << " test items of Fashion-MNIST, each turned by a random angle in [-45, 45] degrees\n";
  Random rng(args.seed);
  Network net = buildNetwork(rng);
  const ArrayDataset train(Array(trainSet.images, "SSCB"), Array(trainSet.angles, "CB"));
  const ArrayDataset test(Array(testSet.images, "SSCB"), Array(testSet.angles, "CB"));
  const TrainingOptions options{.solver = Solver::Adam,
                                .learnRate = 1e-3,
                                .learnRateDropPeriod = 8,
                                .learnRateDropFactor = 0.1,
                                .epochs = args.epochs.value_or(args.quick ? 1 : 12),
                                .miniBatchSize = 128,
                                .seed = args.seed,
                                .loss = Loss::MeanSquaredError,
                                .validation = &test,
                                .progress = &std::cout};
  trainNetwork(net, train, options);
  const Metrics result = evaluateNetwork(net, test, options);
  std::printf("test RMSE: %.2f degrees (%lld items)\n", result.rmse, static_cast<long long>(testSet.angles.numel()));
  saveModel(net, args.out);
}

// The page's figure: test items side by side with their Grad-CAM maps, captioned with the
// true and the predicted angle.
void figure(const ExampleArgs& args) {
  const Network net = onnx::importNetwork(args.model);
  const RotatedSet testSet = rotatedSet(datasets::Split::Test, 8, kTestSetSeed);
  // MATLAB: reductionFcn = @(x)x; gradCAM(net, X, reductionFcn, 'ReductionLayer', 'fc', 'FeatureLayer', 'relu_4')
  const ReductionFunction identity = [](const Array& x) { return x; };
  std::vector<Image> panels;
  const Array images(testSet.images, "SSCB");
  for (int64_t i = 0; i < 8; ++i) {
    const Array one = index(images, 3, {i});  // item i, 28×28×1×1
    const GradCamResult cam = gradCAM(net, one, identity, {.featureLayer = "relu_4", .reductionLayer = "fc"});
    const Image input = enlarge(grayImage(one.value().reshaped(Shape{28, 28})), 4);
    const Image explained = overlay(input, cam.map.reshaped(Shape{28, 28}));
    char truth[48], predicted[48];
    std::snprintf(truth, sizeof truth, "true %.1f deg", testSet.angles.data<float>()[i]);
    std::snprintf(predicted, sizeof predicted, "pred %.1f deg", cam.scores[0]);
    panels.push_back(captioned(grid({input, explained}, 2, 2), {truth, predicted}, 1));
  }
  writePng(args.out, grid(panels, 4));
  std::cout << "wrote " << args.out << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  const ExampleArgs args =
      parseExampleArgs(argc, argv, kUsage, {.modelFolder = "examples/rotation", .figure = "docs/images/rotation.png"});
  exitUnlessFashionMnist();
  return runExample([&] { args.command == "train" ? train(args) : figure(args); });
}
