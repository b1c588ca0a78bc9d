#include "gradcam/gradcam.h"

#include <algorithm>
#include <set>

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

ExecutionEnvironment parseExecutionEnvironment(const std::string& text) {
  if (text == "auto") return ExecutionEnvironment::Auto;
  if (text == "cpu") return ExecutionEnvironment::Cpu;
  if (text == "gpu") return ExecutionEnvironment::Gpu;
  fail("ExecutionEnvironment must be 'auto', 'cpu' or 'gpu', got '", text, "'");
}

std::string upsamplingName(Upsampling u) {
  switch (u) {
    case Upsampling::Bicubic: return "bicubic";
    case Upsampling::Nearest: return "nearest";
    case Upsampling::None: return "none";
  }
  return "?";
}

std::string environmentName(ExecutionEnvironment e) {
  switch (e) {
    case ExecutionEnvironment::Auto: return "auto";
    case ExecutionEnvironment::Cpu: return "cpu";
    case ExecutionEnvironment::Gpu: return "gpu";
  }
  return "?";
}

namespace {

// The dimensions a Grad-CAM map spans: S for images and volumes, T for sequences.
std::vector<int> mapDims(const DimFormat& format) {
  std::vector<int> dims = format.spatialDims();
  return dims.empty() ? format.dimsOf("T") : dims;
}

bool hasNonSingletonMapDim(const ActivationInfo& info) {
  for (int d : mapDims(info.format))
    if (info.size[d] > 1) return true;
  return false;
}

std::string sizesText(const ActivationInfo& info, const std::vector<int>& dims) {
  std::string text;
  for (int d : dims) text += (text.empty() ? "" : "×") + std::to_string(info.size[d]);
  return text;
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

// What the checks and the default layer choice need to know about the network for one input
// size: each layer's activation, in execution order, and which layers feed which.
struct NetView {
  const Network& net;
  std::vector<ActivationInfo> infos;  // by execution index
  DimFormat inputFormat;

  size_t indexOf(const std::string& nameOrAlias) const {
    const std::string& name = net.layer(nameOrAlias).name();  // throws listing close names
    for (size_t i = 0; i < net.numLayers(); ++i)
      if (net.layer(i).name() == name) return i;
    DLCAM_ASSERT(false, "layer '", name, "' has no index");
    return 0;
  }

  // The layers `layer` depends on, itself included.
  std::vector<bool> ancestorsOf(size_t layer) const {
    std::vector<bool> needed(net.numLayers(), false);
    needed[layer] = true;
    for (size_t k = layer + 1; k-- > 0;) {
      if (!needed[k]) continue;
      for (const std::string& in : net.inputsOf(net.layer(k).name())) needed[indexOf(in)] = true;
    }
    return needed;
  }
};

size_t reductionIndex(const NetView& view, const std::string& requested) {
  if (requested.empty()) return view.indexOf(view.net.outputLayer().name());
  if (!view.net.contains(requested)) view.net.layer(requested);  // throws the "no layer named" error
  return view.indexOf(requested);
}

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
    fail("gradCAM: feature layer '", name, "' does not feed reduction layer '", view.net.layer(reduction).name(),
         "'", feature > reduction ? " (it comes after it)" : "", "; the feature layer must lie between the input and the reduction layer");
  if (info.format != view.inputFormat)
    fail("gradCAM: feature layer '", name, "' outputs ", info.str(), ", not the input layer's format ",
         view.inputFormat.str(), " (MATLAB's rule: the feature layer has the same data format as the input layer)");
  if (!hasNonSingletonMapDim(info))
    fail("gradCAM: feature layer '", name, "' has singleton ", info.format.spatialDims().empty() ? "time" : "spatial",
         " dimensions (", sizesText(info, mapDims(info.format)), "); choose a layer before the pooling, with a map larger than 1×1");
}

// X labelled and shaped as the input layer takes it (canonical format with B).
Array labelInput(const Array& X, const InputLayer& input, const std::string& inputDataFormats) {
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
      // The input layer's format without B (MATLAB's numeric h×w×c, h×w×d×c, c×t), or with it
      // when X has one more dimension.
      std::string single = want.str() == "CBT" ? "CT" : std::string(want.str()).erase(want.str().size() - 1);
      std::string batch = want.str() == "CBT" ? "CTB" : want.str();
      format = X.rank() > static_cast<int>(single.size()) ? batch : single;
    }
    if (static_cast<int>(format.size()) < X.rank())
      fail("gradCAM: X has ", X.rank(), " dimensions (", X.shape().str(), ") but InputDataFormats '", format,
           "' labels ", format.size());
    x = Array(X.value(), format);  // permutes to canonical order
  }
  const DimFormat& f = x.format();
  if (f.count('B') > 1) fail("gradCAM: X may have at most one batch (B) dimension; its format is ", f.str());
  if (f.count('U') > 0) fail("gradCAM: X has unlabelled (U) dimensions in format ", f.str());
  // Add a batch dimension of 1 where X has none.
  if (f.find('B') < 0) {
    std::string labels = f.str();
    std::vector<int64_t> dims(x.shape().dims().begin(), x.shape().dims().end());
    size_t at = static_cast<size_t>(f.find('C') + 1);
    labels.insert(at, "B");
    dims.insert(dims.begin() + static_cast<std::ptrdiff_t>(at), 1);
    x = reshape(x, Shape(dims), labels);
  }
  if (x.format() != want)
    fail("gradCAM: X has format ", x.format().str(), " but input layer '", input.name(), "' (", input.type(),
         ") takes ", want.str(), " data");
  // Spatial and channel sizes must be the declared ones (T may vary; B is the observations).
  const ActivationInfo declared = input.inputInfo();
  for (int d = 0; d < want.rank(); ++d) {
    char label = want[d];
    if ((label == 'S' || label == 'C') && x.size(d) != declared.size[d])
      fail("gradCAM: X is ", ActivationInfo{x.shape(), x.format()}.str(), " but input layer '", input.name(), "' takes ",
           declared.str(), " (", label == 'C' ? "channel count" : "spatial size", " differs)");
  }
  return x;
}

// The values of the feature map's positions for observation b of a map with C = 1.
// cam: "S…CB" (C = 1) or "CBT" (C = 1). Returns P values, P = number of map positions.
void copyObservation(const Tensor& cam, const DimFormat& format, int64_t b, float* out) {
  const float* in = cam.data<float>();
  const int64_t B = cam.shape()[format.find('B')];
  if (format.find('T') >= 0 && format.spatialDims().empty()) {  // CBT, C = 1: index b + B·t
    const int64_t T = cam.shape()[format.find('T')];
    for (int64_t t = 0; t < T; ++t) out[t] = in[b + B * t];
  } else {  // S…CB, C = 1: index p + P·b
    const int64_t P = cam.numel() / B;
    std::copy(in + P * b, in + P * (b + 1), out);
  }
}

struct ResolvedTarget {
  // classes[n][b]: the class of map n for observation b; -1 for a reduction function.
  std::vector<std::vector<int64_t>> classes;
  bool function = false;
};

ResolvedTarget resolveTarget(const CamTarget& target, const Network& net, const Array& summedScores,
                             const std::string& reductionName, int64_t observations) {
  ResolvedTarget r;
  if (target.kind() == CamTarget::Kind::Function) {
    if (!target.function()) fail("gradCAM: the reduction function is empty");
    r.function = true;
    r.classes.assign(1, std::vector<int64_t>(static_cast<size_t>(observations), -1));
    return r;
  }
  const int c = summedScores.format().find('C');
  if (c < 0)
    fail("gradCAM: reduction layer '", reductionName, "' outputs ",
         ActivationInfo{summedScores.shape(), summedScores.format()}.str(),
         " without a channel (C) dimension, so a class cannot be selected; use a reduction function");
  const int64_t numClasses = summedScores.size(c);
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
    case CamTarget::Kind::Predicted: {
      // summedScores: C×B; the largest channel of each observation.
      Tensor s = summedScores.value().to(DType::Float64);
      const double* v = s.data<double>();
      std::vector<int64_t> best(static_cast<size_t>(observations));
      for (int64_t b = 0; b < observations; ++b) {
        int64_t arg = 0;
        for (int64_t k = 1; k < numClasses; ++k)
          if (v[k + numClasses * b] > v[arg + numClasses * b]) arg = k;
        best[static_cast<size_t>(b)] = arg;
      }
      r.classes.push_back(best);
      return r;
    }
    case CamTarget::Kind::Function: break;
  }
  for (int64_t i : indices) r.classes.emplace_back(static_cast<size_t>(observations), i);
  return r;
}

}  // namespace

GradCamLayers defaultGradCamLayers(const Network& net, const std::string& reductionLayer) {
  const InputLayer& input = explainableInput(net);
  ActivationInfo example = input.inputInfo();
  // A sequence input of any length declares T = 1; judge the layers on a longer sequence, as
  // the data will be.
  if (auto* seq = dynamic_cast<const SequenceInputLayer*>(&input); seq && seq->length() < 0) {
    std::vector<int64_t> dims(example.size.dims().begin(), example.size.dims().end());
    dims[static_cast<size_t>(example.format.find('T'))] = 64;
    example.size = Shape(dims);
  }
  NetView view{net, net.inferActivations(example.size), example.format};
  size_t reduction = reductionIndex(view, reductionLayer);
  return {net.layer(defaultFeatureIndex(view, reduction)).name(), net.layer(reduction).name()};
}

GradCamResult gradCAM(const Network& net, const Array& X, const CamTarget& target, const GradCamOptions& options) {
  if (options.executionEnvironment == ExecutionEnvironment::Gpu)
    fail("gradCAM: ExecutionEnvironment 'gpu' is not available: this build of dlcam has no GPU backend (use 'cpu' or 'auto')");
  if (!net.initialized()) fail("gradCAM: the network is not initialized; call initialize() first");
  const InputLayer& input = explainableInput(net);
  const Array x = labelInput(X, input, options.inputDataFormats);

  // Layers: checked on the activations this input will produce.
  NetView view{net, net.inferActivations(x.shape()), input.inputInfo().format};
  const size_t reduction = reductionIndex(view, options.reductionLayer);
  size_t feature;
  if (options.featureLayer.empty()) {
    feature = defaultFeatureIndex(view, reduction);
  } else {
    if (!net.contains(options.featureLayer)) net.layer(options.featureLayer);  // throws "no layer named …"
    feature = view.indexOf(options.featureLayer);
    checkFeatureLayer(view, feature, reduction);
  }
  GradCamResult result;
  result.featureLayer = net.layer(feature).name();
  result.reductionLayer = net.layer(reduction).name();
  const std::string outputName = net.outputLayer().name();

  // One forward pass. The tape starts watching the feature activation A as soon as it exists,
  // so only the layers between A and the reduction layer are recorded.
  Tape tape;
  Array A;
  ForwardOptions forward;
  forward.outputs = {result.reductionLayer};
  if (outputName != result.reductionLayer) forward.outputs.push_back(outputName);
  forward.onActivation = [&](const Layer& layer, Array& activation) {
    if (layer.name() != result.featureLayer) return;
    tape.watch(activation);
    A = activation;
  };
  ForwardResult run = net.forward(x, forward);
  const Array& Y = run.outputs[0];
  result.output = run.outputs.back().detached();
  if (!Y.isTraced())
    fail("gradCAM: the output of reduction layer '", result.reductionLayer, "' does not depend differentiably on feature layer '",
         result.featureLayer, "'");

  const int64_t observations = x.size(x.format().find('B'));
  const int yBatch = Y.format().find('B');
  if (observations > 1 && (yBatch < 0 || Y.size(yBatch) != observations))
    fail("gradCAM: reduction layer '", result.reductionLayer, "' outputs ", ActivationInfo{Y.shape(), Y.format()}.str(),
         ", which does not keep the ", observations, " observations apart; explain one observation at a time");

  // One observation of Y (traced), for per-observation classes and reduction functions.
  auto observation = [&](int64_t b) { return observations == 1 ? Y : index(Y, yBatch, {b}); };

  // The class scores summed over the reduction layer's spatial and time dimensions: C×B.
  Array summed;
  {
    PauseRecording pause;
    std::vector<int> st = Y.format().dimsOf("ST");
    summed = st.empty() ? Y.detached() : sum(Y.detached(), st);
  }
  const ResolvedTarget resolved = resolveTarget(target, net, summed, result.reductionLayer, observations);
  const int64_t N = static_cast<int64_t>(resolved.classes.size());

  // The map of every target, at the feature map's size: N arrays "S…CB"/"CBT" with C = 1.
  const std::vector<int> featureDims = mapDims(A.format());
  const int featureChannel = A.format().find('C');
  std::vector<Array> cams;
  result.classes.assign(static_cast<size_t>(N * observations), -1);
  result.scores.assign(static_cast<size_t>(N * observations), 0.0);
  for (int64_t n = 0; n < N; ++n) {
    // The score to differentiate: the sum over observations of each observation's score.
    // Observations do not interact, so d(score)/dA of an observation is that observation's own.
    Array score;
    auto accumulate = [&](const Array& s) { score = score.defined() ? score + s : s; };
    const auto& classes = resolved.classes[static_cast<size_t>(n)];
    const bool sameClass = std::all_of(classes.begin(), classes.end(), [&](int64_t c) { return c == classes[0]; });
    if (resolved.function) {
      for (int64_t b = 0; b < observations; ++b) {
        Array s = target.function()(observation(b));
        if (s.numel() != 1)
          fail("gradCAM: the reduction function must return a scalar (one element); it returned ",
               ActivationInfo{s.shape(), s.format()}.str());
        if (!s.isTraced())
          fail("gradCAM: the reduction function's result does not depend on its input (the reduction layer's output)");
        result.scores[static_cast<size_t>(n + N * b)] = s.item();
        accumulate(s);
      }
    } else if (sameClass) {
      accumulate(sum(selectChannels(Y, {classes[0]})));
    } else {
      for (int64_t b = 0; b < observations; ++b) accumulate(sum(selectChannels(observation(b), {classes[static_cast<size_t>(b)]})));
    }
    if (!resolved.function) {
      const Tensor s = summed.value().to(DType::Float64);
      const int64_t numClasses = summed.size(summed.format().find('C'));
      for (int64_t b = 0; b < observations; ++b)
        result.scores[static_cast<size_t>(n + N * b)] = s.data<double>()[classes[static_cast<size_t>(b)] + numClasses * b];
    }
    for (int64_t b = 0; b < observations; ++b) result.classes[static_cast<size_t>(n + N * b)] = classes[static_cast<size_t>(b)];

    Array dA = tape.gradient(score, A);
    PauseRecording pause;
    Array alpha = mean(dA, featureDims);                          // 1×…×K×B: one weight per channel
    Array cam = relu(sum(alpha * A.detached(), {featureChannel}));  // the map, C = 1
    cams.push_back(cam.dtype() == DType::Float32 ? cam : Array(cam.value().to(DType::Float32), cam.format()));
  }

  // Upsampling to the input's spatial (time) size, as MATLAB's imresize / imresize3.
  std::vector<int64_t> mapSize;
  for (int d : mapDims(x.format())) mapSize.push_back(x.size(d));
  if (options.upsampling != Upsampling::None) {
    ResizeOptions resizeOptions;
    resizeOptions.method = options.upsampling == Upsampling::Nearest ? ResizeMethod::Nearest : ResizeMethod::Cubic;
    PauseRecording pause;
    for (Array& cam : cams) cam = resize(cam, mapSize, resizeOptions);
  } else {
    mapSize.clear();
    for (int d : featureDims) mapSize.push_back(A.size(d));
  }

  // MATLAB's layout: h×w(×d)×N×B, or 1×t×N×B for sequences.
  std::vector<int64_t> dims = mapSize;
  if (A.format().spatialDims().empty()) dims.insert(dims.begin(), 1);
  int64_t positions = 1;
  for (int64_t s : mapSize) positions *= s;
  dims.push_back(N);
  dims.push_back(observations);
  result.map = Tensor(Shape(dims));
  float* out = result.map.data<float>();
  for (int64_t b = 0; b < observations; ++b)
    for (int64_t n = 0; n < N; ++n)
      copyObservation(cams[static_cast<size_t>(n)].value(), cams[static_cast<size_t>(n)].format(), b,
                      out + positions * (n + N * b));
  return result;
}

}  // namespace dlcam
