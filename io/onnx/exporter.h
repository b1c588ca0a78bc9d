// ONNX export: a dlcam Network → an ONNX model file (MATLAB's exportONNXNetwork), the inverse
// of importer.h.
//
//   onnx::exportNetwork(net, "net.onnx");            // opset 17, batch dimension "N"
//   Network again = onnx::importNetwork("net.onnx");  // same layer names, same outputs
//
// The input layer becomes the graph input, named after the layer, in ONNX layout (layout.h:
// "SSCB" h×w×c×n → N×C×H×W, "SSSCB" → N×C×D×H×W, "CBT" → N×C×L, "CB" → N×C), with the batch
// dimension symbolic (options.batchName) and every other dimension fixed (a sequence input of
// any length gets a symbolic "T" too). Its normalisation becomes Sub and Div nodes,
// "<input>/Sub" and "<input>/Div": after import the input layer's name gives the raw input
// and the last of those nodes the normalised one, which the exported input layer output.
//
// Every other layer becomes one node, or a few, whose last node and output value are named
// after the layer (helper nodes are "<layer>/<Op>"), so importing the file gives a network in
// which each exported layer name other than a normalising input layer's computes the same
// activation. Learnables and other constants
// become float32 initializers ("<layer>/Weights", ...). Where dlcam and ONNX order values
// differently (flattening "SSCB" S-first versus ONNX's row-major C-first) the exporter adds a
// Transpose or permutes the weights, so outputs match.
//
// Layers: the input layers, convolution (1-D/2-D/3-D, groups, stride, dilation, explicit,
// 'same' (written as explicit pads for the declared input size) and causal padding), batch and
// layer normalisation, every activation layer, max/average pooling, global pooling, fully
// connected, softmax, dropout, addition, depth concatenation, flatten, and the ONNX tensor
// layers of tensor_layers.h (written back as their op).
#pragma once

#include <cstdint>
#include <string>

#include "io/onnx/proto.h"
#include "layers/network.h"

namespace dlcam::onnx {

struct ExportOptions {
  int64_t opset = 17;             // the only opset written so far
  std::string batchName = "N";    // the symbolic batch dimension of the input and output
  std::string producer = "dlcam";
};

// The ONNX model of an initialized network. Throws dlcam::Error when the network is not
// initialized, for an option it cannot honour, and naming the layer for a layer it cannot
// write (an unknown layer class, or an activation with no ONNX layout).
Model toOnnxModel(const Network& net, const ExportOptions& options = {});

// toOnnxModel, saved to `path`.
void exportNetwork(const Network& net, const std::string& path, const ExportOptions& options = {});

}  // namespace dlcam::onnx
