#include "examples/common/example.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "core/random.h"
#include "datasets/manifest.h"
#include "training/loss.h"
#include "gradcam/draw.h"
#include "gradcam/font.h"
#include "io/labels.h"
#include "io/onnx/exporter.h"

namespace dlcam::examples {

namespace {

// A non-negative whole number, all of the text (std::stoll alone accepts "3abc" and "-1").
int64_t wholeNumber(const std::string& text) {
  size_t used = 0;
  const long long v = std::stoll(text, &used);
  if (used != text.size() || v < 0) throw std::invalid_argument(text);
  return v;
}

}  // namespace

ExampleArgs parseExampleArgs(int argc, char** argv, const std::string& usage, const ExampleDefaults& defaults) {
  auto usageError = [&](const std::string& what) {
    std::cerr << argv[0] << ": " << what << "\n" << usage;
    std::exit(2);
  };
  if (argc < 2) usageError("a command is needed");
  ExampleArgs args;
  args.command = argv[1];
  if (args.command == "-h" || args.command == "--help") {
    std::cout << usage;
    std::exit(0);
  }
  if (args.command != "train" && args.command != "figure" && (args.command != "test-set" || defaults.testSet.empty()))
    usageError("unknown command '" + args.command + "'");
  for (int i = 2; i < argc; ++i) {
    const std::string option = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usageError(option + " needs a value");
      return argv[++i];
    };
    try {
      if (option == "--out")
        args.out = value();
      else if (option == "--model" && args.command == "figure")
        args.model = value();
      else if (option == "--epochs" && args.command == "train")
        args.epochs = static_cast<int>(wholeNumber(value()));
      else if (option == "--seed" && args.command == "train")
        args.seed = static_cast<uint64_t>(wholeNumber(value()));
      else if (option == "--quick" && args.command == "train")
        args.quick = true;
      else if (option == "--count" && args.command == "test-set")
        args.count = wholeNumber(value());
      else
        usageError("unknown option '" + option + "' for " + args.command);
    } catch (const std::logic_error&) {
      usageError(option + " takes a whole number");
    }
  }
  if (args.epochs && *args.epochs <= 0) usageError("--epochs must be positive");
  if (args.count == 0) usageError("--count must be positive");
  if (args.command == "train" && std::filesystem::exists(args.out) && !std::filesystem::is_directory(args.out))
    usageError("--out " + args.out + " is a file; train writes a folder");
  if (args.out.empty())
    args.out = args.command == "train" ? defaults.modelFolder : args.command == "figure" ? defaults.figure : defaults.testSet;
  if (args.model.empty()) args.model = defaults.modelFolder + "/model.onnx";
  return args;
}

int runExample(const std::function<void()>& body) {
  try {
    body();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "example: error: " << e.what() << "\n";
    return 1;
  }
}

void exitUnlessFashionMnist() {
  const std::filesystem::path folder = datasets::fashionMnistFolder();
  for (const char* file : {"train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"})
    if (!std::filesystem::exists(folder / file)) {
      std::cerr << "example: Fashion-MNIST is not in " << folder.string()
                << " (install Debian's dataset-fashion-mnist package, or set DLCAM_FASHION_MNIST)\n";
      std::exit(77);
    }
}

void saveModel(const Network& net, const std::string& folder, const std::vector<std::string>& classNames) {
  std::filesystem::create_directories(folder);
  const std::string model = (std::filesystem::path(folder) / "model.onnx").string();
  onnx::exportNetwork(net, model);
  std::cout << "wrote " << model << " (" << net.numLearnables() << " learnables)\n";
  if (!classNames.empty()) {
    const std::string labels = (std::filesystem::path(folder) / "labels.txt").string();
    writeClassNames(labels, classNames);
    std::cout << "wrote " << labels << "\n";
  }
}

Image enlarge(const Image& image, int64_t scale) {
  Image out(image.height * scale, image.width * scale, image.channels);
  for (int64_t y = 0; y < out.height; ++y)
    for (int64_t x = 0; x < out.width; ++x)
      for (int64_t c = 0; c < image.channels; ++c) out.at(y, x, c) = image.at(y / scale, x / scale, c);
  return out;
}

namespace {

// Copies an RGB image into `canvas` with its top-left corner at (x, y).
void paste(Image& canvas, const Image& image, int64_t x, int64_t y) {
  DLCAM_ASSERT(image.channels == 3 && canvas.channels == 3);
  for (int64_t r = 0; r < image.height; ++r)
    std::copy_n(image.pixels.begin() + r * image.width * 3, image.width * 3,
                canvas.pixels.begin() + ((y + r) * canvas.width + x) * 3);
}

}  // namespace

Image captioned(const Image& image, const std::vector<std::string>& lines, int64_t textScale) {
  const int64_t lineHeight = detail::textHeight(textScale) + 2 * textScale;
  int64_t width = image.width;
  for (const std::string& line : lines) width = std::max(width, detail::textWidth(line, textScale));
  Image out = detail::filledImage(image.height + 4 + lineHeight * static_cast<int64_t>(lines.size()), width, detail::kWhite);
  paste(out, image, (width - image.width) / 2, 0);
  int64_t y = image.height + 4;
  for (const std::string& line : lines) {
    detail::drawText(out, (width - detail::textWidth(line, textScale)) / 2, y, line, detail::kBlack, textScale);
    y += lineHeight;
  }
  return out;
}

Image grid(const std::vector<Image>& panels, int64_t columns, int64_t gap) {
  if (panels.empty() || columns <= 0) fail("grid: needs panels and a positive column count");
  const int64_t rows = (static_cast<int64_t>(panels.size()) + columns - 1) / columns;
  int64_t cellWidth = 0, cellHeight = 0;
  for (const Image& p : panels) {
    cellWidth = std::max(cellWidth, p.width);
    cellHeight = std::max(cellHeight, p.height);
  }
  Image out = detail::filledImage(rows * cellHeight + (rows + 1) * gap, columns * cellWidth + (columns + 1) * gap,
                                  detail::kWhite);
  for (size_t i = 0; i < panels.size(); ++i) {
    const int64_t r = static_cast<int64_t>(i) / columns, c = static_cast<int64_t>(i) % columns;
    paste(out, panels[i], gap + c * (cellWidth + gap) + (cellWidth - panels[i].width) / 2, gap + r * (cellHeight + gap));
  }
  return out;
}

Image grayImage(const Tensor& values) {
  const Tensor v = values.to(DType::Float32);
  const int64_t h = v.shape()[0], w = v.rank() > 1 ? v.shape()[1] : 1;
  Image out(h, w, 3);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      const float g = std::clamp(v.data<float>()[y + h * x], 0.0f, 255.0f);
      for (int64_t c = 0; c < 3; ++c) out.at(y, x, c) = static_cast<uint8_t>(g + 0.5f);
    }
  return out;
}

RotatedSet rotatedSet(datasets::Split split, int64_t count, uint64_t seed) {
  const datasets::ImageSet items = datasets::readFashionMnist(split, count);
  const int64_t n = static_cast<int64_t>(items.labels.size());
  RotatedSet set{Tensor(Shape{28, 28, 1, n}), Tensor(Shape{1, n})};
  Random rng(seed);
  for (int64_t i = 0; i < n; ++i) {
    const double angle = rng.uniform(-45, 45);
    Tensor item(Shape{28, 28, 1});
    std::copy_n(items.images.data<float>() + 784 * i, 784, item.data<float>());
    const Tensor turned = datasets::rotateImage(item, angle);
    std::copy_n(turned.data<float>(), 784, set.images.data<float>() + 784 * i);
    set.angles.data<float>()[i] = static_cast<float>(angle);
  }
  return set;
}

std::unique_ptr<Dataset> localisationDataset(datasets::LocalisationKind kind,
                                             const std::vector<datasets::LocalisationSample>& samples) {
  if (samples.empty()) fail("localisationDataset: no samples");
  std::vector<int64_t> labels;
  for (const auto& s : samples) labels.push_back(s.label);
  const Array targets = oneHot(labels, static_cast<int64_t>(datasets::classNames(kind).size()));
  if (kind == datasets::LocalisationKind::Sequences) {
    std::vector<Tensor> sequences;
    for (const auto& s : samples) sequences.push_back(s.input);
    return std::make_unique<SequenceDataset>(std::move(sequences), targets);
  }
  // Every sample has the same size: stack them along a new last dimension, B.
  const Shape one = samples[0].input.shape();
  std::vector<int64_t> dims = one.dims();
  dims.push_back(static_cast<int64_t>(samples.size()));
  Tensor stacked{Shape(dims)};
  for (size_t i = 0; i < samples.size(); ++i)
    std::copy_n(samples[i].input.data<float>(), one.numel(), stacked.data<float>() + one.numel() * static_cast<int64_t>(i));
  return std::make_unique<ArrayDataset>(Array(stacked, kind == datasets::LocalisationKind::Shapes ? "SSCB" : "SSSCB"),
                                        targets);
}

Array sampleInput(datasets::LocalisationKind kind, const datasets::LocalisationSample& sample) {
  std::vector<int64_t> dims = sample.input.shape().dims();
  if (kind == datasets::LocalisationKind::Sequences)
    return Array(sample.input.reshaped(Shape{dims[0], 1, dims[1]}), "CBT");  // c×t → c×1×t
  dims.push_back(1);
  return Array(sample.input.reshaped(Shape(dims)), kind == datasets::LocalisationKind::Shapes ? "SSCB" : "SSSCB");
}

void trainLocalisation(Network& net, datasets::LocalisationKind kind, const ExampleArgs& args,
                       LocalisationTraining setup) {
  const int64_t trainCount = args.quick ? setup.trainCount / 10 : setup.trainCount;
  const int64_t testCount = args.quick ? setup.testCount / 10 : setup.testCount;
  const auto start = std::chrono::steady_clock::now();
  // The samples go out of scope once stacked: only the datasets stay in memory.
  const auto train = localisationDataset(kind, datasets::makeSet(kind, args.seed, trainCount));
  const auto test = localisationDataset(kind, datasets::makeSet(kind, kTestSetSeed, testCount));
  std::cout << "data: " << trainCount << " training (seed " << args.seed << ") and " << testCount << " test (seed "
            << kTestSetSeed << ") " << datasets::kindName(kind) << " generated in "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s\n";
  TrainingOptions options = setup.options;
  options.epochs = args.epochs.value_or(args.quick ? 1 : options.epochs);
  options.seed = args.seed;
  options.validation = test.get();
  options.progress = &std::cout;
  trainNetwork(net, *train, options);
  // Sequences are measured one at a time, unpadded, as Grad-CAM and dlcam evaluate see them
  // (in a padded batch, global pooling over time averages the padding in too).
  if (kind == datasets::LocalisationKind::Sequences) options.miniBatchSize = 1;
  const Metrics result = evaluateNetwork(net, *test, options);
  std::printf("test accuracy: %.2f %% (%lld samples)\n", 100 * result.accuracy, static_cast<long long>(testCount));
  saveModel(net, args.out, datasets::classNames(kind));
}

void writeTestSet(datasets::LocalisationKind kind, const ExampleArgs& args, int64_t defaultCount) {
  const int64_t count = args.count >= 0 ? args.count : defaultCount;
  const std::string manifest =
      datasets::writeLocalisationSet(args.out, kind, datasets::makeSet(kind, kTestSetSeed, count));
  std::cout << "wrote " << count << " " << datasets::kindName(kind) << " samples (seed " << kTestSetSeed
            << ") and " << manifest << "\n";
}

}  // namespace dlcam::examples
