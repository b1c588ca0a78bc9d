// ONNX import: an ONNX model file → a dlcam Network (MATLAB's importNetworkFromONNX).
//
//   Network net = onnx::importNetwork("resnet18.onnx");
//   std::cout << net.summary();
//   Array scores = net.predict(X);   // X: 224×224×3×n "SSCB" (ONNX N×3×224×224 → see layout.h)
//
// Each ONNX node becomes a layer named after the node (nodes without a name get
// "<OpType>_<n>"; a node name that is also a tensor computed by another node gets "_2", as
// dlcam gives layers and tensors one namespace); each node's output tensor names are aliases
// of that layer, so
// net.layer("/layer4/layer4.1/relu_1/Relu_output_0") and net.layer("/layer4/layer4.1/relu_1/Relu")
// are the same layer. Initializers become learnables (weights) or embedded constants.
// Shape sub-graphs (Shape, Gather, Concat, Cast… of constants) are computed at load.
//
// The model must have one input (besides initializers) and one output; its input becomes an
// input layer by rank: image N×C×H×W (rank 4), volume N×C×D×H×W (5), sequence N×C×L (3),
// features N×C (2).
//
// Open input dimensions (symbolic, dim_param such as "N", or unknown), when
// ImportOptions::inputShape is empty:
//   - dim 0, the batch N: taken as 1 at load; any batch size runs.
//   - dim 2 of a rank-3 input, the length L: the sequence input takes any length (the static
//     shapes hold 1 there; ops whose result depends on the length at load, such as Conv with
//     auto_pad SAME_LOWER and a stride > 1, are then refused).
//   - any other (C, H, W, D…): an error naming the input and the dimension; give the size
//     with ImportOptions::inputShape (dlcam --input-shape).
// A dim_value of 0 counts as open (exporters write it for "any"); a negative one is an error. ImportOptions::inputShape must have the file's rank and
// agree with every dimension the file fixes; it fixes every dimension (a sequence length
// given there is fixed).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/onnx/proto.h"
#include "layers/network.h"

namespace dlcam::onnx {

struct ImportOptions {
  // The input's ONNX shape (N, C, spatial…), filling in the dimensions the file leaves open
  // (needed for open C, H, W, D; see above). Empty: the file's shape, by the rules above.
  std::vector<int64_t> inputShape;
  // Graph inputs to bind to constants (by name). ONNX conformance tests pass weights as
  // extra graph inputs; binding them leaves one real input.
  std::map<std::string, TensorProto> constantInputs;
  // The most nodes a graph may have. The largest vision networks have a few thousand; a graph
  // of more is far more likely corrupt or hostile than real. Import, inference and gradients
  // walk the graph without recursion, so a deep graph under this limit cannot overflow the
  // stack.
  int64_t maxNodes = 100'000;
};

Network importNetwork(const std::string& path, const ImportOptions& options = {});
Network importNetwork(const Model& model, const ImportOptions& options = {});

// The op types the importer supports, sorted.
std::vector<std::string> supportedOps();

}  // namespace dlcam::onnx
