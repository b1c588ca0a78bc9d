// A Fashion-MNIST classifier trained by dlcam: the reference page's image classification
// example on data Debian ships (dataset-fashion-mnist), with Grad-CAM overlays of its
// predictions.
//
//   build/examples/fashion_mnist train  [--out examples/fashion_mnist] [--epochs 8] [--seed 1]
//   build/examples/fashion_mnist figure [--model examples/fashion_mnist/model.onnx] [--out docs/images/fashion_mnist.png]
#include <cmath>
#include <cstdio>
#include <iostream>

#include "autodiff/shape_ops.h"
#include "datasets/fashion_mnist.h"
#include "examples/common/example.h"
#include "gradcam/gradcam.h"
#include "gradcam/picture.h"
#include "io/labels.h"
#include "io/onnx/importer.h"
#include "layers/activation_layers.h"
#include "layers/input_layers.h"
#include "layers/pool_layers.h"
#include "layers/simple_layers.h"
#include "training/initializers.h"
#include "training/loss.h"
#include "training/trainer.h"

using namespace dlcam;
using namespace dlcam::examples;

namespace {

const char* kUsage =
    "usage: fashion_mnist train  [--out DIR] [--epochs N] [--seed S] [--quick]\n"
    "       fashion_mnist figure [--model FILE] [--out FILE.png]\n";

// The input layer normalises raw pixel values (0…255) with the training set's mean and
// standard deviation, so the saved model takes images as they are.
Network buildNetwork(double mean, double deviation, Random& rng) {
  auto scalar = [](double v) { return Array(Tensor::scalar(v)); };
  Network net;
  net.add(std::make_shared<ImageInputLayer>(
      "input", ImageInputOptions{.size = {28, 28, 1},
                                 .normalization = {.kind = Normalization::ZScore,
                                                   .mean = scalar(mean),
                                                   .standardDeviation = scalar(deviation)}}));
  const ConvOptions same{.padding = ConvPadding::same()};
  const PoolingOptions halve{.spatialDims = 2, .pool = {.size = {2}, .stride = {2}}};
  net.add(convolutionLayer("conv_1", {.filterSize = {3, 3}, .channels = 1, .filters = 16, .conv = same}, rng));
  net.add(batchNormalizationLayer("batchnorm_1", 16));
  net.add(std::make_shared<ReluLayer>("relu_1"));
  net.add(std::make_shared<MaxPoolingLayer>("maxpool_1", halve));  // 14×14
  net.add(convolutionLayer("conv_2", {.filterSize = {3, 3}, .channels = 16, .filters = 32, .conv = same}, rng));
  net.add(batchNormalizationLayer("batchnorm_2", 32));
  net.add(std::make_shared<ReluLayer>("relu_2"));
  net.add(std::make_shared<MaxPoolingLayer>("maxpool_2", halve));  // 7×7
  net.add(convolutionLayer("conv_3", {.filterSize = {3, 3}, .channels = 32, .filters = 64, .conv = same}, rng));
  net.add(batchNormalizationLayer("batchnorm_3", 64));
  net.add(std::make_shared<ReluLayer>("relu_3"));
  // Grad-CAM's default feature layer (the last with a 7×7 image format); the identity outside
  // training, so its map is relu_3's.
  net.add(std::make_shared<DropoutLayer>("dropout", 0.25));
  net.add(fullyConnectedLayer("fc", {.inputs = 7 * 7 * 64, .outputs = 10}, rng));
  net.add(std::make_shared<SoftmaxLayer>("softmax"));
  net.initialize();
  return net;
}

ArrayDataset toDataset(const datasets::ImageSet& set) {
  return ArrayDataset(Array(set.images, "SSCB"), oneHot(set.labels, 10));
}

void train(const ExampleArgs& args) {
  const int64_t trainCount = args.quick ? 2000 : -1, testCount = args.quick ? 500 : -1;
  const datasets::ImageSet trainSet = datasets::readFashionMnist(datasets::Split::Train, trainCount);
  const datasets::ImageSet testSet = datasets::readFashionMnist(datasets::Split::Test, testCount);
  std::cout << "data: " << trainSet.labels.size() << " training and " << testSet.labels.size()
            << " test images from " << datasets::fashionMnistFolder() << "\n";

  // Mean and standard deviation of every training pixel.
  double sum = 0, sumSq = 0;
  const float* v = trainSet.images.data<float>();
  for (int64_t i = 0; i < trainSet.images.numel(); ++i) {
    sum += v[i];
    sumSq += static_cast<double>(v[i]) * v[i];
  }
  const double n = static_cast<double>(trainSet.images.numel());
  const double mean = sum / n, deviation = std::sqrt(sumSq / n - mean * mean);

  Random rng(args.seed);
  Network net = buildNetwork(mean, deviation, rng);
  const ArrayDataset train = toDataset(trainSet), test = toDataset(testSet);
  const TrainingOptions options{.solver = Solver::Adam,
                                .learnRate = 1e-3,
                                .learnRateDropPeriod = 6,
                                .learnRateDropFactor = 0.1,
                                .epochs = args.epochs.value_or(args.quick ? 1 : 8),
                                .miniBatchSize = 128,
                                .seed = args.seed,
                                .validation = &test,
                                .progress = &std::cout};
  trainNetwork(net, train, options);
  const Metrics result = evaluateNetwork(net, test, options);
  std::printf("test accuracy: %.2f %% (%zu images), test loss %.4f\n", 100 * result.accuracy, testSet.labels.size(),
              result.loss);
  saveModel(net, args.out, datasets::fashionMnistClassNames());
}

// Twelve test images with the Grad-CAM map of the predicted class over each.
void figure(const ExampleArgs& args) {
  Network net = onnx::importNetwork(args.model);
  net.setClassNames(datasets::fashionMnistClassNames());
  const datasets::ImageSet testSet = datasets::readFashionMnist(datasets::Split::Test, 12);
  std::vector<Image> panels;
  const Array images(testSet.images, "SSCB");
  for (int64_t i = 0; i < 12; ++i) {
    const Array one = index(images, 3, {i});  // image i, 28×28×1×1
    const GradCamResult cam = gradCAM(net, one, CamTarget::predicted());
    const int64_t predicted = cam.classes[0];
    const Image picture =
        overlay(enlarge(grayImage(one.value().reshaped(Shape{28, 28})), 4), cam.map.reshaped(Shape{28, 28}));
    char score[32];
    std::snprintf(score, sizeof score, "%.0f %%", 100 * cam.scores[0]);
    const auto& names = datasets::fashionMnistClassNames();
    panels.push_back(captioned(picture, {"true: " + names[static_cast<size_t>(testSet.labels[static_cast<size_t>(i)])],
                                         "pred: " + names[static_cast<size_t>(predicted)], score},
                               1));
  }
  writePng(args.out, grid(panels, 6));
  std::cout << "wrote " << args.out << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  const ExampleArgs args =
      parseExampleArgs(argc, argv, kUsage, {.modelFolder = "examples/fashion_mnist", .figure = "docs/images/fashion_mnist.png"});
  exitUnlessFashionMnist();
  return runExample([&] { args.command == "train" ? train(args) : figure(args); });
}
