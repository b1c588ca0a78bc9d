// docs/errors.md, checked word for word: every row of its tables is a bad input tried here,
// and the text in the row's last column is exactly what dlcam says about it.
//
// Each scenario below runs in a scratch directory (the current directory during the call)
// holding m.onnx (examples/shapes: N×3×64×64 images → 4 classes), l.txt (its labels) and
// x.png (a 64×64 RGB sample), and makes whatever bad file it needs there. Scenarios through
// the command line also check its promise: a failed run exits with 1 (error) or 2 (usage
// error), prints exactly one line on stderr and leaves the directory as it was (no partial
// output). A `{…}` in the documented text stands for text that depends on the machine (the
// reason there is no GPU, the bytes in use).
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "apps/dlcam/cli.h"
#include "core/device.h"
#include "core/limits.h"
#include "gradcam/gradcam.h"
#include "io/image.h"
#include "io/npy.h"
#include "io/onnx/importer.h"
#include "io/onnx/proto.h"
#include "tests/support/paths.h"
#include "tests/support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using namespace dlcam;
using test::readText;
using test::writeText;

// ---- The scratch directory and the two ways of running a scenario ----------------------------

class Scratch {
 public:
  Scratch() : previous_(fs::current_path()) {
    const fs::path shapes = test::sourceDir() / "examples" / "shapes";
    fs::copy_file(shapes / "model.onnx", dir_.path / "m.onnx");
    fs::copy_file(shapes / "labels.txt", dir_.path / "l.txt");
    fs::copy_file(shapes / "samples" / "shapes_0000.png", dir_.path / "x.png");
    fs::current_path(dir_.path);
  }
  ~Scratch() { fs::current_path(previous_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  std::set<std::string> entries() const { return dir_.entries(); }

 private:
  test::TempDir dir_{"errors_doc"};
  fs::path previous_;
};

struct CliRun {
  int code = -1;
  std::string out, err;
};

CliRun runCli(std::vector<std::string> args) {
  std::ostringstream out, err;
  CliRun r;
  r.code = runDlcam(std::move(args), out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// `dlcam ARGS` must fail, keeping the command line's promise; returns its one line.
std::string cliError(const Scratch& scratch, std::vector<std::string> args) {
  const std::set<std::string> before = scratch.entries();
  const CliRun r = runCli(args);
  CHECK((r.code == 1 || r.code == 2));
  CHECK(r.err.starts_with("dlcam: error: "));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.err.ends_with("\n"));
  CHECK(r.out.empty());
  CHECK(scratch.entries() == before);  // nothing written, no temporary file left
  return r.err.substr(0, r.err.size() - 1);
}

// `dlcam ARGS` must succeed; returns the first line of its report that starts with `prefix`
// (leading spaces aside).
std::string cliReportLine(std::vector<std::string> args, const std::string& prefix) {
  const CliRun r = runCli(args);
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    line.erase(0, line.find_first_not_of(' '));  // continuation lines are indented
    if (line.starts_with(prefix)) return line;
  }
  FAIL("no report line starts with '", prefix, "'; stdout:\n", r.out);
  return {};
}

// A library call must throw dlcam::Error; returns its message.
std::string libraryError(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("no dlcam::Error");
  return {};
}

// ---- Files the scenarios make ----------------------------------------------------------------

std::string bytesOfFile(const std::string& path) { return readText(path); }

onnx::ValueInfo floatInfo(std::string name, std::vector<int64_t> dims) {
  onnx::ValueInfo v{std::move(name), onnx::DataType::Float, true, {}};
  for (int64_t d : dims) v.dims.push_back({d, ""});
  return v;
}

onnx::Node node(std::string name, std::string op, std::vector<std::string> in, std::vector<std::string> out) {
  onnx::Node n;
  n.name = std::move(name);
  n.opType = std::move(op);
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

// x (1×3×8×8) → Relu → GlobalAveragePool → Flatten → y (1×3): a valid model to break.
onnx::Model smallModel() {
  onnx::Model m;
  m.irVersion = 8;
  m.producerName = "dlcam-test";
  m.opsets = {{"", 17}};
  m.graph.name = "small";
  m.graph.nodes = {node("relu", "Relu", {"x"}, {"r"}), node("gap", "GlobalAveragePool", {"r"}, {"g"}),
                   node("flatten", "Flatten", {"g"}, {"y"})};
  m.graph.inputs = {floatInfo("x", {1, 3, 8, 8})};
  m.graph.outputs = {floatInfo("y", {1, 3})};
  return m;
}

void save(const onnx::Model& m, const std::string& path) { onnx::saveModel(m, path); }

// A .npy file of float32 zeros in C order with the given shape, one value replaced.
void writeArray(const std::string& path, std::vector<int64_t> shape, int64_t at = -1, float value = 0) {
  std::vector<int64_t> dims(shape.rbegin(), shape.rend());  // readNpy's Reversed convention
  Tensor t = Tensor::zeros(Shape(dims));
  if (at >= 0) t.data<float>()[at] = value;
  writeNpy(path, t);
}

// A PNG that is nothing but its signature and an IHDR chunk declaring an RGB image of
// height × width (CRC unchecked by stb): the size is all the decoder learns before it allocates.
std::string pngHeader(uint32_t height, uint32_t width) {
  auto be32 = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                       static_cast<char>(v)};
  };
  std::string png = "\x89PNG\r\n\x1a\n";
  png += be32(13) + "IHDR" + be32(width) + be32(height) + std::string("\x08\x02\x00\x00\x00", 5) + be32(0);
  return png;
}

Network shapesNetwork() { return onnx::importNetwork("m.onnx"); }

Array shapesInput() {
  const Image image = readImage("x.png", 3);
  const Tensor hwc = imageToTensor(image);
  return Array(hwc, "SSC");
}

// ---- The scenarios, by the id of their row in docs/errors.md -------------------------------

using Scenario = std::function<std::string(Scratch&)>;

std::map<std::string, Scenario> scenarios() {
  std::map<std::string, Scenario> s;
  auto cli = [](std::vector<std::string> args) { return [args](Scratch& d) { return cliError(d, args); }; };

  // Model files.
  s["model-missing"] = cli({"explain", "no.onnx", "x.png"});
  s["model-empty"] = [](Scratch& d) {
    writeText("e.onnx", "");
    return cliError(d, {"explain", "e.onnx", "x.png"});
  };
  s["model-truncated"] = [](Scratch& d) {
    writeText("t.onnx", bytesOfFile("m.onnx").substr(0, 1000));
    return cliError(d, {"explain", "t.onnx", "x.png"});
  };
  s["model-random"] = [](Scratch& d) {
    std::mt19937 random(1);
    std::string bytes(256, '\0');
    for (char& c : bytes) c = static_cast<char>(random() & 0xFF);
    writeText("r.onnx", bytes);
    return cliError(d, {"explain", "r.onnx", "x.png"});
  };
  s["model-not-onnx"] = cli({"explain", "x.png", "x.png"});
  s["model-unsupported-op"] = [](Scratch& d) {
    onnx::Model m = smallModel();
    m.graph.nodes[0].opType = "Hardmax";
    save(m, "u.onnx");
    return cliError(d, {"explain", "u.onnx", "x.png"});
  };
  s["model-cycle"] = [](Scratch& d) {
    onnx::Model m = smallModel();
    m.graph.nodes[0].inputs = {"y"};  // relu reads flatten's output: relu → gap → flatten → relu
    m.graph.nodes.push_back(node("other", "Relu", {"x"}, {"unused"}));
    save(m, "c.onnx");
    return cliError(d, {"explain", "c.onnx", "x.png"});
  };
  s["model-dangling"] = [](Scratch& d) {
    onnx::Model m = smallModel();
    m.graph.nodes[1].inputs = {"nowhere"};
    save(m, "d.onnx");
    return cliError(d, {"explain", "d.onnx", "x.png"});
  };
  s["model-tensor-size"] = [](Scratch& d) {
    // An initializer whose data holds fewer values than its dims say (dlcam's own writer
    // refuses to make one; tests/io/make_onnx_proto_fixtures.py made this).
    fs::copy_file(test::fixturesDir() / "onnx_proto" / "size_mismatch.onnx", "s.onnx");
    return cliError(d, {"explain", "s.onnx", "x.png"});
  };
  s["model-weight-shape"] = [](Scratch& d) {
    onnx::Model m = smallModel();
    const std::vector<float> w(3 * 4 * 3 * 3, 0.1f);  // filters for 4 input channels; x has 3
    m.graph.initializers = {onnx::makeTensor("w", {3, 4, 3, 3}, w)};
    m.graph.nodes[0] = node("conv", "Conv", {"x", "w"}, {"r"});
    save(m, "w.onnx");
    return cliError(d, {"explain", "w.onnx", "x.png"});
  };
  s["model-two-inputs"] = [](Scratch& d) {
    onnx::Model m = smallModel();
    m.graph.inputs.push_back(floatInfo("x2", {1, 3, 8, 8}));
    m.graph.nodes.push_back(node("relu2", "Relu", {"x2"}, {"y2"}));
    m.graph.outputs.push_back(floatInfo("y2", {1, 3, 8, 8}));
    save(m, "i.onnx");
    return cliError(d, {"explain", "i.onnx", "x.png"});
  };
  s["model-two-outputs"] = [](Scratch& d) {
    onnx::Model m = smallModel();
    m.graph.outputs.push_back(floatInfo("g", {1, 3, 1, 1}));
    save(m, "o.onnx");
    return cliError(d, {"explain", "o.onnx", "x.png"});
  };
  s["model-too-many-nodes"] = [](Scratch& d) {
    onnx::Model m = smallModel();
    std::vector<onnx::Node> nodes;
    std::string previous = "x";
    for (int k = 0; k < 100'000; ++k) {
      nodes.push_back(node("relu" + std::to_string(k), "Relu", {previous}, {"r" + std::to_string(k)}));
      previous = nodes.back().outputs[0];
    }
    nodes.push_back(node("gap", "GlobalAveragePool", {previous}, {"g"}));
    nodes.push_back(m.graph.nodes[2]);
    m.graph.nodes = std::move(nodes);
    save(m, "deep.onnx");
    return cliError(d, {"explain", "deep.onnx", "x.png"});
  };
  s["model-huge-input"] = [](Scratch& d) {
    onnx::Model m = smallModel();
    m.graph.inputs = {floatInfo("x", {1, 3, int64_t{1} << 40, int64_t{1} << 40})};
    save(m, "h.onnx");
    return cliError(d, {"explain", "h.onnx", "x.png"});
  };

  // Inputs.
  s["input-missing"] = cli({"explain", "m.onnx", "no.png"});
  s["image-empty"] = [](Scratch& d) {
    writeText("e.png", "");
    return cliError(d, {"explain", "m.onnx", "e.png"});
  };
  s["image-truncated"] = [](Scratch& d) {
    writeText("t.png", bytesOfFile("x.png").substr(0, 100));
    return cliError(d, {"explain", "m.onnx", "t.png"});
  };
  s["image-not-image"] = cli({"explain", "m.onnx", "l.txt"});
  s["image-gif"] = [](Scratch& d) {
    writeText("a.gif", std::string("GIF89a\x01\x00\x01\x00\x00\x00\x00", 13));
    return cliError(d, {"explain", "m.onnx", "a.gif"});
  };
  s["image-huge-header"] = [](Scratch& d) {
    writeText("big.png", pngHeader(10000, 10000));
    const ScopedMemoryCap cap(int64_t{64} << 20);
    return cliError(d, {"explain", "m.onnx", "big.png"});
  };
  s["image-gray"] = [](Scratch&) {
    const Image rgb = readImage("x.png", 1);
    writePng("gray.png", rgb);
    return cliReportLine({"explain", "m.onnx", "gray.png"}, "input:");
  };
  s["image-16-bit"] = [](Scratch&) {
    fs::copy_file(test::fixturesDir() / "images" / "gray16.png", "g16.png");
    return cliReportLine({"explain", "m.onnx", "g16.png"}, "input:");
  };
  s["image-size"] = [](Scratch&) {
    Image small(32, 48, 3);
    writePng("small.png", small);
    return cliReportLine({"explain", "m.onnx", "small.png"}, "resized");
  };
  s["npy-truncated"] = [](Scratch& d) {
    writeArray("full.npy", {1, 3, 64, 64});
    writeText("t.npy", bytesOfFile("full.npy").substr(0, 1000));
    fs::remove("full.npy");
    return cliError(d, {"explain", "m.onnx", "t.npy"});
  };
  s["npy-huge-shape"] = [](Scratch& d) {
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000, 1000000), }";
    header.resize(117, ' ');
    header += '\n';
    writeText("h.npy", std::string("\x93NUMPY\x01\x00\x76\x00", 10) + header);
    return cliError(d, {"explain", "m.onnx", "h.npy"});
  };
  s["npy-channels"] = [](Scratch& d) {
    writeArray("c4.npy", {1, 4, 64, 64});
    return cliError(d, {"explain", "m.onnx", "c4.npy"});
  };
  s["npy-size"] = [](Scratch& d) {
    writeArray("s.npy", {1, 3, 32, 32});
    return cliError(d, {"explain", "m.onnx", "s.npy"});
  };
  s["npy-nan"] = [](Scratch& d) {
    writeArray("nan.npy", {1, 3, 64, 64}, 2 * 64 * 64 + 5 * 64 + 7, NAN);
    return cliError(d, {"explain", "m.onnx", "nan.npy"});
  };
  s["npy-inf"] = [](Scratch& d) {
    writeArray("inf.npy", {1, 3, 64, 64}, 64 + 1, -INFINITY);
    return cliError(d, {"predict", "m.onnx", "inf.npy"});
  };
  s["nan-library"] = [](Scratch&) {
    const Network net = shapesNetwork();
    Tensor x = shapesInput().value().clone();
    x.data<float>()[64 * 64 + 2 * 64 + 9] = NAN;
    return libraryError([&] { gradCAM(net, Array(x, "SSC"), 0, {.executionEnvironment = ExecutionEnvironment::Cpu}); });
  };
  s["memory-cap"] = [](Scratch& d) {
    // 512 KiB more than the tensors alive now (this process's other tests may hold some):
    // enough for the model's weights, not for its activations.
    // On the CPU everywhere: a GPU machine's auto device would count GPU tensors instead.
    const ScopedMemoryCap cap(tensorBytesInUse(Device::CPU) + (int64_t{512} << 10));
    return cliError(d, {"explain", "m.onnx", "x.png", "--device", "cpu"});
  };

  // What is explained.
  s["class-negative"] = cli({"explain", "m.onnx", "x.png", "--class", "-1"});
  s["class-negative-library"] = [](Scratch&) {
    const Network net = shapesNetwork();
    return libraryError([&] { gradCAM(net, shapesInput(), -1, {.executionEnvironment = ExecutionEnvironment::Cpu}); });
  };
  s["class-too-large"] = cli({"explain", "m.onnx", "x.png", "--class", "4"});
  s["label-unknown"] = cli({"explain", "m.onnx", "x.png", "--labels", "l.txt", "--label", "hexagon"});
  s["label-without-labels"] = cli({"explain", "m.onnx", "x.png", "--label", "circle"});
  s["labels-count"] = [](Scratch& d) {
    writeText("three.txt", "circle\nsquare\ntriangle\n");
    return cliError(d, {"explain", "m.onnx", "x.png", "--labels", "three.txt"});
  };
  s["layer-unknown"] = cli({"explain", "m.onnx", "x.png", "--feature-layer", "relu_9"});
  s["feature-after-reduction"] = cli({"explain", "m.onnx", "x.png", "--feature-layer", "fc", "--reduction-layer", "relu_4"});
  s["feature-singleton"] = cli({"explain", "m.onnx", "x.png", "--feature-layer", "gap"});
  s["feature-format"] = cli({"explain", "m.onnx", "x.png", "--feature-layer", "fc"});
  s["reduction-not-scalar"] = [](Scratch&) {
    const Network net = shapesNetwork();
    const CamTarget everything([](const Array& scores) { return scores; });
    return libraryError([&] { gradCAM(net, shapesInput(), everything, {.executionEnvironment = ExecutionEnvironment::Cpu}); });
  };

  // Outputs.
  s["out-no-directory"] = cli({"explain", "m.onnx", "x.png", "--out", "nodir/o.png"});
  s["out-not-a-directory"] = cli({"explain", "m.onnx", "x.png", "--save-map", "x.png/map.npy"});
  s["out-is-input"] = cli({"explain", "m.onnx", "x.png", "--out", "./x.png"});

  // Devices.
  s["device-gpu"] = cli({"explain", "m.onnx", "x.png", "--device", "gpu"});

  // The command line itself.
  s["cli-unknown-command"] = cli({"explian", "m.onnx", "x.png"});
  s["cli-unknown-option"] = cli({"explain", "m.onnx", "x.png", "--clas", "3"});
  s["cli-missing-argument"] = cli({"explain", "m.onnx"});
  return s;
}

// ---- docs/errors.md ----------------------------------------------------------------------------

struct Row {
  std::string id, text;
  int line = 0;
};

// Table rows "| `id` | … | `text` |": the id is the first cell, the text the last cell's code span.
std::vector<Row> documentedRows() {
  std::istringstream doc(readText((test::sourceDir() / "docs" / "errors.md").string()));
  std::vector<Row> rows;
  int number = 0;
  for (std::string line; std::getline(doc, line);) {
    ++number;
    if (!line.starts_with("| `")) continue;
    Row row;
    row.line = number;
    const size_t idEnd = line.find('`', 3);
    row.id = line.substr(3, idEnd - 3);
    const size_t lastCell = line.rfind(" | ");
    const size_t open = line.find('`', lastCell), close = line.rfind('`');
    REQUIRE_MESSAGE(open < close, "docs/errors.md:", number, ": the last cell has no `text`");
    row.text = line.substr(open + 1, close - open - 1);
    for (size_t at; (at = row.text.find("\\|")) != std::string::npos;) row.text.replace(at, 2, "|");
    rows.push_back(row);
  }
  return rows;
}

// `text` with each {…} standing for any text.
bool matches(const std::string& pattern, const std::string& text) {
  std::vector<std::string> parts;
  size_t from = 0;
  for (size_t open; (open = pattern.find('{', from)) != std::string::npos;) {
    const size_t close = pattern.find('}', open);
    if (close == std::string::npos) break;
    parts.push_back(pattern.substr(from, open - from));
    from = close + 1;
  }
  parts.push_back(pattern.substr(from));
  if (parts.size() == 1) return pattern == text;
  if (!text.starts_with(parts.front()) || !text.ends_with(parts.back())) return false;
  size_t at = parts.front().size();
  for (size_t k = 1; k + 1 < parts.size(); ++k) {
    at = text.find(parts[k], at);
    if (at == std::string::npos) return false;
    at += parts[k].size();
  }
  return at <= text.size() - parts.back().size();
}

}  // namespace

TEST_CASE("docs/errors.md: each bad input gets exactly the message the table gives") {
  const std::map<std::string, Scenario> all = scenarios();
  // DLCAM_PRINT_ERRORS=1: print what dlcam says for every scenario (id, tab, text), to write
  // the table's last column from.
  if (std::getenv("DLCAM_PRINT_ERRORS")) {
    for (const auto& [id, scenario] : all) {
      Scratch scratch;
      std::cout << id << "\t" << scenario(scratch) << "\n";
    }
  }
  const std::vector<Row> rows = documentedRows();
  std::set<std::string> documented;
  for (const Row& row : rows) {
    CAPTURE(row.line);
    CAPTURE(row.id);
    CHECK_MESSAGE(documented.insert(row.id).second, "the row id is used twice");
    const auto scenario = all.find(row.id);
    if (scenario == all.end()) {
      FAIL_CHECK("no scenario in tests/docs/test_errors_doc.cpp for this row");
      continue;
    }
    if (row.id == "device-gpu" && gpuAvailable()) continue;  // then there is no error to see
    Scratch scratch;
    const std::string said = scenario->second(scratch);
    CHECK_MESSAGE(matches(row.text, said), "docs/errors.md:", row.line, " says\n  ", row.text, "\ndlcam says\n  ", said);
  }
  for (const auto& [id, scenario] : all) CHECK_MESSAGE(documented.count(id), "scenario '", id, "' has no row in docs/errors.md");
}

TEST_CASE("docs/errors.md: a {…} in a message stands for any text, and nothing else does") {
  CHECK(matches("a {reason} b", "a no GPU b"));
  CHECK(matches("a {x}", "a "));
  CHECK_FALSE(matches("a {reason} b", "a no GPU c"));
  CHECK_FALSE(matches("exact", "exact!"));
  CHECK(matches("{a}{b}", "anything"));
}
