// gradCAM: which parts of an input drove a network's prediction, with the semantics of MATLAB's
// gradCAM (shared/spec/gradCAM-reference.txt).
//
//   Network net = onnx::importNetwork("resnet18.onnx");
//   Array X(image, "SSC");                                   // h×w×c, one observation
//   GradCamResult r = gradCAM(net, X, 207);                  // class index 207 (0-based)
//   r.map;                                  // h×w×1×1 (×N targets ×B observations), the input size
//   r.featureLayer, r.reductionLayer;                        // the layers chosen by default
//
// How it works, on the tape (autodiff/tape.h): the network runs forward once. When the
// feature layer has computed its activation A, the tape starts watching A, so the layers below
// it are not recorded; the layers after the reduction layer get its output detached, so only
// the head between A and the reduction layer is recorded. For each target
// the score y (the reduction layer's channel summed over its spatial and time dimensions, or
// the reduction function's scalar) is differentiated with respect to A:
//
//   alpha_k = mean over the spatial (or time) positions of dy/dA_k    (one weight per channel k)
//   map     = ReLU(sum_k alpha_k A_k)                                  (the feature map's size)
//
// and the map is upsampled to the input's spatial (or time) size with MATLAB's imresize
// ("bicubic" or "nearest"; imresize3 "cubic" for volumes). It is not normalised: rescale it to
// [0, 1] yourself for display, as the reference page's tip says (gradcam/picture.h does).
//
// Differences from MATLAB:
//  - Class indices are 0-based (MATLAB's are 1-based), as in C++, ONNX and label files.
//  - X may hold a batch of observations: each gets its own map (MATLAB takes one).
//  - The default feature layer is the final qualifying layer among the layers that feed the
//    reduction layer. With the default reduction layer (the network's final layer) that is
//    every layer, as in MATLAB; with an earlier reduction layer it avoids choosing a layer the
//    reduction layer does not depend on.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/array.h"
#include "core/device.h"
#include "layers/network.h"

namespace dlcam {

// Receives the reduction layer's output for one observation (a traced Array with the
// layer's format and B = 1) and returns a one-element Array that depends on it: the score
// Grad-CAM explains. MATLAB: reductionFcn, e.g. @(x)x for a regression output.
using ReductionFunction = std::function<Array(const Array& reductionOutput)>;

// What the map explains: one or several classes (by index or by name), the class the network
// predicts, or a reduction function.
class CamTarget {
 public:
  enum class Kind { ClassIndices, ClassNames, Predicted, Function };

  // Class index, 0-based (MATLAB's classIdx - 1). Any integer type but bool and characters.
  template <std::integral I>
    requires(!std::same_as<I, bool> && !std::same_as<I, char> && !std::same_as<I, char8_t> &&
             !std::same_as<I, char16_t> && !std::same_as<I, char32_t> && !std::same_as<I, wchar_t>)
  CamTarget(I classIndex) : kind_(Kind::ClassIndices), indices_{static_cast<int64_t>(classIndex)} {}  // NOLINT: implicit
  // Several classes: one map each, stacked on the dimension after the spatial ones.
  CamTarget(std::vector<int64_t> classIndices) : kind_(Kind::ClassIndices), indices_(std::move(classIndices)) {}  // NOLINT
  CamTarget(ReductionFunction fn) : kind_(Kind::Function), fn_(std::move(fn)) {}  // NOLINT
  // Class names, resolved through the network's class list (Network::classNames()).
  static CamTarget labels(std::vector<std::string> names);
  // For each observation, the class with the largest score at the reduction layer (channel
  // summed over spatial and time dims): what the network predicts when the reduction layer is
  // the output.
  static CamTarget predicted();

  Kind kind() const { return kind_; }
  const std::vector<int64_t>& indices() const { return indices_; }
  const std::vector<std::string>& names() const { return names_; }
  const ReductionFunction& function() const { return fn_; }

 private:
  CamTarget() = default;
  Kind kind_ = Kind::Predicted;
  std::vector<int64_t> indices_;
  std::vector<std::string> names_;
  ReductionFunction fn_;
};

enum class Upsampling { Bicubic, Nearest, None };

// "bicubic" / "nearest" / "none", as MATLAB spells the option. Throws dlcam::Error listing the
// accepted values. (ExecutionEnvironment and its parser are in core/device.h.)
Upsampling parseUpsampling(const std::string& text);
std::string upsamplingName(Upsampling u);

struct GradCamOptions {
  // Layer names (or aliases); empty: chosen as the reference page says (see defaultLayers).
  std::string featureLayer{};
  std::string reductionLayer{};
  // Labels of X's dimensions in the order they are stored (MATLAB InputDataFormats: "SSC",
  // "SSCB", "SSSC", "CT", "CBT", "TC"...), for an X without labels. Empty: X's own labels when
  // it has them, else MATLAB's layouts: the input layer's format without B (image "SSC",
  // volume "SSSC", sequence "CT"), or, when X has one dimension more, a batch: "SSCB",
  // "SSSCB", "CTB" (c×t×n).
  std::string inputDataFormats{};
  Upsampling upsampling = Upsampling::Bicubic;
  // Where the work runs (core/device.h): "auto" the GPU when one is usable (or the network is
  // there), else the CPU; "gpu" the GPU, an error when there is none; "cpu" the CPU, an error
  // when the network is on the GPU. Move the network once with Network::to(Device::GPU):
  // otherwise its learnables are copied to the GPU at every call (a notice says so once).
  // The map, scores and output come back on the CPU.
  ExecutionEnvironment executionEnvironment = ExecutionEnvironment::Auto;
};

struct GradCamResult {
  // MATLAB's scoreMap, column-major, float32, with N targets and B observations:
  //   2-D images  h×w×N×B      3-D images  h×w×d×N×B      sequences  1×t×N×B
  // (h, w, d, t: the input's size, or the feature map's with Upsampling::None). N is 1 for a
  // class index, a reduction function or the predicted class; trailing sizes of 1 are kept,
  // so the rank is always that of the layout above.
  Tensor map;
  std::string featureLayer;    // the layer names used (names, not aliases)
  std::string reductionLayer;
  // The feature layer's activation for this input: size and format (the map's size before
  // upsampling is its spatial or time size).
  ActivationInfo featureActivation;
  // The class each map explains, N×B (column-major: classes(n, b) = classes[n + N·b]); -1 for
  // a reduction function.
  std::vector<int64_t> classes;
  // The score each map explains (the reduced scalar), N×B like classes.
  std::vector<double> scores;
  // The network's output for X (its final layer, as predict returns it), computed by the
  // same forward pass.
  Array output;
};

// Grad-CAM map(s) of `target` for input X. X: an h×w×c image, h×w×d×c volume or c×t sequence
// (or a batch of them), labelled or not (see GradCamOptions::inputDataFormats); any dtype.
// Throws dlcam::Error with one line naming the problem: a network whose input layer is not an
// image, volume or sequence input; X of the wrong size, channel count or format; a NaN or an
// infinity in X (an X on the CPU: one on the GPU is not scanned, to spare a copy); a class
// index out of range or an unknown class name; an unknown layer; a feature layer that the
// reduction layer does not depend on, whose format differs from the input layer's, or whose
// spatial (time) dimensions are all 1; a reduction layer without a channel dimension for a
// class target; a reduction function whose result is not one element or does not depend on
// its input; ExecutionEnvironment::Gpu without a usable GPU, or ::Cpu with a network on the GPU.
GradCamResult gradCAM(const Network& net, const Array& X, const CamTarget& target, const GradCamOptions& options = {});

// The layers gradCAM uses when none are given, for inputs of the network's declared size:
// reduction = the final layer; feature = the final layer (among those the reduction layer
// depends on) with the input layer's format and a spatial or time dimension larger than 1.
// Throws dlcam::Error when the network's input is not an image, volume or sequence input or
// no layer qualifies.
struct GradCamLayers {
  std::string featureLayer;
  std::string reductionLayer;
};
GradCamLayers defaultGradCamLayers(const Network& net, const std::string& reductionLayer = "");

}  // namespace dlcam
