// A 1-D convolutional sequence classifier trained by dlcam, as the reference page's
// JapaneseVowelsConvNet: 12 features over time, sequences of varying length. The class is
// decided by a pattern placed in a random time window among noise and distractor patterns
// (datasets/localisation.h), so the Grad-CAM curve can be checked against the window.
//
//   build/examples/sequences train    [--out examples/sequences] [--epochs 15] [--seed 1]
//   build/examples/sequences figure   [--model examples/sequences/model.onnx] [--out docs/images/sequences.png]
//   build/examples/sequences test-set [--out build/sets/sequences] [--count 300]
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
    "usage: sequences train    [--out DIR] [--epochs N] [--seed S] [--quick]\n"
    "       sequences figure   [--model FILE] [--out FILE.png]\n"
    "       sequences test-set [--out DIR] [--count N]\n";

// The page's layers: causal 1-D convolutions (each output step sees only the past), ReLU and
// layer normalisation twice, global average pooling over time, a fully connected layer and
// softmax. Any sequence length.
Network buildNetwork(int64_t features, int64_t classes, Random& rng) {
  Network net;
  net.add(std::make_shared<SequenceInputLayer>("sequenceinput", SequenceInputOptions{.channels = features}));
  const ConvOptions causal{.padding = ConvPadding::causal()};
  net.add(convolutionLayer("conv1d_1", {.filterSize = {3}, .channels = features, .filters = 32, .conv = causal}, rng));
  net.add(std::make_shared<ReluLayer>("relu_1"));
  net.add(layerNormalizationLayer("layernorm_1", 32));
  net.add(convolutionLayer("conv1d_2", {.filterSize = {3}, .channels = 32, .filters = 64, .conv = causal}, rng));
  net.add(std::make_shared<ReluLayer>("relu_2"));
  net.add(layerNormalizationLayer("layernorm_2", 64));  // Grad-CAM's default feature layer
  net.add(std::make_shared<GlobalAveragePoolingLayer>("gap1d", 1));
  net.add(fullyConnectedLayer("fc", {.inputs = 64, .outputs = classes}, rng));
  net.add(std::make_shared<SoftmaxLayer>("softmax"));
  net.initialize();
  return net;
}

void train(const ExampleArgs& args) {
  Random rng(args.seed);
  const auto& classes = datasets::classNames(LocalisationKind::Sequences);
  Network net = buildNetwork(12, static_cast<int64_t>(classes.size()), rng);
  trainLocalisation(net, LocalisationKind::Sequences, args,
                    {.trainCount = 3000,
                     .testCount = 600,
                     .options = {.solver = Solver::Adam, .learnRate = 2e-3, .learnRateDropPeriod = 10,
                                 .learnRateDropFactor = 0.1, .epochs = 15, .miniBatchSize = 32}});
}

// The page's figure for a few test sequences: the features over time above the Grad-CAM
// importance of the predicted class; the title names the true class, the prediction and the
// window where the class-defining pattern is.
void figure(const ExampleArgs& args) {
  const Network net = onnx::importNetwork(args.model);
  const auto& classes = datasets::classNames(LocalisationKind::Sequences);
  std::vector<Image> panels;
  for (const auto& sample : datasets::makeSet(LocalisationKind::Sequences, kTestSetSeed, 4)) {
    const int64_t t = sample.input.shape()[1];
    const GradCamResult cam = gradCAM(net, sampleInput(LocalisationKind::Sequences, sample), CamTarget::predicted());
    char title[160];
    std::snprintf(title, sizeof title, "true %s, predicted %s; pattern at steps %lld-%lld",
                  classes[static_cast<size_t>(sample.label)].c_str(), classes[static_cast<size_t>(cam.classes[0])].c_str(),
                  static_cast<long long>(sample.region.first[0] + 1), static_cast<long long>(sample.region.last[0] + 1));
    panels.push_back(sequenceFigure(sample.input, cam.map.reshaped(Shape{1, t}), {.width = 640, .height = 400, .title = title}));
  }
  writePng(args.out, grid(panels, 2));
  std::cout << "wrote " << args.out << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  const ExampleArgs args = parseExampleArgs(argc, argv, kUsage,
                                            {.modelFolder = "examples/sequences",
                                             .figure = "docs/images/sequences.png",
                                             .testSet = "build/sets/sequences"});
  return runExample([&] {
    if (args.command == "train") train(args);
    else if (args.command == "figure") figure(args);
    else writeTestSet(LocalisationKind::Sequences, args, 300);
  });
}
