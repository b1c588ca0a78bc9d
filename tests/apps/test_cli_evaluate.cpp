// `dlcam evaluate`, run in-process through runDlcam: on the bundled shapes classifier and its
// sample manifest (examples/shapes/samples/manifest.txt; Grad-CAM's peak lies within 2 pixels
// of every box, a known property of that model: tests/gradcam/test_shapes_localisation.cpp,
// whose margin is for the bicubic upsampling of a 16×16 map to 64×64), its numbers are
// compared with the library's measures (gradcam/quality.h) computed here on the same inputs;
// the JSON report is parsed and holds the text report's numbers; bad manifests and options
// give clean errors. A sequence and a volume model from the committed small nets run the 1×t
// and 3-D paths.
#include <doctest/doctest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "apps/dlcam/model_input.h"
#include "datasets/manifest.h"
#include "gradcam/gradcam.h"
#include "gradcam/quality.h"
#include "io/image.h"
#include "io/npy.h"
#include "io/onnx/importer.h"
#include "tests/apps/cli_test_util.h"

using namespace dlcam;
using namespace dlcam::test::cli;

namespace {

// A JSON document flattened to its scalars: "pointing.gradcam.count" → "8" (numbers and
// literals as written, strings without their quotes; array elements by index). ok() is false
// for text that is not one JSON value.
class FlatJson {
 public:
  explicit FlatJson(const std::string& text) : s_(text) {
    value("");
    space();
    ok_ = ok_ && at_ == s_.size();
  }
  bool ok() const { return ok_; }
  bool has(const std::string& path) const { return values_.count(path) > 0; }
  std::string text(const std::string& path) const { return has(path) ? values_.at(path) : "(missing)"; }
  double number(const std::string& path) const { return std::stod(values_.at(path)); }

 private:
  void space() {
    while (at_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[at_]))) ++at_;
  }
  bool take(char c) {
    space();
    if (at_ < s_.size() && s_[at_] == c) return ++at_, true;
    return false;
  }
  std::string string() {
    std::string out;
    if (!take('"')) return ok_ = false, out;
    while (at_ < s_.size() && s_[at_] != '"') {
      if (s_[at_] == '\\') ++at_;
      out += s_[at_++];
    }
    ok_ = ok_ && take('"');
    return out;
  }
  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }
  void value(const std::string& path) {
    space();
    if (!ok_ || at_ >= s_.size()) return void(ok_ = false);
    if (take('{')) {
      if (take('}')) return;
      do {
        const std::string key = string();
        if (!take(':')) return void(ok_ = false);
        value(join(path, key));
      } while (ok_ && take(','));
      ok_ = ok_ && take('}');
    } else if (take('[')) {
      if (take(']')) return;
      int index = 0;
      do value(join(path, std::to_string(index++)));
      while (ok_ && take(','));
      ok_ = ok_ && take(']');
    } else if (s_[at_] == '"') {
      values_[path] = string();
    } else {
      const size_t end = s_.find_first_of(",}] \n", at_);
      const std::string token = s_.substr(at_, end - at_);
      char* stop = nullptr;
      std::strtod(token.c_str(), &stop);
      ok_ = token == "true" || token == "false" || token == "null" || (!token.empty() && *stop == '\0');
      values_[path] = token;
      at_ = end;
    }
  }

  std::string s_;
  size_t at_ = 0;
  bool ok_ = true;
  std::map<std::string, std::string> values_;
};

const fs::path kShapes = test::sourceDir() / "examples" / "shapes";
std::string shapesModel() { return (kShapes / "model.onnx").string(); }

std::string shapesSet() { return (kShapes / "samples" / "manifest.txt").string(); }

// The shapes example's eight samples (two per class), as `dlcam evaluate` reads them.
std::vector<datasets::ManifestEntry> shapesSamples() {
  const std::vector<datasets::ManifestEntry> samples = datasets::readManifest(shapesSet());
  REQUIRE(samples.size() == 8);
  return samples;
}

// The line of `text` that starts with `start`, searched from the line starting with `after`.
std::string lineStarting(const std::string& text, const std::string& start, const std::string& after = "") {
  std::istringstream lines(text);
  std::string line;
  bool searching = after.empty();
  while (std::getline(lines, line)) {
    if (!searching && line.starts_with(after)) searching = true;
    if (searching && line.starts_with(start)) return line;
  }
  return "(no line starting with '" + start + "')";
}

// The numbers on a line after its first `skip` words.
std::vector<double> numbersOf(const std::string& line, int skip) {
  std::istringstream words(line);
  std::string word;
  for (int k = 0; k < skip; ++k) words >> word;
  std::vector<double> numbers;
  double v = 0;
  while (words >> v) numbers.push_back(v);
  return numbers;
}

// Observation b of an .npy batch (N first), written as its own .npy without N.
void writeObservation(const std::string& from, int64_t b, const std::string& to) {
  const Tensor batch = readNpy(from, NpyIndexing::Same);  // N×…, NumPy's indices
  std::vector<int64_t> dims(batch.shape().dims().begin() + 1, batch.shape().dims().end());
  Tensor one{Shape(dims)};
  const int64_t n = batch.shape()[0];
  for (int64_t i = 0; i < one.numel(); ++i) one.data<float>()[i] = batch.data<float>()[b + n * i];
  writeNpy(to, one, {.indexing = NpyIndexing::Same});
}

}  // namespace

TEST_CASE("dlcam evaluate on the shapes example: the library's numbers, in text and in JSON") {
  const std::vector<datasets::ManifestEntry> samples = shapesSamples();
  const std::vector<std::string> args = {"evaluate", shapesModel(), "--set", shapesSet(), "--steps", "8",
                                         "--sanity-samples", "2", "--tolerance", "2"};
  const Result text = run(args);
  REQUIRE_MESSAGE(text.code == 0, text.err);
  std::vector<std::string> jsonArgs = args;
  jsonArgs.push_back("--json");
  const Result json = run(jsonArgs);
  REQUIRE_MESSAGE(json.code == 0, json.err);
  const FlatJson j(json.out);
  REQUIRE(j.ok());

  // The same measures, computed here: each PNG as the network takes it (64×64×3, 0…255), the
  // map of its true class, the curves at 8 steps, the sanity check on the first 2. On the CPU,
  // as dlcam evaluate computes them (ExecutionEnvironment 'auto' would take a GPU).
  Network net = onnx::importNetwork(shapesModel());
  const GradCamOptions onCpu{.executionEnvironment = ExecutionEnvironment::Cpu};
  int64_t hits = 0;
  double deletion = 0, insertion = 0;
  std::vector<Array> firstTwo;
  for (const datasets::ManifestEntry& s : samples) {
    const Tensor pixels = imageToTensor(readImage(s.path, 3));
    const Array x(pixels.reshaped(Shape{64, 64, 3, 1}), "SSCB");
    const GradCamResult r = gradCAM(net, x, s.label, onCpu);
    const Tensor map = r.map.reshaped(Shape{64, 64});
    hits += pointingHit(map, s.region, 2);
    const PerturbationCurves c = perturbationCurves(net, x, map, s.label, {.steps = 8});
    deletion += c.deletionArea / 8;
    insertion += c.insertionArea / 8;
    if (firstTwo.size() < 2) firstTwo.push_back(x);
  }
  CHECK(hits == 8);
  const std::vector<RandomisationStep> sanity =
      cascadingRandomisation(net, firstTwo, {samples[0].label, samples[1].label}, {.gradcam = onCpu, .seed = 0});
  REQUIRE(sanity.size() == 5);
  const char* const weighted[] = {"fc", "conv_4", "conv_3", "conv_2", "conv_1"};  // from the top
  for (size_t k = 0; k < sanity.size(); ++k) CHECK(sanity[k].layer == weighted[k]);

  // JSON: every number, at full precision.
  CHECK(j.text("model") == shapesModel());
  CHECK(j.text("samples") == "8");
  CHECK(j.text("target") == "true");
  CHECK(j.text("featureLayer") == "relu_4");
  CHECK(j.text("reductionLayer") == "softmax");
  CHECK(j.text("accuracy.count") == "8");
  CHECK(j.text("pointing.gradcam.count") == "8");
  CHECK(j.number("pointing.gradcam.fraction") == 1);
  CHECK(j.number("pointing.tolerance") == 2);
  CHECK(j.number("pointing.random.count") <= 8);
  CHECK(j.has("pointing.centre.count"));
  CHECK(j.text("steps") == "8");
  CHECK(j.number("deletion.gradcam") == doctest::Approx(deletion).epsilon(1e-6));
  CHECK(j.number("insertion.gradcam") == doctest::Approx(insertion).epsilon(1e-6));
  CHECK(j.text("sanity.samples") == "2");
  for (size_t k = 0; k < sanity.size(); ++k) {
    const std::string at = "sanity.layers." + std::to_string(k);
    CAPTURE(at);
    CHECK(j.text(at + ".layer") == sanity[k].layer);
    CHECK(j.number(at + ".meanRho") == doctest::Approx(sanity[k].meanRho).epsilon(1e-9));
    CHECK(j.number(at + ".constantMaps") == sanity[k].constantMaps);
  }
  CHECK_FALSE(j.has("sanity.layers.5.layer"));
  // Grad-CAM's map beats the random one on both curves here.
  CHECK(j.number("deletion.gradcam") < j.number("deletion.random"));
  CHECK(j.number("insertion.gradcam") > j.number("insertion.random"));

  // Text: the same numbers, to 6 significant digits.
  CHECK(lineStarting(text.out, "accuracy:") == "accuracy:   8/8 (100%)");
  CHECK(lineStarting(text.out, "pointing game") ==
        "pointing game: the map's peak inside the region or within 2 positions of it");
  CHECK(lineStarting(text.out, "  Grad-CAM", "pointing game") == "  Grad-CAM  8/8 (100%)");
  const double randomHits = j.number("pointing.random.count");
  CHECK(lineStarting(text.out, "  random", "pointing game") ==
        "  random    " + j.text("pointing.random.count") + "/8 (" + cli::scoreText(12.5 * randomHits) + "%)");
  const std::vector<double> cam = numbersOf(lineStarting(text.out, "  Grad-CAM", "deletion and insertion"), 1);
  const std::vector<double> random = numbersOf(lineStarting(text.out, "  random", "deletion and insertion"), 1);
  REQUIRE(cam.size() == 2);
  REQUIRE(random.size() == 2);
  CHECK(cam[0] == doctest::Approx(j.number("deletion.gradcam")).epsilon(1e-5));
  CHECK(cam[1] == doctest::Approx(j.number("insertion.gradcam")).epsilon(1e-5));
  CHECK(random[0] == doctest::Approx(j.number("deletion.random")).epsilon(1e-5));
  CHECK(random[1] == doctest::Approx(j.number("insertion.random")).epsilon(1e-5));
  for (size_t k = 0; k < sanity.size(); ++k) {
    const std::string line = lineStarting(text.out, "  " + std::to_string(k + 1) + "  '" + sanity[k].layer + "'");
    const std::vector<double> rho = numbersOf(line, 2);
    REQUIRE_MESSAGE(rho.size() >= 1, line);
    CHECK(rho[0] == doctest::Approx(sanity[k].meanRho).epsilon(1e-5));
  }
}

TEST_CASE("dlcam evaluate options: --limit, --no-sanity, --target predicted, --seed, no tolerance") {
  const std::vector<datasets::ManifestEntry> samples = shapesSamples();
  const std::string set = shapesSet();
  const Result r = run({"evaluate", shapesModel(), "--set", set, "--limit", "3", "--steps", "2", "--no-sanity",
                        "--target", "predicted", "--json"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  const FlatJson j(r.out);
  REQUIRE(j.ok());
  CHECK(j.text("samples") == "3");
  CHECK(j.text("target") == "predicted");
  CHECK(j.text("sanity") == "null");
  CHECK(j.number("pointing.tolerance") == 0);

  // The pointing game without tolerance: the peak itself must be inside the box.
  const Network net = onnx::importNetwork(shapesModel());
  int64_t strictHits = 0;
  for (size_t k = 0; k < 3; ++k) {
    const datasets::ManifestEntry& s = samples[k];
    const Array x(imageToTensor(readImage(s.path, 3)), "SSC");
    strictHits += pointingHit(gradCAM(net, x, CamTarget::predicted()).map, s.region);
  }
  CHECK(j.number("pointing.gradcam.count") == strictHits);

  // The random map follows --seed, so its deletion area differs between seeds; the Grad-CAM
  // numbers never depend on it.
  std::set<std::string> randomAreas, camAreas;
  for (const char* seed : {"0", "1", "2"}) {
    const Result s = run({"evaluate", shapesModel(), "--set", set, "--limit", "2", "--steps", "2", "--no-sanity",
                          "--seed", seed, "--json"});
    REQUIRE(s.code == 0);
    const FlatJson js(s.out);
    randomAreas.insert(js.text("deletion.random"));
    camAreas.insert(js.text("deletion.gradcam"));
  }
  CHECK(randomAreas.size() == 3);
  CHECK(camAreas.size() == 1);
}

TEST_CASE("dlcam evaluate errors name the manifest, the sample and the problem") {
  TempDir dir;
  fs::copy_file(kShapes / "samples" / "shapes_0000.png", dir.path / "shapes_0000.png");  // a circle
  const std::string set = dir.file("manifest.txt");
  auto evaluate = [&](const std::string& manifest, std::vector<std::string> extra = {}) {
    test::writeText(set, manifest);
    std::vector<std::string> args = {"evaluate", shapesModel(), "--set", set, "--no-sanity", "--steps", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  };
  const std::string sample1 = "dlcam: error: manifest '" + set + "', sample 1 ";

  Result r = evaluate("gone.png 0 box 0 0 1 1\n");
  CHECK(r.code == 1);
  CHECK(r.err == sample1 + "'gone.png': cannot open input '" + dir.file("gone.png") + "': no such file\n");

  r = evaluate("shapes_0000.png 0 box 0 0 64 10\n");
  CHECK(r.code == 1);
  CHECK(r.err == sample1 + "'shapes_0000.png': the region (0, 0)…(64, 10) does not fit inside the 64×64 map: "
                           "dimension 1 takes indices 0 to 63\n");

  r = evaluate("shapes_0000.png 0 span 0 10\n");
  CHECK(r.code == 1);
  CHECK(r.err.find("the region (0)…(10) has 1 dimension, but the map is 64×64") != std::string::npos);

  r = evaluate("shapes_0000.png 7 box 0 0 1 1\n");
  CHECK(r.code == 1);
  CHECK(r.err.starts_with(sample1 + "'shapes_0000.png': gradCAM: class index 7 is out of range"));

  r = evaluate("shapes_0000.png 7 box 0 0 1 1\n", {"--target", "predicted"});
  CHECK(r.code == 1);
  CHECK(r.err == sample1 + "'shapes_0000.png': class 7 is not one of the model's: its output has 4 classes (0 to 3)\n");

  r = evaluate("shapes_0000.png 0 box 0 0 1\n");
  CHECK(r.code == 1);
  CHECK(r.err.starts_with("dlcam: error: manifest '" + set + "' line 1: 'box' takes 4 indices"));

  Image small(32, 32, 3);
  writePng(dir.file("small.png"), small);
  r = evaluate("small.png 0 box 0 0 1 1\n");
  CHECK(r.code == 1);
  CHECK(r.err.find("the image is 32×32 but the model takes 64×64") != std::string::npos);

  CHECK(run({"evaluate", shapesModel(), "--set", dir.file("none.txt")}).code == 1);
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"--steps", "0"}, {"--target", "best"}, {"--seed", "-1"}, {"--sanity-samples", "2"}, {"--limit", "x"},
           {"--tolerance", "-1"}}) {
    CAPTURE(bad[0]);
    r = evaluate("shapes_0000.png 0 box 0 0 1 1\n", bad);
    CHECK(r.code == 2);
    CHECK(r.err.find("usage: dlcam evaluate MODEL [options]") != std::string::npos);
  }
  r = run({"evaluate", shapesModel()});
  CHECK(r.code == 2);
  CHECK(r.err.starts_with("dlcam: error: 'evaluate' needs --set MANIFEST"));
}

TEST_CASE("dlcam evaluate imports a model with open H and W once per input size") {
  // x (N×3×H×W) → Relu → GlobalAveragePool → y: class k's score is the mean of channel k, so its
  // map is the image's channel k / (h·w), and it peaks on the brightest pixel of channel k.
  TempDir dir;
  const std::string model = writeChainModel(dir, "gap", {"Relu", "GlobalAveragePool"},
                                            {{-1, "N"}, {3, ""}, {-1, "H"}, {-1, "W"}},
                                            {{-1, "N"}, {3, ""}, {1, ""}, {1, ""}});
  std::ofstream manifest(dir.file("manifest.txt"));
  const std::vector<std::vector<int64_t>> images = {{10, 12, 3, 7}, {7, 9, 5, 2}, {10, 12, 0, 0}};  // h w y x
  for (size_t k = 0; k < images.size(); ++k) {
    const std::vector<int64_t>& i = images[k];
    Image img(i[0], i[1], 3);
    img.at(i[2], i[3], 1) = 200;  // channel 1 is the brightest on average and peaks at (y, x)
    img.at(0, 1, 0) = 100;
    const std::string file = "image" + std::to_string(k) + ".png";
    writePng(dir.file(file), img);
    manifest << file << " 1 box " << i[2] << " " << i[3] << " " << i[2] << " " << i[3] << "\n";
  }
  manifest.close();
  const Result r = run({"evaluate", model, "--set", dir.file("manifest.txt"), "--feature-layer", "node0", "--steps",
                        "2", "--json"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  const FlatJson j(r.out);
  REQUIRE(j.ok());
  CHECK(j.text("accuracy.count") == "3");
  CHECK(j.text("pointing.gradcam.count") == "3");
  CHECK(j.text("sanity.samples") == "3");
  CHECK_FALSE(j.has("sanity.layers.0.layer"));  // no layer has weights

  const Result text = run({"evaluate", model, "--set", dir.file("manifest.txt"), "--feature-layer", "node0"});
  REQUIRE(text.code == 0);
  CHECK(lineStarting(text.out, "sanity check:") == "sanity check: no layer has weights to randomise");
}

TEST_CASE("dlcam evaluate runs sequences (1×t maps) and volumes (h×w×d maps)") {
  struct Case {
    const char* net;
    std::vector<std::string> lines;  // manifest lines for observations 0 and 1 of input.npy
  };
  const std::vector<Case> cases = {
      {"seq_causal_ln", {"obs0.npy 1 span 3 9", "obs1.npy 4 span 0 22"}},
      {"conv3d_bn_pool", {"obs0.npy 2 box 1 2 3 5 6 7", "obs1.npy 0 box 0 0 0 9 10 8"}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.net);
    TempDir dir;
    std::ofstream manifest(dir.file("manifest.txt"));
    for (int64_t b = 0; b < 2; ++b) {
      writeObservation(inputPath(c.net), b, dir.file("obs" + std::to_string(b) + ".npy"));
      manifest << c.lines[static_cast<size_t>(b)] << "\n";
    }
    manifest.close();
    const Result r = run({"evaluate", modelPath(c.net), "--set", dir.file("manifest.txt"), "--steps", "4",
                          "--sanity-samples", "2", "--json"});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    const FlatJson j(r.out);
    REQUIRE(j.ok());
    CHECK(j.text("samples") == "2");

    // The pointing game and the sanity check's layers, computed here on the inputs as
    // `dlcam explain` prepares them.
    Network net = onnx::importNetwork(modelPath(c.net));
    const std::vector<datasets::ManifestEntry> entries = datasets::readManifest(dir.file("manifest.txt"));
    int64_t hits = 0;
    for (const datasets::ManifestEntry& e : entries) {
      const Array x = cli::prepareInput(e.path, cli::expectedInputShape(net), {}).x;
      const Tensor map = gradCAM(net, x, e.label).map;
      hits += pointingHit(map, e.region);
    }
    CHECK(j.number("pointing.gradcam.count") == hits);
    const std::vector<std::string> order = randomisationOrder(net);
    REQUIRE(order.size() >= 2);
    for (size_t k = 0; k < order.size(); ++k)
      CHECK(j.text("sanity.layers." + std::to_string(k) + ".layer") == order[k]);
  }
}
