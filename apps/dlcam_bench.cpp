// dlcam-bench MODEL: times dlcam's predict and gradCAM on any ONNX model and prints one JSON
// object, so that dlcam can be compared with any peer that runs the same model on the same
// input (bench/torch_compare.py does it for PyTorch).
//
//   dlcam-bench resnet50.onnx --batch 8 --runs 10 --threads 2 --upsampling none
//
// The model is read and imported once, outside the timings. Each measured call (predict, then
// gradCAM) runs --warmup times untimed, then --runs times timed; the JSON object holds the
// median and the minimum in milliseconds and every timed run. Memory is the process's resident
// set: its peak over the whole process (getrusage's ru_maxrss, loading included), the resident
// set once the model is loaded (the parsed file released), and the peak during the runs alone
// (Linux: the high-water mark is reset after loading, /proc/self/clear_refs). Measure predict
// and gradCAM in separate processes (--measure) to know each one's peak.
//
// Nothing but the JSON object goes to stdout; errors and usage go to stderr (exit code 1 for
// an error such as a missing file, 2 for a usage error), --verbose adds each run's time there.
#include <malloc.h>
#include <omp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "apps/dlcam/cli.h"
#include "apps/dlcam/json.h"
#include "apps/dlcam/model_input.h"
#include "autodiff/device.h"
#include "autodiff/shape_ops.h"
#include "core/error.h"
#include "core/random.h"
#include "gradcam/gradcam.h"
#include "io/npy.h"
#include "io/onnx/layout.h"

namespace dlcam::cli {

namespace {

constexpr int64_t kDefaultRuns = 10;
constexpr int64_t kDefaultWarmup = 3;
constexpr uint64_t kDefaultSeed = 1;

struct BenchOptions {
  std::optional<int64_t> batch;      // default: the input file's N, or 1
  int64_t runs = kDefaultRuns, warmup = kDefaultWarmup;
  int threads = 0;                      // default: OpenMP's (OMP_NUM_THREADS or the cores)
  bool predict = true, gradcam = true;  // --measure
  std::optional<int64_t> classIndex;    // default: each observation's predicted class
  GradCamOptions gradcamOptions;
  std::optional<std::string> input, saveMap;
  uint64_t seed = kDefaultSeed;
  bool verbose = false;
};

int64_t nonNegativeInt(const std::string& option, const std::string& text) {
  if (text == "0") return 0;
  try {
    return positiveInt(option, text);
  } catch (const UsageError&) {
    throw UsageError("--" + option + " expects a non-negative integer, got '" + text + "'");
  }
}

BenchOptions parseOptions(const ParsedArgs& args) {
  BenchOptions o;
  if (auto v = args.value("batch")) o.batch = positiveInt("batch", *v);
  if (auto v = args.value("runs")) o.runs = positiveInt("runs", *v);
  if (auto v = args.value("warmup")) o.warmup = nonNegativeInt("warmup", *v);
  o.threads = omp_get_max_threads();
  if (auto v = args.value("threads")) o.threads = static_cast<int>(positiveInt("threads", *v));
  if (auto v = args.value("measure")) {
    o.predict = o.gradcam = false;
    for (const std::string& item : splitCommas(*v)) {
      if (item == "predict")
        o.predict = true;
      else if (item == "gradcam")
        o.gradcam = true;
      else
        throw UsageError("--measure expects predict, gradcam or both (predict,gradcam), got '" + *v + "'");
    }
  }
  if (auto v = args.value("class")) o.classIndex = nonNegativeInt("class", *v);
  if (auto v = args.value("feature-layer")) o.gradcamOptions.featureLayer = *v;
  if (auto v = args.value("upsampling"))
    o.gradcamOptions.upsampling = parseValue("upsampling", "bicubic, nearest or none", *v, parseUpsampling);
  o.input = args.value("input");
  o.saveMap = args.value("save-map");
  if (o.saveMap && !o.gradcam) throw UsageError("--save-map needs gradcam among --measure");
  if (auto v = args.value("seed")) o.seed = static_cast<uint64_t>(nonNegativeInt("seed", *v));
  if (o.input && args.has("seed")) throw UsageError("--seed draws a random input; --input gives one");
  o.verbose = args.has("verbose");
  return o;
}

// v rounded to 1/perUnit (milliseconds to the microsecond: 1000; MiB to the hundredth: 100), as
// the JSON reports them: the division by a whole number gives the double nearest the decimal.
double rounded(double v, double perUnit) { return std::round(v * perUnit) / perUnit; }

// The process's peak resident set so far (ru_maxrss: the high-water mark), in MiB.
double peakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

// The resident set now, in MiB (/proc/self/statm: pages); 0 where there is no /proc.
double currentRssMiB() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

// Resets the high-water mark of the resident set to the current resident set (Linux 4.0 and
// later), so that a later peak covers only what runs after this. False where it cannot.
bool resetPeakRss() {
  std::ofstream clearRefs("/proc/self/clear_refs");
  clearRefs << "5";
  clearRefs.flush();
  return static_cast<bool>(clearRefs);
}

// VmHWM from /proc/self/status (the high-water mark that resetPeakRss resets), in MiB.
std::optional<double> highWaterMarkMiB() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      double kib = 0;
      if (status >> kib) return kib / 1024.0;
      return std::nullopt;
    }
    status.ignore(4096, '\n');
  }
  return std::nullopt;
}

// `x` (one observation, B = 1) repeated `batch` times along B.
Array replicate(const Array& x, int64_t batch) {
  if (batch == 1) return x;
  const int b = x.format().find('B');
  DLCAM_ASSERT(b >= 0, "a network input has a batch dimension, got ", x.format().str());
  return concat(std::vector<Array>(static_cast<size_t>(batch), x), b);
}

// A random N(0, 1) input of the network's declared size with N = batch.
Array randomInput(const Network& net, int64_t batch, uint64_t seed, const std::string& modelPath) {
  std::vector<int64_t> shape = expectedInputShape(net);
  shape[0] = batch;
  if (std::find(shape.begin(), shape.end(), -1) != shape.end())
    fail("model '", modelPath, "' takes inputs of shape ", shapeText(expectedInputShape(net)),
         "; give the open sizes with --input-shape or an input with --input");
  Tensor values(Shape(std::vector<int64_t>(shape.rbegin(), shape.rend())));
  Random rng(seed);
  float* data = values.data<float>();
  for (int64_t i = 0; i < values.numel(); ++i) data[i] = static_cast<float>(rng.normal());
  return onnx::fromOnnxOrder(onnx::onnxOrderArray(std::move(values), shape));
}

struct Timings {
  std::vector<double> ms;  // the timed runs, in order

  Json json() const {
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    const size_t n = sorted.size();
    const double median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    Json j = Json::object();
    j.set("medianMs", rounded(median, 10000));  // half the sum of two microsecond values
    j.set("minMs", sorted.front());
    j.set("timesMs", Json::array(ms));
    return j;
  }
};

// args with --device cpu added: the benchmark's default.
ParsedArgs cpuArgs(const ParsedArgs& args) {
  ParsedArgs withCpu = args;
  withCpu.values["device"] = "cpu";
  withCpu.given.emplace_back("device", "cpu");
  return withCpu;
}

// Calls `run` o.warmup times, then o.runs times timed.
template <typename Run>
Timings measure(const char* what, const BenchOptions& o, std::ostream& err, Run run) {
  for (int64_t k = 0; k < o.warmup; ++k) run();
  Timings t;
  for (int64_t k = 0; k < o.runs; ++k) {
    const Stopwatch clock;
    run();
    t.ms.push_back(rounded(clock.ms(), 1000));
    if (o.verbose) err << "dlcam-bench: " << what << " run " << k + 1 << ": " << millisText(t.ms.back()) << "\n";
  }
  return t;
}

int runBench(const ParsedArgs& args, std::ostream& out, std::ostream& err) {
  BenchOptions o = parseOptions(args);
  const std::string& modelPath = args.positionals[0];
  if (o.saveMap) {
    std::vector<NamedFile> read = {{modelPath, "MODEL '" + modelPath + "'"}};
    if (o.input) read.push_back({*o.input, "--input '" + *o.input + "'"});
    checkOutputs({{*o.saveMap, "--save-map '" + *o.saveMap + "'"}}, read);
  }
  omp_set_num_threads(o.threads);
  Eigen::setNbThreads(o.threads);

  // Load (not timed): the model, and the input from --input or drawn at random.
  LoadedModel loaded;
  Array x;
  if (o.input) {
    ModelAndInput m = loadModelAndInput(modelPath, *o.input, args, parseInputOptions(args));
    loaded = std::move(m.model);
    x = m.input.x;
    const int64_t n = x.size(x.format().find('B'));
    if (o.batch && *o.batch != n) {
      if (n != 1)
        fail("--input '", *o.input, "' holds ", n, " observations, but --batch is ", *o.batch,
             "; give one observation to replicate, or --batch ", n);
      x = replicate(x, *o.batch);
    }
  } else {
    loaded = loadModel(modelPath, importOptions(args));
    x = randomInput(loaded.net, o.batch.value_or(1), o.seed, modelPath);
  }
  loaded.model = onnx::Model{};  // the network holds its own weights: release the parsed file
  malloc_trim(0);
  const double afterLoadMiB = currentRssMiB();
  // The reset lowers ru_maxrss too: the whole process's peak is the larger of the two.
  const double loadPeakMiB = peakRssMiB();
  const bool peakReset = resetPeakRss();
  if (o.verbose) err << "dlcam-bench: loaded '" << modelPath << "' in " << millisText(loaded.loadMs) << "\n";

  Json j = Json::object();
  j.set("model", modelPath);
  Json in = Json::object();
  in.set("source", o.input ? "file" : "random");
  in.set("file", o.input ? Json(*o.input) : Json());
  in.set("seed", o.input ? Json() : Json(static_cast<int64_t>(o.seed)));
  in.set("shape", Json::array(onnx::onnxShape(x.shape(), x.format())));
  j.set("input", std::move(in));
  j.set("batch", x.size(x.format().find('B')));
  j.set("threads", o.threads);
  j.set("warmup", o.warmup);
  j.set("runs", o.runs);
  j.set("loadMs", rounded(loaded.loadMs, 1000));

  // The device (--device, cpu by default: a CPU benchmark stays one on a machine with a GPU).
  // The network and the input are moved there before the timings; a GPU predict is timed
  // until the GPU has finished it.
  const Device device = placeNetwork(loaded.net, args.has("device") ? args : cpuArgs(args), err, o.verbose);
  x = toDevice(x, device);
  o.gradcamOptions.executionEnvironment = device == Device::GPU ? ExecutionEnvironment::Gpu : ExecutionEnvironment::Cpu;
  j.set("device", deviceName(device));
  j.set("gpu", device == Device::GPU ? Json(gpuDescription()) : Json());

  const Network& net = loaded.net;
  if (o.predict) {
    const Timings t = measure("predict", o, err, [&] {
      net.predict(x);
      synchronizeGpu();
    });
    j.set("predict", t.json());
  } else {
    j.set("predict", Json());
  }
  if (o.gradcam) {
    const CamTarget target = o.classIndex ? CamTarget(*o.classIndex) : CamTarget::predicted();
    GradCamResult result;
    const Timings t = measure("gradCAM", o, err, [&] { result = gradCAM(net, x, target, o.gradcamOptions); });
    Json g = t.json();
    g.set("featureLayer", result.featureLayer);
    g.set("featureSize", Json::array(result.featureActivation.size.dims()));
    g.set("featureFormat", result.featureActivation.format.str());
    g.set("reductionLayer", result.reductionLayer);
    g.set("upsampling", upsamplingName(o.gradcamOptions.upsampling));
    g.set("mapSize", Json::array(result.map.shape().dims()));
    g.set("classes", Json::array(result.classes));
    g.set("scores", Json::array(result.scores));
    j.set("gradcam", std::move(g));
    if (o.saveMap) writeNpy(*o.saveMap, result.map, {.indexing = NpyIndexing::Same});
  } else {
    j.set("gradcam", Json());
  }
  j.set("map", o.saveMap ? Json(*o.saveMap) : Json());

  const std::optional<double> runPeak = peakReset ? highWaterMarkMiB() : std::nullopt;
  Json memory = Json::object();
  memory.set("peakRssMiB", rounded(std::max(loadPeakMiB, peakRssMiB()), 100));
  memory.set("afterLoadRssMiB", rounded(afterLoadMiB, 100));
  memory.set("runPeakRssMiB", runPeak ? Json(rounded(*runPeak, 100)) : Json());
  if (device == Device::GPU) {
    const GpuMemoryStats gpu = gpuMemoryStats();
    memory.set("gpuPeakMiB", rounded(static_cast<double>(gpu.peakInUseBytes) / (1 << 20), 100));
    memory.set("gpuDeviceAllocations", gpu.deviceAllocations);
  }
  j.set("memory", std::move(memory));
  out << j.dump() << "\n";
  return 0;
}

Command benchCommand() {
  Command c;
  c.name = "dlcam-bench";
  c.description =
      "Times dlcam's predict and gradCAM on an ONNX model and prints one JSON object: the\n"
      "median and minimum milliseconds of each (after --warmup untimed runs, over --runs\n"
      "timed runs; loading the model is not timed), the Grad-CAM layers and classes, and the\n"
      "process's resident memory in MiB: memory.peakRssMiB over the whole process (loading\n"
      "included), memory.afterLoadRssMiB once the model is loaded, and memory.runPeakRssMiB,\n"
      "the peak during the runs alone (null where Linux's /proc/self/clear_refs is missing).\n"
      "Measure predict and gradCAM in separate processes (--measure) for each one's peak.\n"
      "\n"
      "The input is --input FILE.npy in the model's layout (N×C×H×W...; one observation is\n"
      "repeated to --batch) or, without it, --batch observations drawn from N(0, 1) with\n"
      "--seed. Grad-CAM explains --class for every observation, or each one's predicted class;\n"
      "--save-map writes the last map as float32 .npy with MATLAB's shape and indices\n"
      "(h×w×N×B, with --upsampling none the feature map's size).\n"
      "\n"
      "--threads sets OpenMP's and Eigen's thread count (default: OpenMP's, OMP_NUM_THREADS\n"
      "or the number of cores).";
  c.positionals = {{"MODEL", "The .onnx file"}};
  c.options = {
      {"batch", 'b', "B", "Observations per call (default: the input's N, or 1)"},
      {"runs", 'n', "N", "Timed runs of each call (default 10)"},
      {"warmup", 0, "W", "Untimed runs before them (default 3)"},
      {"threads", 't', "T", "OpenMP and Eigen threads"},
      {"measure", 0, "WHAT", "predict, gradcam, or both (default predict,gradcam)"},
      {"feature-layer", 0, "LAYER", "Grad-CAM's feature layer: a layer or ONNX value name (default: see 'dlcam info')"},
      {"class", 0, "C", "Explain class C (0-based) for every observation (default: the predicted class)"},
      {"upsampling", 0, "METHOD", "bicubic (default), nearest, or none (the feature map's size)"},
      {"input", 'i', "FILE.npy", "The input, in the model's layout (default: random)"},
      {"seed", 0, "S", "Seed of the random input (default 1)"},
      {"save-map", 0, "MAP.npy", "Write the last Grad-CAM map (float32, MATLAB's shape and indices)"},
      {"device", 0, "DEVICE", "cpu (default), gpu, or auto; on the GPU, memory.gpuPeakMiB is the pool's peak"},
      inputShapeOption(),
  };
  c.run = runBench;
  return c;
}

std::string usage(const Command& c) { return "usage: " + c.name + " MODEL [options]\n"; }

// commandHelp() with this program's own usage line (cli's names the `dlcam` command).
std::string help(const Command& c) {
  const std::string text = commandHelp(c);
  return usage(c) + text.substr(text.find('\n') + 1);
}

}  // namespace

}  // namespace dlcam::cli

int main(int argc, char** argv) {
  using namespace dlcam::cli;
  const Command command = benchCommand();
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    const ParsedArgs parsed = parseArgs(command, args);
    if (parsed.has("help")) {
      std::cout << help(command);
      return 0;
    }
    return command.run(parsed, std::cout, std::cerr);
  } catch (const UsageError& e) {
    std::cerr << "dlcam-bench: error: " << e.what() << "\n"
              << usage(command) << "Run 'dlcam-bench --help' for its options.\n";
    return 2;
  } catch (const dlcam::Error& e) {
    std::cerr << "dlcam-bench: error: " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "dlcam-bench: error: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "dlcam-bench: internal error: " << e.what() << "\n";
    return 1;
  }
}
