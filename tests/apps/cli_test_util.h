// What the tests of the `dlcam` command share: running it in-process, temporary directories,
// the committed small nets and one-node ONNX models written on the fly.
#pragma once

#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "apps/dlcam/cli.h"
#include "io/onnx/proto.h"
#include "tests/support/onnx_nets.h"
#include "tests/support/temp_dir.h"

namespace dlcam::test::cli {

namespace fs = std::filesystem;

inline fs::path netDir(const std::string& net) { return smallNetsDir() / net; }
inline std::string modelPath(const std::string& net) { return (netDir(net) / "model.onnx").string(); }
inline std::string inputPath(const std::string& net) { return (netDir(net) / "input.npy").string(); }

struct Result {
  int code = -1;
  std::string out, err;
};

// runDlcam with string streams.
inline Result run(std::vector<std::string> args) {
  std::ostringstream out, err;
  Result r;
  r.code = runDlcam(std::move(args), out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

using test::TempDir;

// An ONNX model of a chain of nodes without weights: x → ops[0] → ops[1] → … → y. x has the
// dims given (symbolic ones by name); y's are given too.
inline std::string writeChainModel(const TempDir& dir, const std::string& name, const std::vector<std::string>& ops,
                                   const std::vector<onnx::Dimension>& inputDims,
                                   const std::vector<onnx::Dimension>& outputDims) {
  onnx::Model m;
  m.irVersion = 8;
  m.producerName = "dlcam-test";
  m.opsets = {{"", 13}};
  m.graph.name = name + "_graph";
  std::string previous = "x";
  for (size_t k = 0; k < ops.size(); ++k) {
    onnx::Node node;
    node.name = "node" + std::to_string(k);
    node.opType = ops[k];
    node.inputs = {previous};
    previous = k + 1 == ops.size() ? "y" : "t" + std::to_string(k);
    node.outputs = {previous};
    m.graph.nodes.push_back(node);
  }
  m.graph.inputs = {onnx::ValueInfo{"x", onnx::DataType::Float, true, inputDims}};
  m.graph.outputs = {onnx::ValueInfo{"y", onnx::DataType::Float, true, outputDims}};
  const std::string path = dir.file(name + ".onnx");
  onnx::saveModel(m, path);
  return path;
}

// A one-node ONNX model: y = Relu(x), x of ONNX shape 1×2×3×3 (an output with no classes), or
// of the dims given (symbolic ones by name).
inline std::string writeReluModel(const TempDir& dir,
                                  const std::vector<onnx::Dimension>& dims = {{1, ""}, {2, ""}, {3, ""}, {3, ""}}) {
  return writeChainModel(dir, "relu", {"Relu"}, dims, dims);
}

}  // namespace dlcam::test::cli
