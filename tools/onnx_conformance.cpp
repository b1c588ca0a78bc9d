// dlcam_onnx_conformance: runs ONNX's backend node tests (model.onnx + test_data_set_0) through
// the whole import path (loadModel → importNetwork → predict) and compares with ONNX's outputs.
//
//   dlcam_onnx_conformance [--data DIR] [--expected FILE] [--filter SUBSTR] [-v]
//
// A test is skipped (with its reason) when dlcam cannot express it as a network: an op the
// importer does not support, several graph outputs computed by different nodes, a real input
// that is not a float32 tensor of rank 2 to 5, or training mode. Every other test runs: the
// first graph input is the network's input, every later one is bound as a constant from its
// input_K.pb, and output_0 is compared with numpy.testing.assert_allclose's rule at ONNX's
// backend tolerances (|got - want| <= atol + rtol·|want|, rtol 1e-3, atol 1e-7; NaN matches
// NaN), shapes exactly. A graph whose other outputs are secondary outputs of the node computing
// output 0 (LayerNormalization's Mean, Dropout's mask) is imported with output 0 only.
//
// Exit status: 0 when every failure is listed in --expected FILE (or no failure without it) and
// every listed test still fails; 1 otherwise; 2 for bad arguments; 77 when DIR is missing
// (ctest's skip code).
#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "io/onnx/importer.h"
#include "io/onnx/layout.h"
#include "io/onnx/proto.h"
#include "layers/network.h"

namespace fs = std::filesystem;
using namespace dlcam;
using namespace dlcam::onnx;

namespace {

constexpr double kRtol = 1e-3, kAtol = 1e-7;
constexpr int kSkipExitCode = 77;
constexpr const char* kRankSkip = "input rank not 2 to 5";
// Part of the importer's error for such an input.
constexpr const char* kRankError = "; dlcam takes inputs of rank 2 (N×C), 3 (N×C×L), 4 (N×C×H×W) or 5";

struct Options {
  std::string data = "/usr/share/libonnx-testdata/data/node";
  std::string expected;
  std::string filter;
  bool verbose = false;
};

enum class Outcome { Pass, Fail, Skip };

struct Result {
  Outcome outcome = Outcome::Pass;
  std::string reason;     // failure message or skip reason
  std::string category;   // skips: the reason without test-specific detail, for the breakdown
  std::string op;         // skips for an unsupported op: the op
  double tightestRtol = 0;  // passes: the smallest rtol (at atol 1e-7) under which it passes
  bool outputZeroOnly = false;  // the graph had secondary outputs, not compared
};

Result skip(std::string category, std::string detail = "", std::string op = "") {
  Result r;
  r.outcome = Outcome::Skip;
  r.reason = detail.empty() ? category : category + ": " + detail;
  r.category = std::move(category);
  r.op = std::move(op);
  return r;
}
Result failure(std::string reason) {
  Result r;
  r.outcome = Outcome::Fail;
  r.reason = std::move(reason);
  return r;
}

std::string dimsStr(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? " " : "") + std::to_string(dims[i]);
  return s + "]";
}

std::string number(double v) {
  std::ostringstream out;
  out.precision(7);
  out << v;
  return out.str();
}

// The graph inputs the test data feeds (initializers excluded), in order: input_K.pb is the
// K-th of them.
std::vector<const ValueInfo*> fedInputs(const Graph& g) {
  std::set<std::string> init;
  for (const TensorProto& t : g.initializers) init.insert(t.name);
  std::vector<const ValueInfo*> out;
  for (const ValueInfo& in : g.inputs)
    if (!init.count(in.name)) out.push_back(&in);
  return out;
}

// A boolean constant's value: an initializer or a bound input of that name; nullopt if neither.
std::optional<bool> constantFlag(const std::string& name, const Graph& g,
                                 const std::map<std::string, TensorProto>& bound) {
  auto truth = [](const TensorProto& t) -> std::optional<bool> {
    if (t.numel() != 1) return std::nullopt;
    return t.toDoubles()[0] != 0;
  };
  if (auto it = bound.find(name); it != bound.end()) return truth(it->second);
  for (const TensorProto& t : g.initializers)
    if (t.name == name) return truth(t);
  return std::nullopt;
}

// True when every graph output after the first is another output of the node computing the
// first (LayerNormalization's Mean and InvStdDev, Dropout's mask, MaxPool's Indices): the
// test then still checks that node's main result, and only output 0 is compared.
bool extraOutputsOfOneNode(const Graph& g) {
  for (const Node& n : g.nodes) {
    if (n.outputs.empty() || n.outputs[0] != g.outputs[0].name) continue;
    return std::all_of(g.outputs.begin() + 1, g.outputs.end(), [&](const ValueInfo& out) {
      return std::find(n.outputs.begin() + 1, n.outputs.end(), out.name) != n.outputs.end();
    });
  }
  return false;
}

// Why dlcam cannot express this graph as a network (before reading any data), or nullopt.
std::optional<Result> graphSkipReason(const Model& model) {
  static const std::vector<std::string> ops = supportedOps();
  const Graph& g = model.graph;
  for (const Node& n : g.nodes) {
    if (!n.domain.empty() && n.domain != "ai.onnx") return skip("op of another domain", n.domain + "." + n.opType);
    if (!std::binary_search(ops.begin(), ops.end(), n.opType)) return skip("unsupported op", n.opType, n.opType);
  }
  if (g.outputs.empty()) return skip("no graph output");
  for (const Node& n : g.nodes)
    if (n.opType == "BatchNormalization" && n.attrInt("training_mode", 0) != 0)
      return skip("training mode", "BatchNormalization training_mode=1");
  if (g.outputs.size() > 1 && !extraOutputsOfOneNode(g))
    return skip("several graph outputs", std::to_string(g.outputs.size()) + " outputs from different nodes");
  const std::vector<const ValueInfo*> fed = fedInputs(g);
  if (fed.empty()) return skip("no graph input");
  // Sequence and optional values have no tensor type; their .pb files are not TensorProtos.
  for (const ValueInfo* in : fed)
    if (in->elemType == DataType::Undefined) return skip("input not a tensor", "'" + in->name + "'");
  return std::nullopt;
}

// Why the test's data keeps it from running as a network, or nullopt.
std::optional<Result> inputSkipReason(const Model& model, const std::vector<TensorProto>& inputs,
                                      const std::map<std::string, TensorProto>& bound) {
  if (inputs.empty()) return skip("no input_0.pb");
  const TensorProto& x = inputs[0];
  if (x.dataType != DataType::Float) return skip("input not float32", dataTypeName(x.dataType));
  if (x.dims.size() < 2 || x.dims.size() > 5)
    return skip(kRankSkip, "rank " + std::to_string(x.dims.size()) + " " + dimsStr(x.dims));
  for (const Node& n : model.graph.nodes)
    if (n.opType == "Dropout" && n.inputs.size() > 2 && !n.inputs[2].empty() &&
        constantFlag(n.inputs[2], model.graph, bound).value_or(true))
      return skip("training mode", "Dropout training_mode input");
  return std::nullopt;
}

// Compares ONNX-order `got` (float) with the expected tensor: shape exactly, values with
// assert_allclose's rule. Fills the tightest rtol on success.
Result compare(const Array& gotOnnxOrder, const TensorProto& want) {
  const auto& rev = gotOnnxOrder.shape().dims();
  const std::vector<int64_t> gotDims(rev.rbegin(), rev.rend());
  if (gotDims != want.dims) return failure("output shape " + dimsStr(gotDims) + ", expected " + dimsStr(want.dims));
  const Tensor got = gotOnnxOrder.value().to(DType::Float64);
  const double* g = got.data<double>();
  const std::vector<double> w = want.toDoubles();
  double tightest = 0, maxAbs = 0;
  int64_t bad = 0, firstBad = -1, worst = -1;
  for (size_t i = 0; i < w.size(); ++i) {
    const double a = g[i], e = w[i];
    const bool same = a == e || (std::isnan(a) && std::isnan(e));
    // Infinite when only one side is NaN or infinite.
    const double err = same ? 0 : std::isnan(a) || std::isnan(e) ? INFINITY : std::abs(a - e);
    const bool ok = same || err <= kAtol + kRtol * std::abs(e);
    const double need = err <= kAtol ? 0 : e == 0 || std::isinf(err) ? INFINITY : (err - kAtol) / std::abs(e);
    tightest = std::max(tightest, need);
    if (err > maxAbs) {
      maxAbs = err;
      worst = static_cast<int64_t>(i);
    }
    if (!ok && bad++ == 0) firstBad = static_cast<int64_t>(i);
  }
  if (bad == 0) {
    Result r;
    r.tightestRtol = tightest;
    return r;
  }
  auto at = [&](int64_t i) {
    return "[" + std::to_string(i) + "] got " + number(g[i]) + " want " + number(w[static_cast<size_t>(i)]);
  };
  return failure(std::to_string(bad) + "/" + std::to_string(w.size()) + " values off, max abs error " +
                 number(maxAbs) + ", needs rtol " + number(tightest) + "; first " + at(firstBad) + "; worst " +
                 at(worst));
}

// Runs `step`; an exception is rethrown with the step's name in front, for the failure line.
template <typename F>
auto stage(const char* what, F&& step) {
  try {
    return step();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(what) + ": " + e.what());
  }
}

Result runTest(const fs::path& dir) {
  const fs::path data = dir / "test_data_set_0";
  if (!fs::exists(dir / "model.onnx") || !fs::exists(data / "output_0.pb"))
    return skip("no model or test data");
  try {
    Model model = stage("loadModel", [&] { return loadModel((dir / "model.onnx").string()); });
    if (std::optional<Result> s = graphSkipReason(model)) return *s;
    const bool outputZeroOnly = model.graph.outputs.size() > 1;
    model.graph.outputs.resize(1);
    const std::vector<const ValueInfo*> fed = fedInputs(model.graph);
    std::vector<TensorProto> inputs;
    std::map<std::string, TensorProto> bound;
    for (size_t k = 0; k < fed.size(); ++k) {
      const fs::path file = data / ("input_" + std::to_string(k) + ".pb");
      // A named graph input with no data file stays unbound; the importer then names it.
      if (!fs::exists(file)) break;
      inputs.push_back(stage("loadTensor", [&] { return loadTensor(file.string()); }));
      if (k > 0) bound[fed[k]->name] = inputs.back();
    }
    const std::optional<Result> skipped = inputSkipReason(model, inputs, bound);
    if (skipped && skipped->category != kRankSkip) return *skipped;

    ImportOptions options;
    options.constantInputs = bound;
    // The file's input shape is used as it is unless it leaves a dimension open.
    const ValueInfo& in = *fed[0];
    const bool open = !in.hasShape || std::any_of(in.dims.begin(), in.dims.end(),
                                                  [](const Dimension& d) { return d.value <= 0; });
    if (open) options.inputShape = inputs[0].dims;
    if (skipped) {
      // The importer must refuse an input of this rank (this error, or an earlier one).
      try {
        importNetwork(model, options);
      } catch (const Error& e) {
        Result r = *skipped;
        const std::string message = e.what();
        if (message.find(kRankError) == std::string::npos) r.reason += " (importer: " + message + ")";
        return r;
      }
      return failure("importNetwork accepted a rank-" + std::to_string(inputs[0].dims.size()) + " input");
    }
    const Network net = stage("importNetwork", [&] { return importNetwork(model, options); });

    const std::vector<float> values = inputs[0].toFloats();
    Tensor flat = Tensor::fromValues(Shape{static_cast<int64_t>(values.size())}, std::span<const float>(values));
    const Array x = fromOnnxOrder(onnxOrderArray(flat, inputs[0].dims));
    const Array y = stage("predict", [&] { return toOnnxOrder(net.predict(x)); });
    Result r = compare(y, stage("loadTensor", [&] { return loadTensor((data / "output_0.pb").string()); }));
    r.outputZeroOnly = outputZeroOnly;
    return r;
  } catch (const std::exception& e) {
    return failure(e.what());
  }
}

// "name reason…" lines; '#' starts a comment line.
std::map<std::string, std::string> readExpected(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the expected-failures file '" + path + "'");
  std::map<std::string, std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    const size_t end = line.find_first_of(" \t", start);
    const std::string name = line.substr(start, end - start);
    const size_t reason = end == std::string::npos ? std::string::npos : line.find_first_not_of(" \t", end);
    out[name] = reason == std::string::npos ? "(no reason given)" : line.substr(reason);
  }
  return out;
}

int usage(const char* argv0) {
  std::cerr << "usage: " << argv0 << " [--data DIR] [--expected FILE] [--filter SUBSTR] [-v]\n"
            << "  --data DIR       ONNX node tests (default /usr/share/libonnx-testdata/data/node)\n"
            << "  --expected FILE  tests expected to fail, one 'name reason' per line\n"
            << "  --filter SUBSTR  run only tests whose name contains SUBSTR\n"
            << "  -v               also list skipped tests and passes with their tightest rtol\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    try {
      if (a == "--data") opt.data = value();
      else if (a == "--expected") opt.expected = value();
      else if (a == "--filter") opt.filter = value();
      else if (a == "-v" || a == "--verbose") opt.verbose = true;
      else if (a == "-h" || a == "--help") return usage(argv[0]);
      else throw std::invalid_argument("unknown argument " + a);
    } catch (const std::invalid_argument& e) {
      std::cerr << e.what() << "\n";
      return usage(argv[0]);
    }
  }
  if (!fs::is_directory(opt.data)) {
    std::cerr << "ONNX node test data not found at " << opt.data
              << " (Debian: apt install libonnx-testdata); nothing run\n";
    return kSkipExitCode;
  }
  std::map<std::string, std::string> expected;
  try {
    if (!opt.expected.empty()) expected = readExpected(opt.expected);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }

  std::vector<fs::path> dirs;
  for (const fs::directory_entry& e : fs::directory_iterator(opt.data))
    if (e.is_directory() && e.path().filename().string().find(opt.filter) != std::string::npos)
      dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());

  int passed = 0, failed = 0, skipped = 0, passedOutputZeroOnly = 0;
  std::map<std::string, int> skipCategories, skipOps;
  std::map<std::string, Result> results;
  std::vector<std::string> unexpected, expectedFailures;
  for (const fs::path& dir : dirs) {
    const std::string name = dir.filename().string();
    Result r = runTest(dir);
    switch (r.outcome) {
      case Outcome::Pass:
        ++passed;
        if (r.outputZeroOnly) ++passedOutputZeroOnly;
        if (opt.verbose)
          std::cout << "pass  " << name << " (tightest rtol " << number(r.tightestRtol)
                    << (r.outputZeroOnly ? ", output 0 only" : "") << ")\n";
        break;
      case Outcome::Skip:
        ++skipped;
        ++skipCategories[r.category];
        if (!r.op.empty()) ++skipOps[r.op];
        if (opt.verbose) std::cout << "skip  " << name << ": " << r.reason << "\n";
        break;
      case Outcome::Fail:
        ++failed;
        if (expected.count(name)) {
          expectedFailures.push_back(name);
        } else {
          unexpected.push_back(name);
          std::cout << "FAIL  " << name << ": " << r.reason << "\n";
        }
        break;
    }
    std::cout.flush();
    results.emplace(name, std::move(r));
  }

  if (skipped > 0) {
    std::cout << "\nskipped, by reason:\n";
    std::vector<std::pair<int, std::string>> byCount;
    for (const auto& [category, n] : skipCategories) byCount.emplace_back(-n, category);
    std::sort(byCount.begin(), byCount.end());
    for (const auto& [n, category] : byCount) {
      std::cout << std::setw(6) << -n << "  " << category;
      if (category == "unsupported op") {
        std::string list;
        for (const auto& [op, k] : skipOps) list += (list.empty() ? "" : ", ") + op + " " + std::to_string(k);
        std::cout << " (" << skipOps.size() << " ops, each test counted under its first unsupported op: " << list
                  << ")";
      }
      std::cout << "\n";
    }
  }

  if (passedOutputZeroOnly > 0)
    std::cout << "\n" << passedOutputZeroOnly << " of the passes compared output 0 only (the graph's other outputs are "
              << "secondary outputs of the same node, which dlcam does not compute)\n";

  // A listed test must still fail: one that passes, is skipped or is gone makes the list stale.
  std::vector<std::string> stale;
  if (!opt.expected.empty()) {
    if (!expectedFailures.empty()) std::cout << "\nexpected failures (listed in " << opt.expected << "):\n";
    for (const std::string& name : expectedFailures)
      std::cout << "  xfail " << name << ": " << expected.at(name) << "\n    got: " << results.at(name).reason << "\n";
    for (const auto& [name, reason] : expected) {
      if (name.find(opt.filter) == std::string::npos) continue;
      auto it = results.find(name);
      if (it == results.end()) stale.push_back(name + ": listed but no such test");
      else if (it->second.outcome == Outcome::Pass) stale.push_back(name + ": listed but passes");
      else if (it->second.outcome == Outcome::Skip)
        stale.push_back(name + ": listed but skipped (" + it->second.reason + ")");
    }
    for (const std::string& s : stale) std::cout << "STALE " << s << "\n";
    std::cout << "\n" << expectedFailures.size() << " expected failures, " << unexpected.size()
              << " unexpected failures, " << stale.size() << " stale entries in " << opt.expected << "\n";
  }
  std::cout << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";
  return unexpected.empty() && stale.empty() ? 0 : 1;
}
