// What the example programs share: their command line, saving a trained model with its class
// names, and laying out figures.
//
//   examples/<name> train  [--out DIR] [--epochs N] [--seed S] [--quick]
//   examples/<name> figure [--model FILE] [--out FILE.png]
//   examples/<name> test-set [--out DIR] [--count N]      (the localisation examples)
//
// `train` trains the example's network from scratch with dlcam and writes DIR/model.onnx and
// DIR/labels.txt (for classifiers); `figure` explains the saved model's predictions on test
// inputs and writes the example's figure. --quick trains on a small part of the data for one
// epoch: a check that the program runs, not a model to keep. `test-set` writes the example's
// test set with its true regions (datasets/manifest.h) for `dlcam evaluate`.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "datasets/fashion_mnist.h"
#include "datasets/localisation.h"
#include "io/image.h"
#include "layers/network.h"
#include "training/trainer.h"

namespace dlcam::examples {

struct ExampleArgs {
  std::string command;   // "train", "figure" or "test-set"
  std::string out;       // train: the model folder; figure: the PNG file
  std::string model;     // figure: the ONNX file
  std::optional<int> epochs;
  uint64_t seed = 1;
  bool quick = false;
  int64_t count = -1;    // test-set: how many samples (-1: the example's default)
};

struct ExampleDefaults {
  std::string modelFolder;  // train --out
  std::string figure;       // figure --out
  std::string testSet{};    // test-set --out; empty: the program has no test-set command
};

// Parses argv; on a usage error prints `usage` and exits with status 2. The defaults fill
// --out and --model (modelFolder/model.onnx) when they are not given.
ExampleArgs parseExampleArgs(int argc, char** argv, const std::string& usage, const ExampleDefaults& defaults);

// Runs `body` and turns a dlcam::Error into "example: error: ..." and exit status 1.
int runExample(const std::function<void()>& body);

// Exits with status 77 (a skipped test, for ctest) and a message naming the package when
// Fashion-MNIST is not installed.
void exitUnlessFashionMnist();

// Writes net as folder/model.onnx (dlcam's ONNX writer) and, when given, the class names as
// folder/labels.txt. Creates the folder. Prints what it wrote.
void saveModel(const Network& net, const std::string& folder, const std::vector<std::string>& classNames = {});

// An image enlarged `scale` times by pixel repetition (small inputs become visible).
Image enlarge(const Image& image, int64_t scale);

// A captioned panel: the image with lines of text below it, on white.
Image captioned(const Image& image, const std::vector<std::string>& lines, int64_t textScale = 2);

// Panels side by side in rows of `columns`, top-aligned, with `gap` white pixels between them.
Image grid(const std::vector<Image>& panels, int64_t columns, int64_t gap = 8);

// Gray 0…255 values (h×w or h×w×1 tensor) as an RGB image.
Image grayImage(const Tensor& values);

// The generated examples (rotation, shapes, blobs, sequences) train on data made from their
// --seed and test on data made from this seed, which no training run uses.
inline constexpr uint64_t kTestSetSeed = 1000003;

// The rotation example's data: Fashion-MNIST items (the first `count` of a split; all when
// count < 0) each turned by a random angle in [−45, 45) degrees (datasets::rotateImage).
// images: 28×28×1×N, 0…255; angles: 1×N degrees. The seed fixes the angles.
struct RotatedSet {
  Tensor images;
  Tensor angles;
};
RotatedSet rotatedSet(datasets::Split split, int64_t count, uint64_t seed);

// Generated samples as training data: images stacked "SSCB", volumes "SSSCB", sequences
// padded per mini-batch (SequenceDataset); targets one-hot.
std::unique_ptr<Dataset> localisationDataset(datasets::LocalisationKind kind,
                                             const std::vector<datasets::LocalisationSample>& samples);

// One sample as the network's input, a batch of one: "SSCB", "SSSCB" or "CBT".
Array sampleInput(datasets::LocalisationKind kind, const datasets::LocalisationSample& sample);

struct LocalisationTraining {
  int64_t trainCount = 0, testCount = 0;  // --quick uses a tenth of each
  TrainingOptions options{};              // epochs, seed, validation and progress are filled in
};

// Generates the training set (seed args.seed) and the test set (kTestSetSeed), trains `net`,
// prints the test accuracy and saves the model with the kind's class names in args.out.
void trainLocalisation(Network& net, datasets::LocalisationKind kind, const ExampleArgs& args,
                       LocalisationTraining setup);

// `test-set`: writes args.count (or defaultCount) samples of the test set to args.out for
// `dlcam evaluate`.
void writeTestSet(datasets::LocalisationKind kind, const ExampleArgs& args, int64_t defaultCount);

}  // namespace dlcam::examples
