// ONNX import: an ONNX model file → a dlcam Network (MATLAB's importNetworkFromONNX).
//
//   Network net = onnx::importNetwork("resnet18.onnx");
//   std::cout << net.summary();
//   Array scores = net.predict(X);   // X: 224×224×3×n "SSCB" (ONNX N×3×224×224 → see layout.h)
//
// Each ONNX node becomes a layer named after the node (nodes without a name get
// "<OpType>_<n>"); each node's output tensor names are aliases of that layer, so
// net.layer("/layer4/layer4.1/relu_1/Relu_output_0") and net.layer("/layer4/layer4.1/relu_1/Relu")
// are the same layer. Initializers become learnables (weights) or embedded constants.
// Shape sub-graphs (Shape, Gather, Concat, Cast… of constants) are computed at load.
//
// The model must have one input (besides initializers) and one output; its input becomes an
// input layer by rank: N×C image input (rank 4), volume (5), sequence N×C×L (3), features N×C (2).
// Symbolic dimensions (dim_param, e.g. a batch "N") are taken as 1 at load unless
// ImportOptions says otherwise; any batch size still runs.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/onnx/proto.h"
#include "layers/network.h"

namespace dlcam::onnx {

struct ImportOptions {
  // The input's ONNX shape, replacing the one in the file (needed when the file leaves
  // spatial or time dimensions symbolic). Empty: the file's, symbolic dims = 1.
  std::vector<int64_t> inputShape;
  // Graph inputs to bind to constants (by name). ONNX conformance tests pass weights as
  // extra graph inputs; binding them leaves one real input.
  std::map<std::string, TensorProto> constantInputs;
};

Network importNetwork(const std::string& path, const ImportOptions& options = {});
Network importNetwork(const Model& model, const ImportOptions& options = {});

// The op types the importer supports, sorted.
std::vector<std::string> supportedOps();

}  // namespace dlcam::onnx
