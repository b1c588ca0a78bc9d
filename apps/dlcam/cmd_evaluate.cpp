// dlcam evaluate MODEL --set MANIFEST: how well Grad-CAM explains a model on a localisation set
// (datasets/manifest.h), with the measures of gradcam/quality.h: the pointing game, deletion
// and insertion curves, and the cascading-randomisation sanity check, next to maps that know
// nothing of the network (random, centre).
//
// Every sample is read and prepared as `dlcam explain` prepares its INPUT (model_input.h) and
// its map is computed as explain computes it (gradCAM with the same layers, bicubic
// upsampling to the input's size). A model that is imported for the input's size (open H and
// W) is imported once per size. Nothing is written; the report goes to stdout.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <ostream>

#include "apps/dlcam/cli.h"
#include "apps/dlcam/json.h"
#include "apps/dlcam/model_input.h"
#include "core/error.h"
#include "core/random.h"
#include "datasets/manifest.h"
#include "gradcam/gradcam.h"
#include "gradcam/quality.h"

namespace dlcam::cli {

namespace {

struct EvaluateOptions {
  std::string setPath;
  InputOptions input;
  // On the CPU: evaluate's networks stay there (the metrics read inputs and maps on the host).
  GradCamOptions gradcam{.executionEnvironment = ExecutionEnvironment::Cpu};
  bool predictedTarget = false;  // --target predicted: explain the predicted class, not the label
  std::optional<int64_t> limit;
  double tolerance = 0;  // of the pointing game, in positions
  int64_t steps = 32;
  int64_t sanitySamples = 16;  // 0: --no-sanity
  int64_t seed = 0;
  bool json = false, verbose = false;
};

EvaluateOptions parseOptions(const ParsedArgs& args) {
  EvaluateOptions o;
  const std::optional<std::string> set = args.value("set");
  if (!set) throw UsageError("'evaluate' needs --set MANIFEST (the localisation set's manifest.txt)");
  o.setPath = *set;
  o.input = parseInputOptions(args);
  if (auto v = args.value("feature-layer")) o.gradcam.featureLayer = *v;
  if (auto v = args.value("reduction-layer")) o.gradcam.reductionLayer = *v;
  if (auto v = args.value("target")) {
    if (*v != "true" && *v != "predicted")
      throw UsageError("--target expects true (the sample's class) or predicted, got '" + *v + "'");
    o.predictedTarget = *v == "predicted";
  }
  if (auto v = args.value("limit")) o.limit = positiveInt("limit", *v);
  if (auto v = args.value("steps")) o.steps = positiveInt("steps", *v);
  if (auto v = args.value("tolerance")) {
    o.tolerance = numberOption("tolerance", *v);
    if (o.tolerance < 0) throw UsageError("--tolerance expects a number of positions, 0 or more, got '" + *v + "'");
  }
  if (auto v = args.value("sanity-samples")) o.sanitySamples = positiveInt("sanity-samples", *v);
  if (args.has("no-sanity")) {
    if (args.has("sanity-samples")) throw UsageError("--no-sanity and --sanity-samples contradict each other");
    o.sanitySamples = 0;
  }
  if (auto v = args.value("seed")) {
    const char* end = v->data() + v->size();
    auto [ptr, ec] = std::from_chars(v->data(), end, o.seed);
    if (ec != std::errc() || ptr != end || o.seed < 0)
      throw UsageError("--seed expects a non-negative integer, got '" + *v + "'");
  }
  o.json = args.has("json");
  o.verbose = args.has("verbose");
  return o;
}

// The model, imported once for each input size it needs (a model that leaves H and W open is
// imported for each input's size, as `dlcam explain` imports it), with the input shape its
// inputs are prepared for.
class Networks {
 public:
  Networks(const std::string& path, const ParsedArgs& args) : model_(readModel(path)), options_(importOptions(args)) {
    declared_ = shapeToPrepareFor(model_, options_);
    // A file that declares no shape was imported to learn the network's: keep that import.
    if (model_.net.initialized()) nets_.emplace(options_.inputShape, std::move(model_.net));
  }

  const std::vector<int64_t>& declared() const { return declared_; }
  const std::string& path() const { return model_.path; }
  double loadMs() const { return model_.loadMs; }

  // The network for a prepared input, and the shape it was imported for (its key).
  std::pair<Network*, std::vector<int64_t>> forInput(const PreparedInput& input) {
    onnx::ImportOptions options = options_;
    if (options.inputShape.empty()) options.inputShape = inputShapeFromInput(declared_, input);
    auto it = nets_.find(options.inputShape);
    if (it == nets_.end()) {
      importModel(model_, options);
      it = nets_.emplace(options.inputShape, std::move(model_.net)).first;
    }
    return {&it->second, it->first};
  }
  Network& at(const std::vector<int64_t>& key) { return nets_.at(key); }

 private:
  LoadedModel model_;
  onnx::ImportOptions options_;
  std::vector<int64_t> declared_;
  std::map<std::vector<int64_t>, Network> nets_;
};

// The positions of one observation of the network's input: h×w, h×w×d, or 1×t.
std::vector<int64_t> mapSizeOf(const Array& x) {
  const DimFormat& f = x.format();
  if (f.find('T') >= 0) return {1, x.size(f.find('T'))};
  std::vector<int64_t> size;
  for (int d : f.spatialDims()) size.push_back(x.size(d));
  return size;
}

// A count out of the samples, and its fraction.
struct Tally {
  int64_t count = 0, of = 0;
  double fraction() const { return of > 0 ? static_cast<double>(count) / static_cast<double>(of) : 0.0; }
};

struct SanityLayer {
  std::string layer;
  double rhoSum = 0;
  int64_t maps = 0, constantMaps = 0;
  double meanRho() const { return maps > 0 ? rhoSum / static_cast<double>(maps) : 0.0; }
};

struct Evaluation {
  int64_t samples = 0;
  std::string featureLayer, reductionLayer;
  std::optional<Tally> accuracy;  // none when the output holds no class scores
  Tally pointingCam, pointingRandom, pointingCentre;
  double deletionCam = 0, deletionRandom = 0, insertionCam = 0, insertionRandom = 0;  // means
  int64_t sanitySamples = 0;         // 0: the sanity check did not run
  std::vector<SanityLayer> sanity;  // top down
};

// A sample kept for the sanity check: its input, the class explained and its network's key.
struct SanityInput {
  std::vector<int64_t> net;
  Array x;
  int64_t classIndex = 0;
};

// Cascading randomisation of the kept samples, run per network (samples of different sizes
// may need different imports of the model, randomised alike from the same seed), the rhos
// pooled per layer.
std::vector<SanityLayer> sanityCheck(Networks& nets, const std::vector<SanityInput>& kept, const EvaluateOptions& o) {
  std::map<std::vector<int64_t>, std::pair<std::vector<Array>, std::vector<int64_t>>> groups;
  for (const SanityInput& s : kept) {
    groups[s.net].first.push_back(s.x);
    groups[s.net].second.push_back(s.classIndex);
  }
  std::vector<SanityLayer> layers;
  for (const auto& [key, group] : groups) {
    const RandomisationOptions options{.gradcam = o.gradcam, .seed = static_cast<uint64_t>(o.seed)};
    const std::vector<RandomisationStep> steps =
        cascadingRandomisation(nets.at(key), group.first, group.second, options);
    if (layers.empty())
      for (const RandomisationStep& s : steps) layers.push_back({.layer = s.layer});
    DLCAM_ASSERT(layers.size() == steps.size(), "every import of the model randomises the same layers");
    for (size_t k = 0; k < steps.size(); ++k) {
      for (double rho : steps[k].rho) layers[k].rhoSum += rho;
      layers[k].maps += static_cast<int64_t>(steps[k].rho.size());
      layers[k].constantMaps += steps[k].constantMaps;
    }
  }
  return layers;
}

Evaluation evaluate(Networks& nets, const std::vector<datasets::ManifestEntry>& entries, const EvaluateOptions& o,
                    std::ostream& err) {
  Evaluation ev;
  ev.samples = static_cast<int64_t>(entries.size());
  ev.pointingCam.of = ev.pointingRandom.of = ev.pointingCentre.of = ev.samples;
  Random mapStreams(static_cast<uint64_t>(o.seed));
  std::vector<SanityInput> kept;
  const Stopwatch clock;
  double lastReport = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const datasets::ManifestEntry& e = entries[i];
    const std::string where = detail::cat("manifest '", o.setPath, "', sample ", i + 1, " '", e.file, "'");
    Random rng = mapStreams.split();  // this sample's random map, whatever --limit is
    try {
      const PreparedInput input = prepareInput(e.path, nets.declared(), o.input);
      if (input.resized)
        fail("the image is ", input.storedShape[0], "×", input.storedShape[1], " but the model takes ",
             input.x.size(0), "×", input.x.size(1), "; evaluate needs inputs at the model's size (the regions are in ",
             "the file's pixels)");
      auto [net, key] = nets.forInput(input);
      checkFits(input, *net, o.input);
      const int b = input.x.format().find('B');
      if (input.x.size(b) != 1) fail("the file holds ", input.x.size(b), " observations; evaluate takes one per file");
      const std::vector<int64_t> size = mapSizeOf(input.x);
      checkRegion(e.region, size, "the region");

      const GradCamResult r =
          gradCAM(*net, input.x, o.predictedTarget ? CamTarget::predicted() : CamTarget(e.label), o.gradcam);
      const Tensor map = r.map.reshaped(Shape(size));
      const int64_t explained = r.classes[0];
      ev.featureLayer = r.featureLayer;
      ev.reductionLayer = r.reductionLayer;
      if (isClassification(r.output)) {
        const std::vector<double> scores = classScores(r.output)[0];
        if (e.label >= static_cast<int64_t>(scores.size()))
          fail("class ", e.label, " is not one of the model's: its output has ", scores.size(), " classes (0 to ",
               scores.size() - 1, ")");
        if (!ev.accuracy) ev.accuracy = Tally{0, ev.samples};
        ev.accuracy->count += static_cast<int64_t>(rankClasses(scores).front()) == e.label;
      }

      const Tensor random = randomMap(size, rng);
      ev.pointingCam.count += pointingHit(map, e.region, o.tolerance);
      ev.pointingRandom.count += pointingHit(random, e.region, o.tolerance);
      ev.pointingCentre.count += pointingHit(centreBiasMap(size), e.region, o.tolerance);

      const PerturbationOptions curveOptions{.steps = o.steps, .reductionLayer = r.reductionLayer};
      const PerturbationCurves cam = perturbationCurves(*net, input.x, map, explained, curveOptions);
      const PerturbationCurves baseline = perturbationCurves(*net, input.x, random, explained, curveOptions);
      ev.deletionCam += cam.deletionArea;
      ev.insertionCam += cam.insertionArea;
      ev.deletionRandom += baseline.deletionArea;
      ev.insertionRandom += baseline.insertionArea;
      if (static_cast<int64_t>(i) < o.sanitySamples) kept.push_back({key, input.x, explained});
    } catch (const Error& error) {
      fail(where, ": ", error.what());
    }
    if (o.verbose && (clock.ms() - lastReport > 2000 || i + 1 == entries.size())) {
      lastReport = clock.ms();
      err << "evaluate: " << i + 1 << "/" << entries.size() << " samples (" << millisText(lastReport) << ")\n";
    }
  }
  const double n = static_cast<double>(ev.samples);
  ev.deletionCam /= n;
  ev.insertionCam /= n;
  ev.deletionRandom /= n;
  ev.insertionRandom /= n;
  if (!kept.empty()) {
    const Stopwatch sanityClock;
    ev.sanitySamples = static_cast<int64_t>(kept.size());
    ev.sanity = sanityCheck(nets, kept, o);
    if (o.verbose) err << "evaluate: sanity check took " << millisText(sanityClock.ms()) << "\n";
  }
  return ev;
}

// "8/8 (100%)"
std::string tallyText(const Tally& t) {
  // A whole percentage as it is ("92%"), any other to one decimal ("28.7%").
  const double percent = 100 * t.fraction();
  char text[32];
  std::snprintf(text, sizeof text, percent == std::round(percent) ? "%.0f" : "%.1f", percent);
  return detail::cat(t.count, "/", t.of, " (", text, "%)");
}

void printText(std::ostream& out, const std::string& model, const Evaluation& ev, const EvaluateOptions& o) {
  out << "model:      " << model << "\n";
  out << "set:        " << o.setPath << ", " << ev.samples << " sample" << (ev.samples == 1 ? "" : "s") << "\n";
  out << "target:     " << (o.predictedTarget ? "the predicted class" : "each sample's true class") << "\n";
  out << "layers:     feature '" << ev.featureLayer << "', reduction '" << ev.reductionLayer << "'\n";
  out << "accuracy:   " << (ev.accuracy ? tallyText(*ev.accuracy) : "- (the output holds no class scores)") << "\n";
  out << "\npointing game: the map's peak inside the region";
  if (o.tolerance > 0)
    out << " or within " << scoreText(o.tolerance) << (o.tolerance == 1 ? " position" : " positions") << " of it";
  out << "\n";
  out << "  Grad-CAM  " << tallyText(ev.pointingCam) << "\n";
  out << "  random    " << tallyText(ev.pointingRandom) << "\n";
  out << "  centre    " << tallyText(ev.pointingCentre) << "\n";
  out << "\ndeletion and insertion: area under the class score, " << o.steps << " steps, mean over the samples\n";
  out << "            deletion    insertion\n";
  auto row = [&](const char* name, double deletion, double insertion) {
    std::string d = scoreText(deletion);
    d.resize(std::max<size_t>(d.size() + 1, 12), ' ');
    out << "  " << name << d << scoreText(insertion) << "\n";
  };
  row("Grad-CAM  ", ev.deletionCam, ev.insertionCam);
  row("random    ", ev.deletionRandom, ev.insertionRandom);
  if (ev.sanity.empty()) {
    out << "\nsanity check: " << (ev.sanitySamples == 0 ? "not run (--no-sanity)" : "no layer has weights to randomise")
        << "\n";
    return;
  }
  out << "\nsanity check: cascading randomisation from the top, first " << ev.sanitySamples << " sample"
      << (ev.sanitySamples == 1 ? "" : "s") << "\n";
  out << "  Spearman rho of the map with the original's (mean; near 1: the map ignores the weights)\n";
  for (size_t k = 0; k < ev.sanity.size(); ++k) {
    const SanityLayer& s = ev.sanity[k];
    std::string name = "'" + s.layer + "'";
    name.resize(std::max<size_t>(name.size() + 1, 28), ' ');
    out << "  " << k + 1 << "  " << name << scoreText(s.meanRho());
    if (s.constantMaps > 0)
      out << "  (" << s.constantMaps << " constant map" << (s.constantMaps == 1 ? "" : "s") << ": rho 0)";
    out << "\n";
  }
}

Json tallyJson(const Tally& t) {
  Json j = Json::object();
  j.set("count", t.count);
  j.set("fraction", t.fraction());
  return j;
}

Json pairJson(double cam, double random) {
  Json j = Json::object();
  j.set("gradcam", cam);
  j.set("random", random);
  return j;
}

Json jsonReport(const std::string& model, const Evaluation& ev, const EvaluateOptions& o) {
  Json j = Json::object();
  j.set("model", model);
  j.set("set", o.setPath);
  j.set("samples", ev.samples);
  j.set("target", o.predictedTarget ? "predicted" : "true");
  j.set("featureLayer", ev.featureLayer);
  j.set("reductionLayer", ev.reductionLayer);
  j.set("accuracy", ev.accuracy ? tallyJson(*ev.accuracy) : Json());
  Json pointing = Json::object();
  pointing.set("gradcam", tallyJson(ev.pointingCam));
  pointing.set("random", tallyJson(ev.pointingRandom));
  pointing.set("centre", tallyJson(ev.pointingCentre));
  pointing.set("tolerance", o.tolerance);
  j.set("pointing", std::move(pointing));
  j.set("steps", o.steps);
  j.set("deletion", pairJson(ev.deletionCam, ev.deletionRandom));
  j.set("insertion", pairJson(ev.insertionCam, ev.insertionRandom));
  if (ev.sanitySamples == 0) {
    j.set("sanity", Json());
  } else {
    Json sanity = Json::object();
    sanity.set("samples", ev.sanitySamples);
    sanity.set("seed", o.seed);
    Json layers = Json::array();
    for (const SanityLayer& s : ev.sanity) {
      Json l = Json::object();
      l.set("layer", s.layer);
      l.set("meanRho", s.meanRho());
      l.set("constantMaps", s.constantMaps);
      layers.push(std::move(l));
    }
    sanity.set("layers", std::move(layers));
    j.set("sanity", std::move(sanity));
  }
  return j;
}

int runEvaluate(const ParsedArgs& args, std::ostream& out, std::ostream& err) {
  const EvaluateOptions o = parseOptions(args);
  std::vector<datasets::ManifestEntry> entries = datasets::readManifest(o.setPath);
  if (o.limit && *o.limit < static_cast<int64_t>(entries.size())) entries.resize(static_cast<size_t>(*o.limit));
  Networks nets(args.positionals[0], args);
  const Evaluation ev = evaluate(nets, entries, o, err);
  if (o.verbose) err << "dlcam: loaded and imported '" << nets.path() << "' in " << millisText(nets.loadMs()) << "\n";
  if (o.json)
    out << jsonReport(nets.path(), ev, o).dump() << "\n";
  else
    printText(out, nets.path(), ev, o);
  return 0;
}

}  // namespace

Command evaluateCommand() {
  Command c;
  c.name = "evaluate";
  c.summary = "Measure Grad-CAM's explanations on a localisation set: pointing game, deletion, sanity";
  c.description =
      "Runs the model and Grad-CAM on every sample of a localisation set (--set: a manifest\n"
      "listing input files, their classes and the regions that decide them; docs/cli.md has\n"
      "the format) and reports how well the maps explain the model:\n"
      "\n"
      "  accuracy       the fraction of samples whose predicted class is their class\n"
      "  pointing game  the fraction of maps whose peak lies inside the region (or within\n"
      "                 --tolerance positions of it), for Grad-CAM and for two maps that know\n"
      "                 nothing of the network: random values and a Gaussian centred on the input\n"
      "  deletion       the class score as the input's positions (pixels, voxels, time steps)\n"
      "  insertion      are replaced by the input's mean, most important first; or put back\n"
      "                 into an input of means. Areas under the curves (--steps), mean over\n"
      "                 the samples, for Grad-CAM's map and the random one: a good map has a\n"
      "                 low deletion and a high insertion area\n"
      "  sanity check   the layers with weights are randomised one after the other from the\n"
      "                 output down, and each time the map is compared with the original by\n"
      "                 Spearman's rank correlation (first --sanity-samples samples)\n"
      "\n"
      "Each input is read and prepared as 'dlcam explain' prepares INPUT (the same input\n"
      "options) and must be at the model's input size. The map explains each sample's class\n"
      "from the manifest (--target predicted: the predicted class), with the default layers or\n"
      "--feature-layer and --reduction-layer, upsampled to the input's size. The random maps\n"
      "and the randomised weights come from --seed.";
  c.positionals = {{"MODEL", "The .onnx file"}};
  c.options = {
      {"set", 0, "MANIFEST", "The localisation set: its manifest.txt (required)"},
      {"target", 0, "WHICH", "true (default: the sample's class) or predicted"},
      {"limit", 0, "N", "Evaluate the first N samples only"},
      {"tolerance", 0, "PX", "Pointing game: a peak within PX positions of the region hits (default 0)"},
      {"steps", 0, "K", "Deletion and insertion curves of K steps, K + 1 points (default 32)"},
      {"sanity-samples", 0, "M", "Run the sanity check on the first M samples (default 16)"},
      {"no-sanity", 0, "", "Skip the sanity check"},
      {"seed", 0, "S", "Seed of the random maps and weights (default 0)"},
      {"feature-layer", 0, "LAYER", "The layer whose activations the map weighs (default: see 'dlcam info')"},
      {"reduction-layer", 0, "LAYER", "The layer whose class score is explained and measured (default: the output)"},
  };
  // explain's input options but --resize: the inputs must be at the model's size already.
  for (const OptionSpec& o : inputOptionSpecs())
    if (o.name != "resize") c.options.push_back(o);
  c.options.insert(c.options.end(), {
      {"json", 0, "", "Print the report as one JSON object"},
      inputShapeOption(),
  });
  c.run = runEvaluate;
  return c;
}

}  // namespace dlcam::cli
