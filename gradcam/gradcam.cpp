#include "gradcam/gradcam.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <mutex>

#include "autodiff/device.h"
#include "autodiff/elementwise.h"
#include "autodiff/reduce.h"
#include "autodiff/resize.h"
#include "autodiff/shape_ops.h"
#include "autodiff/tape.h"
#include "core/error.h"
#include "layers/input_layers.h"

namespace dlcam {

CamTarget CamTarget::labels(std::vector<std::string> names) {
  CamTarget t;
  t.kind_ = Kind::ClassNames;
  t.names_ = std::move(names);
  return t;
}

CamTarget CamTarget::predicted() { return CamTarget(); }

Upsampling parseUpsampling(const std::string& text) {
  if (text == "bicubic") return Upsampling::Bicubic;
  if (text == "nearest") return Upsampling::Nearest;
  if (text == "none") return Upsampling::None;
  fail("OutputUpsampling must be 'bicubic', 'nearest' or 'none', got '", text, "'");
}

std::string upsamplingName(Upsampling u) {
  switch (u) {
    case Upsampling::Bicubic: return "bicubic";
    case Upsampling::Nearest: return "nearest";
    case Upsampling::None: return "none";
  }
  return "?";
}

namespace {

// ---- Layers ----------------------------------------------------------------------------------

// The dimensions a Grad-CAM map spans: S for images and volumes, T for sequences.
std::vector<int> mapDims(const DimFormat& format) {
  std::vector<int> dims = format.spatialDims();
  return dims.empty() ? format.dimsOf("T") : dims;
}

std::vector<int64_t> mapSize(const ActivationInfo& info) {
  std::vector<int64_t> sizes;
  for (int d : mapDims(info.format)) sizes.push_back(info.size[d]);
  return sizes;
}

bool hasNonSingletonMapDim(const ActivationInfo& info) {
  for (int64_t s : mapSize(info))
    if (s > 1) return true;
  return false;
}

// The input layer, checked to be one gradCAM explains (MATLAB: image, 3-D image or sequence).
const InputLayer& explainableInput(const Network& net) {
  const InputLayer& input = net.inputLayer();
  if (!dynamic_cast<const ImageInputLayer*>(&input) && !dynamic_cast<const Image3dInputLayer*>(&input) &&
      !dynamic_cast<const SequenceInputLayer*>(&input))
    fail("gradCAM: the network's input layer '", input.name(), "' is a ", input.type(),
         " layer; Grad-CAM needs an image, 3-D image or sequence input (data with spatial or time dimensions)");
  return input;
}

// The network as the layer checks see it for one input size: each layer's activation (by
// execution index) and which layers feed which.
struct NetView {
  const Network& net;
  std::vector<ActivationInfo> infos;
  DimFormat inputFormat;

  // The layers `layer` depends on, itself included. Inputs come before their consumers in
  // execution order, so one backward sweep finds them all.
  std::vector<bool> ancestorsOf(size_t layer) const {
    std::vector<bool> needed(net.numLayers(), false);
    needed[layer] = true;
    for (size_t k = layer + 1; k-- > 0;)
      if (needed[k])
        for (size_t in : net.inputIndices(k)) needed[in] = true;
    return needed;
  }
};

// MATLAB's default: the final layer with the input layer's format and a non-singleton spatial
// or time dimension, here among the layers the reduction layer depends on.
size_t defaultFeatureIndex(const NetView& view, size_t reduction) {
  std::vector<bool> feeds = view.ancestorsOf(reduction);
  for (size_t k = reduction + 1; k-- > 0;)
    if (feeds[k] && view.infos[k].format == view.inputFormat && hasNonSingletonMapDim(view.infos[k])) return k;
  fail("gradCAM: no layer feeding reduction layer '", view.net.layer(reduction).name(), "' has the input's format (",
       view.inputFormat.str(), ") with a spatial or time dimension larger than 1; give FeatureLayer");
}

void checkFeatureLayer(const NetView& view, size_t feature, size_t reduction) {
  const std::string& name = view.net.layer(feature).name();
  const ActivationInfo& info = view.infos[feature];
  if (!view.ancestorsOf(reduction)[feature])
    fail("gradCAM: feature layer '", name, "' does not feed reduction layer '", view.net.layer(reduction).name(), "'",
         feature > reduction ? " (it comes after it)" : "",
         "; the feature layer must lie between the input and the reduction layer");
  if (info.format != view.inputFormat)
    fail("gradCAM: feature layer '", name, "' outputs ", info.str(), ", not the input layer's format ",
         view.inputFormat.str(), " (MATLAB's rule: the feature layer has the same data format as the input layer)");
  if (!hasNonSingletonMapDim(info))
    fail("gradCAM: feature layer '", name, "' has singleton ", info.format.spatialDims().empty() ? "time" : "spatial",
         " dimensions (", detail::sizesText(mapSize(info)),
         "); choose a layer before the pooling, with a map larger than 1×1");
}

struct LayerChoice {
  size_t feature = 0, reduction = 0;
};

LayerChoice chooseLayers(const NetView& view, const std::string& featureLayer, const std::string& reductionLayer) {
  LayerChoice c;
  // layerIndex throws naming the unknown layer and listing close names.
  c.reduction = reductionLayer.empty() ? view.net.layerIndex(view.net.outputLayer().name())
                                       : view.net.layerIndex(reductionLayer);
  if (featureLayer.empty()) {
    c.feature = defaultFeatureIndex(view, c.reduction);
  } else {
    c.feature = view.net.layerIndex(featureLayer);
    checkFeatureLayer(view, c.feature, c.reduction);
  }
  return c;
}

// ---- Input -----------------------------------------------------------------------------------

// X labelled and shaped as the input layer takes it: its canonical format, with B.
// A NaN or an infinity in X makes every score and every map NaN: an error instead, naming the
// first one by its 1-based subscripts into X as given (MATLAB's). An X on the GPU is not
// scanned (that would cost a copy to the host on every call); its NaNs come back as NaN maps.
void requireFinite(const Array& X) {
  if (!X.defined() || X.device() != Device::CPU) return;
  const Tensor& t = X.value();
  visitFloat(t.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* p = t.data<T>();
    const T* bad = std::find_if(p, p + t.numel(), [](T v) { return !std::isfinite(v); });
    if (bad == p + t.numel()) return;
    std::string subscripts;
    int64_t rest = bad - p;
    for (int d = 0; d < t.rank(); ++d) {
      subscripts += (d ? ", " : "") + std::to_string(rest % t.shape()[d] + 1);
      rest /= t.shape()[d];
    }
    fail("gradCAM: X(", subscripts, ") is ", std::isnan(*bad) ? "NaN" : *bad > 0 ? "Inf" : "-Inf", " (X is ",
         detail::sizesText(t.shape().dims()), "); gradCAM needs finite input values");
  });
}

Array labelInput(const Array& X, const InputLayer& input, const std::string& inputDataFormats) {
  requireFinite(X);
  const DimFormat& want = input.inputInfo().format;  // SSCB, SSSCB or CBT
  Array x;
  if (X.format().isFormatted()) {
    if (!inputDataFormats.empty() && inputDataFormats != X.format().str())
      fail("gradCAM: X is already labelled ", X.format().str(), "; InputDataFormats '", inputDataFormats,
           "' is for unlabelled data");
    x = X;
  } else {
    std::string format = inputDataFormats;
    if (format.empty()) {
      // MATLAB's numeric layouts: h×w×c, h×w×d×c, c×t; with one more dimension, a batch
      // (h×w×c×n, h×w×d×c×n, c×t×n).
      const bool sequence = want.str() == "CBT";
      std::string single = sequence ? "CT" : want.str().substr(0, want.str().size() - 1);
      std::string batch = sequence ? "CTB" : want.str();
      format = X.rank() > static_cast<int>(single.size()) ? batch : single;
    }
    if (static_cast<int>(format.size()) < X.rank())
      fail("gradCAM: X has ", X.rank(), " dimensions (", X.shape().str(), ") but InputDataFormats '", format,
           "' labels ", format.size());
    try {
      x = Array(X.value(), format);  // permutes to canonical order
    } catch (const Error& e) {
      fail("gradCAM: InputDataFormats '", format, "': ", e.what());
    }
  }
  const DimFormat& f = x.format();
  if (f.count('U') > 0) fail("gradCAM: X has unlabelled (U) dimensions in format ", f.str());
  if (f.find('B') < 0) {  // one observation: add B = 1 after C
    std::string labels = f.str();
    std::vector<int64_t> dims = x.shape().dims();
    const size_t at = static_cast<size_t>(f.find('C') + 1);
    labels.insert(at, "B");
    dims.insert(dims.begin() + static_cast<std::ptrdiff_t>(at), 1);
    x = reshape(x, Shape(dims), labels);
  }
  if (x.format() != want)
    fail("gradCAM: X has format ", x.format().str(), " but input layer '", input.name(), "' (", input.type(),
         ") takes ", want.str(), " data");
  // Spatial and channel sizes must be the declared ones; T may vary; B counts observations.
  const ActivationInfo declared = input.inputInfo();
  const ActivationInfo given{x.shape(), x.format()};
  for (int d = 0; d < want.rank(); ++d) {
    const char label = want[d];
    if ((label == 'S' || label == 'C') && x.size(d) != declared.size[d])
      fail("gradCAM: X is ", given.str(), " but input layer '", input.name(), "' takes ", declared.str(), " (",
           label == 'C' ? "channel count" : "spatial size", " differs)");
    if (x.size(d) == 0) fail("gradCAM: X is ", given.str(), ", which is empty");
  }
  return x;
}

// ---- Targets ---------------------------------------------------------------------------------

// Each map's class per observation: classes[n][b]; -1 for a reduction function.
struct ResolvedTarget {
  std::vector<std::vector<int64_t>> classes;
  bool function = false;
};

// The class with the largest score of each observation; NaN scores rank last (as the dlcam
// command ranks them). scores: C classes × B observations in memory (any leading sizes of 1),
// float64.
std::vector<int64_t> largestClass(const Tensor& scores, int64_t C) {
  const int64_t B = scores.numel() / C;
  const double* v = scores.data<double>();
  std::vector<int64_t> best(static_cast<size_t>(B), 0);
  for (int64_t b = 0; b < B; ++b) {
    const double* s = v + C * b;
    int64_t arg = 0;
    for (int64_t k = 1; k < C; ++k)
      if (!std::isnan(s[k]) && (std::isnan(s[arg]) || s[k] > s[arg])) arg = k;
    best[static_cast<size_t>(b)] = arg;
  }
  return best;
}

// classScores: the reduction layer's output summed over its spatial and time dims (C×B).
ResolvedTarget resolveTarget(const CamTarget& target, const Network& net, const Array& classScores,
                             const std::string& reductionName, int64_t observations) {
  ResolvedTarget r;
  if (target.kind() == CamTarget::Kind::Function) {
    if (!target.function()) fail("gradCAM: the reduction function is empty");
    r.function = true;
    r.classes.assign(1, std::vector<int64_t>(static_cast<size_t>(observations), -1));
    return r;
  }
  const int c = classScores.format().find('C');
  if (c < 0)
    fail("gradCAM: reduction layer '", reductionName, "' outputs ",
         ActivationInfo{classScores.shape(), classScores.format()}.str(),
         " without a channel (C) dimension, so a class cannot be selected; use a reduction function");
  const int64_t numClasses = classScores.size(c);
  std::vector<int64_t> indices;
  switch (target.kind()) {
    case CamTarget::Kind::ClassIndices:
      if (target.indices().empty()) fail("gradCAM: the list of class indices is empty");
      indices = target.indices();
      for (int64_t i : indices)
        if (i < 0 || i >= numClasses)
          fail("gradCAM: class index ", i, " is out of range: reduction layer '", reductionName, "' has ", numClasses,
               " classes (0 to ", numClasses - 1, "; indices are 0-based)");
      break;
    case CamTarget::Kind::ClassNames: {
      if (target.names().empty()) fail("gradCAM: the list of class labels is empty");
      const auto& classNames = net.classNames();
      if (classNames.empty())
        fail("gradCAM: class label '", target.names()[0],
             "' cannot be resolved: the network has no class names (Network::setClassNames)");
      for (const std::string& name : target.names()) {
        auto it = std::find(classNames.begin(), classNames.end(), name);
        if (it == classNames.end())
          fail("gradCAM: unknown class label '", name, "' (the network has ", classNames.size(), " classes: '",
               classNames.front(), "' … '", classNames.back(), "')");
        indices.push_back(it - classNames.begin());
        if (indices.back() >= numClasses)
          fail("gradCAM: class label '", name, "' is class ", indices.back(), " but reduction layer '", reductionName,
               "' has ", numClasses, " channels");
      }
      break;
    }
    case CamTarget::Kind::Predicted:
      r.classes.push_back(largestClass(classScores.value().to(Device::CPU).to(DType::Float64), numClasses));
      return r;
    case CamTarget::Kind::Function: break;
  }
  for (int64_t i : indices) r.classes.emplace_back(static_cast<size_t>(observations), i);
  return r;
}

// ---- The map ---------------------------------------------------------------------------------

// ReLU(sum_k alpha_k A_k) with alpha_k the mean of dA_k over the map's positions: the map at
// the feature layer's size, C = 1, one per observation.
Array weightedFeatureMap(const Array& A, const Array& dA) {
  PauseRecording pause;
  const Array alpha = mean(dA, mapDims(A.format()));  // 1×…×K×B: one weight per channel
  Array cam = relu(sum(alpha * A.detached(), {A.format().find('C')}));
  return cam.dtype() == DType::Float32 ? cam : Array(cam.value().to(DType::Float32), cam.format());
}

// Copies observation b of a map with C = 1 ("S…CB" or "CBT") to out, position by position
// (first map dimension fastest).
void copyObservation(const Array& cam, int64_t b, float* out) {
  const float* in = cam.value().data<float>();
  const DimFormat& format = cam.format();
  const int64_t B = cam.size(format.find('B'));
  if (format.spatialDims().empty()) {  // CBT, C = 1: element (b, t) is at b + B·t
    const int64_t T = cam.size(format.find('T'));
    for (int64_t t = 0; t < T; ++t) out[t] = in[b + B * t];
  } else {  // S…CB, C = 1: element (p, b) is at p + P·b
    const int64_t P = cam.numel() / B;
    std::copy(in + P * b, in + P * (b + 1), out);
  }
}

// MATLAB's scoreMap layout: h×w(×d)×N×B, or 1×t×N×B for sequences.
Tensor matlabLayout(const std::vector<Array>& cams, const std::vector<int64_t>& size, bool sequence,
                    int64_t observations) {
  std::vector<int64_t> dims = size;
  if (sequence) dims.insert(dims.begin(), 1);
  const int64_t N = static_cast<int64_t>(cams.size());
  dims.push_back(N);
  dims.push_back(observations);
  int64_t positions = 1;
  for (int64_t s : size) positions *= s;
  Tensor map{Shape(dims)};
  for (int64_t b = 0; b < observations; ++b)
    for (int64_t n = 0; n < N; ++n)
      copyObservation(cams[static_cast<size_t>(n)], b, map.data<float>() + positions * (n + N * b));
  return map;
}

// Once per process: a network left on the CPU is copied to the GPU op by op at every call.
void noteNetworkCopiedPerCall() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::cerr << "dlcam: note: gradCAM runs on the GPU but the network is on the CPU, so its learnables are copied "
                 "to the GPU at every call; call Network::to(Device::GPU) once to keep them there\n";
  });
}

}  // namespace

GradCamLayers defaultGradCamLayers(const Network& net, const std::string& reductionLayer) {
  const InputLayer& input = explainableInput(net);
  ActivationInfo example = input.inputInfo();
  // A sequence input of any length declares T = 1; judge the layers on a longer sequence, as
  // the data will be.
  if (auto* seq = dynamic_cast<const SequenceInputLayer*>(&input); seq && seq->length() < 0) {
    std::vector<int64_t> dims = example.size.dims();
    dims[static_cast<size_t>(example.format.find('T'))] = 64;
    example.size = Shape(dims);
  }
  NetView view{net, net.inferActivations(example.size), example.format};
  LayerChoice c = chooseLayers(view, "", reductionLayer);
  return {net.layer(c.feature).name(), net.layer(c.reduction).name()};
}

GradCamResult gradCAM(const Network& net, const Array& X, const CamTarget& target, const GradCamOptions& options) {
  if (!net.initialized()) fail("gradCAM: the network is not initialized; call initialize() first");
  const InputLayer& input = explainableInput(net);
  const Device networkDevice = net.device();
  const Device device = resolveEnvironment(options.executionEnvironment, X.defined() ? X.device() : Device::CPU,
                                           networkDevice, "gradCAM");
  if (device == Device::GPU && networkDevice == Device::CPU) noteNetworkCopiedPerCall();
  const Array x = toDevice(labelInput(X, input, options.inputDataFormats), device);
  const int64_t observations = x.size(x.format().find('B'));

  // 1. The layers, checked on the activations this input will produce, before any data flows.
  const NetView view{net, net.inferActivations(x.shape()), input.inputInfo().format};
  const LayerChoice layers = chooseLayers(view, options.featureLayer, options.reductionLayer);
  GradCamResult result;
  result.featureLayer = net.layer(layers.feature).name();
  result.reductionLayer = net.layer(layers.reduction).name();
  result.featureActivation = view.infos[layers.feature];

  // 2. One forward pass. The tape watches the feature activation A as soon as it exists, so the
  // layers below it are not recorded. The layers after the reduction layer get its output
  // detached, so they are not recorded either: the tape holds the head from A to Y.
  Tape tape;
  Array A, Y;
  ForwardOptions forward;
  forward.outputs = {net.outputLayer().name()};
  forward.onActivation = [&](const Layer& layer, Array& activation) {
    if (layer.name() == result.featureLayer) {
      tape.watch(activation);
      A = activation;
    }
    if (layer.name() == result.reductionLayer) {
      Y = activation;
      activation = activation.detached();
    }
  };
  result.output = net.forward(x, forward).outputs[0].detached();
  if (!Y.isTraced())
    fail("gradCAM: the output of reduction layer '", result.reductionLayer,
         "' does not depend differentiably on feature layer '", result.featureLayer, "'");
  const int yBatch = Y.format().find('B');
  if (observations > 1 && (yBatch < 0 || Y.size(yBatch) != observations))
    fail("gradCAM: reduction layer '", result.reductionLayer, "' outputs ", ActivationInfo{Y.shape(), Y.format()}.str(),
         ", which does not keep the ", observations, " observations apart; explain one observation at a time");
  auto observation = [&](int64_t b) { return observations == 1 ? Y : index(Y, yBatch, {b}); };

  // 3. The targets. Class scores: Y's channels summed over its spatial and time dims (C×B).
  Array classScores;
  {
    PauseRecording pause;
    const std::vector<int> st = Y.format().dimsOf("ST");
    classScores = st.empty() ? Y.detached() : sum(Y.detached(), st);
  }
  const Tensor classScores64 = classScores.value().to(Device::CPU).to(DType::Float64);
  const ResolvedTarget resolved = resolveTarget(target, net, classScores, result.reductionLayer, observations);
  const int64_t N = static_cast<int64_t>(resolved.classes.size());
  result.classes.assign(static_cast<size_t>(N * observations), -1);
  result.scores.assign(static_cast<size_t>(N * observations), 0.0);

  // 4. One backward pass per target, from the sum of the observations' scores: observations do
  // not interact, so each observation's d(score)/dA is its own.
  std::vector<Array> cams;
  for (int64_t n = 0; n < N; ++n) {
    const std::vector<int64_t>& classes = resolved.classes[static_cast<size_t>(n)];
    auto at = [&](int64_t b) { return static_cast<size_t>(n + N * b); };
    Array score;
    auto add = [&](const Array& s) { score = score.defined() ? score + s : s; };
    if (resolved.function) {
      for (int64_t b = 0; b < observations; ++b) {
        Array s = target.function()(observation(b));
        if (s.numel() != 1)
          fail("gradCAM: the reduction function must return a scalar (one element); it returned ",
               ActivationInfo{s.shape(), s.format()}.str());
        if (!s.isTraced())
          fail("gradCAM: the reduction function's result does not depend on its input (the reduction layer's output)");
        result.scores[at(b)] = s.item();
        add(s);
      }
    } else {
      const int64_t numClasses = classScores.size(classScores.format().find('C'));
      const bool sameClass = std::all_of(classes.begin(), classes.end(), [&](int64_t c) { return c == classes[0]; });
      if (sameClass) add(sum(selectChannels(Y, {classes[0]})));
      for (int64_t b = 0; b < observations; ++b) {
        const int64_t c = classes[static_cast<size_t>(b)];
        if (!sameClass) add(sum(selectChannels(observation(b), {c})));
        result.scores[at(b)] = classScores64.data<double>()[c + numClasses * b];
        result.classes[at(b)] = c;
      }
    }
    cams.push_back(weightedFeatureMap(A, tape.gradient(score, A)));
  }

  // 5. Upsampling to the input's spatial (time) size, as MATLAB's imresize / imresize3.
  const bool sequence = A.format().spatialDims().empty();
  std::vector<int64_t> size = mapSize(ActivationInfo{A.shape(), A.format()});
  if (options.upsampling != Upsampling::None) {
    size = mapSize(ActivationInfo{x.shape(), x.format()});
    ResizeOptions resizeOptions;
    resizeOptions.method = options.upsampling == Upsampling::Nearest ? ResizeMethod::Nearest : ResizeMethod::Cubic;
    PauseRecording pause;
    for (Array& cam : cams) cam = resize(cam, size, resizeOptions);
  }
  for (Array& cam : cams) cam = toDevice(cam, Device::CPU);
  result.output = toDevice(result.output, Device::CPU);
  result.map = matlabLayout(cams, size, sequence, observations);
  return result;
}

}  // namespace dlcam
