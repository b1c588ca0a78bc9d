#include "gradcam/quality.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "autodiff/reduce.h"
#include "autodiff/shape_ops.h"
#include "core/error.h"

namespace dlcam {

namespace {

// The map's values in float64, column-major.
std::vector<double> values(const Tensor& map) {
  const Tensor v = map.to(Device::CPU).to(DType::Float64);
  return std::vector<double>(v.data<double>(), v.data<double>() + v.numel());
}

// "(12, 30)…(27, 44)": a region as errors show it.
std::string regionText(const datasets::Region& region) {
  auto list = [](const std::vector<int64_t>& v) {
    std::string text = "(";
    for (size_t i = 0; i < v.size(); ++i) text += (i ? ", " : "") + std::to_string(v[i]);
    return text + ")";
  };
  return list(region.first) + "…" + list(region.last);
}

// Whether the region is over the time steps of a 1×t map (one dimension, t), rather than one
// index per map dimension.
bool regionOverTime(const datasets::Region& region, const std::vector<int64_t>& mapSize) {
  return region.first.size() == 1 && mapSize.size() == 2 && mapSize[0] == 1;
}

// The map's dimensions for a region of `regionDims` dimensions: 1×t for a region over the
// time steps of a map whose first dimension is 1, else the map's first `regionDims`. Any
// further dimensions (gradCAM's N and B) must be 1.
std::vector<int64_t> mapSizeFor(const Tensor& map, size_t regionDims) {
  const std::vector<int64_t>& dims = map.shape().dims();
  const size_t rank = regionDims == 1 && dims.size() >= 2 && dims[0] == 1 ? 2 : regionDims;
  if (dims.size() < rank || std::any_of(dims.begin() + static_cast<std::ptrdiff_t>(rank), dims.end(),
                                        [](int64_t d) { return d != 1; }))
    fail("pointingHit: a region of ", regionDims, " dimension", regionDims == 1 ? "" : "s",
         " does not fit a map of size ", map.shape().str(), " (h×w, h×w×d or 1×t, then sizes of 1)");
  return {dims.begin(), dims.begin() + static_cast<std::ptrdiff_t>(rank)};
}

// The linear (column-major) index of the largest value; NaN never wins, ties go to the first.
int64_t peakIndex(const std::vector<double>& v) {
  int64_t best = -1;
  for (size_t i = 0; i < v.size(); ++i)
    if (!std::isnan(v[i]) && (best < 0 || v[i] > v[static_cast<size_t>(best)])) best = static_cast<int64_t>(i);
  return std::max<int64_t>(best, 0);
}

// ---- Perturbation ----------------------------------------------------------------------------

// One observation's layout: element (position p, channel c) is at p·positionStride +
// c·channelStride. Positions are the spatial positions column-major (S…CB) or the time steps
// (CBT).
struct InputLayout {
  DimFormat format;                 // with B (= 1)
  std::vector<int64_t> dims;        // with B
  std::vector<int64_t> mapSize;     // h×w, h×w×d or 1×t
  int64_t positions = 0, channels = 0;
  int64_t positionStride = 0, channelStride = 0;
  bool sequence = false;
};

// x's layout, with a B dimension of 1 (added after C when missing).
InputLayout observationLayout(const Array& x) {
  InputLayout l;
  l.format = x.format();
  l.dims = x.shape().dims();
  const int c = l.format.find('C');
  const std::string f = l.format.str();
  const bool known = f == "SSC" || f == "SSCB" || f == "SSSC" || f == "SSSCB" || f == "CT" || f == "CBT";
  if (!known)
    fail("perturbationCurves: x must be one observation labelled SSC(B), SSSC(B) or C(B)T, got ", f, " (",
         x.shape().str(), ")");
  if (l.format.find('B') < 0) {
    std::string labels = f;
    labels.insert(static_cast<size_t>(c + 1), "B");
    l.dims.insert(l.dims.begin() + c + 1, 1);
    l.format = DimFormat(labels);
  }
  const int b = l.format.find('B');
  if (l.dims[static_cast<size_t>(b)] != 1)
    fail("perturbationCurves: x must be one observation, got ", l.dims[static_cast<size_t>(b)], " (", x.shape().str(),
         " ", f, ")");
  l.channels = l.dims[static_cast<size_t>(l.format.find('C'))];
  l.sequence = l.format.find('T') >= 0;
  if (l.sequence) {
    l.positions = l.dims[static_cast<size_t>(l.format.find('T'))];
    l.mapSize = {1, l.positions};
    l.positionStride = l.channels;  // C×1×T
    l.channelStride = 1;
  } else {
    for (int d : l.format.spatialDims()) l.mapSize.push_back(l.dims[static_cast<size_t>(d)]);
    l.positions = x.numel() / l.channels;
    l.positionStride = 1;  // S…×C×1
    l.channelStride = l.positions;
  }
  return l;
}

// The class score of each observation of a layer's output: channel `classIndex` summed over the
// spatial and time dimensions.
std::vector<double> classScores(const Array& y, int64_t classIndex, const std::string& layer, int64_t observations) {
  const int c = y.format().find('C');
  if (c < 0)
    fail("perturbationCurves: layer '", layer, "' outputs ", ActivationInfo{y.shape(), y.format()}.str(),
         " without a channel (C) dimension, so it has no class scores");
  if (classIndex < 0 || classIndex >= y.size(c))
    fail("perturbationCurves: class index ", classIndex, " is out of range: layer '", layer, "' has ", y.size(c),
         " classes (0 to ", y.size(c) - 1, ")");
  Array s = selectChannels(y, {classIndex});
  const std::vector<int> st = s.format().dimsOf("ST");
  if (!st.empty()) s = sum(s, st);
  if (s.numel() != observations)
    fail("perturbationCurves: layer '", layer, "' outputs ", ActivationInfo{y.shape(), y.format()}.str(),
         ", which does not keep the ", observations, " observations of a batch apart");
  return values(s.value());
}

}  // namespace

// ---- Pointing game ------------------------------------------------------------------------------

std::vector<int64_t> mapPeak(const Tensor& map) {
  if (map.numel() == 0) fail("mapPeak: the map is empty (", map.shape().str(), ")");
  int64_t linear = peakIndex(values(map));
  std::vector<int64_t> position;
  for (int64_t size : map.shape().dims()) {
    position.push_back(linear % size);
    linear /= size;
  }
  return position;
}

void checkRegion(const datasets::Region& region, const std::vector<int64_t>& mapSize, const std::string& what) {
  const size_t dims = region.first.size();
  if (region.last.size() != dims || dims == 0)
    fail(what, " ", regionText(region), " needs as many first as last indices, and at least one");
  const bool overTime = regionOverTime(region, mapSize);
  if (dims != mapSize.size() && !overTime)
    fail(what, " ", regionText(region), " has ", dims, " dimension", dims == 1 ? "" : "s", ", but the map is ",
         detail::sizesText(mapSize), mapSize.size() == 2 && mapSize[0] == 1 ? " (1×t: give one, t)" : "");
  for (size_t d = 0; d < dims; ++d) {
    const int64_t size = mapSize[overTime ? 1 : d];
    if (region.first[d] < 0 || region.first[d] > region.last[d] || region.last[d] >= size)
      fail(what, " ", regionText(region), " does not fit inside the ", detail::sizesText(mapSize),
           " map: dimension ", d + 1, " takes indices 0 to ", size - 1);
  }
}

bool pointingHit(const Tensor& map, const datasets::Region& region, double tolerance) {
  if (!(tolerance >= 0)) fail("pointingHit: the tolerance must be 0 or more, got ", tolerance);
  const std::vector<int64_t> size = mapSizeFor(map, region.first.size());
  checkRegion(region, size, "pointingHit: the region");
  std::vector<int64_t> peak = mapPeak(map);
  if (regionOverTime(region, size)) peak.erase(peak.begin());  // (0, t) → (t)
  double squared = 0;  // the squared distance from the peak to the nearest position inside
  for (size_t d = 0; d < region.first.size(); ++d) {
    const int64_t outside = std::max({region.first[d] - peak[d], peak[d] - region.last[d], int64_t{0}});
    squared += static_cast<double>(outside * outside);
  }
  return squared <= tolerance * tolerance;
}

Tensor randomMap(const std::vector<int64_t>& size, Random& rng) {
  Tensor map{Shape(size)};
  float* v = map.data<float>();
  for (int64_t i = 0; i < map.numel(); ++i) v[i] = static_cast<float>(rng.uniform());
  return map;
}

Tensor centreBiasMap(const std::vector<int64_t>& size) {
  Tensor map{Shape(size)};
  float* v = map.data<float>();
  for (int64_t i = 0; i < map.numel(); ++i) {
    int64_t rest = i;
    double r2 = 0;
    for (int64_t n : size) {
      const double z = static_cast<double>(rest % n - n / 2) / (static_cast<double>(n) / 4);
      r2 += z * z;
      rest /= n;
    }
    v[i] = static_cast<float>(std::exp(-0.5 * r2));
  }
  return map;
}

// ---- Deletion and insertion -----------------------------------------------------------------

std::vector<int64_t> importanceOrder(const Tensor& map) {
  const std::vector<double> v = values(map);
  std::vector<int64_t> order(v.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    const double x = v[static_cast<size_t>(a)], y = v[static_cast<size_t>(b)];
    if (std::isnan(x) || std::isnan(y)) return !std::isnan(x) && std::isnan(y);
    return x > y;
  });
  return order;
}

double curveArea(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) fail("curveArea: ", x.size(), " x values but ", y.size(), " y values");
  double area = 0;
  for (size_t i = 1; i < x.size(); ++i) area += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2;
  return area;
}

PerturbationCurves perturbationCurves(const Network& net, const Array& x, const Tensor& map, int64_t classIndex,
                                      const PerturbationOptions& options) {
  if (options.steps < 1) fail("perturbationCurves: steps must be at least 1, got ", options.steps);
  if (options.batchSize < 1) fail("perturbationCurves: batchSize must be at least 1, got ", options.batchSize);
  const InputLayout l = observationLayout(x);
  const Tensor input = x.value().to(Device::CPU).to(DType::Float32);
  const int64_t P = l.positions, C = l.channels;
  std::vector<int64_t> mapDims = map.shape().dims();
  while (mapDims.size() > l.mapSize.size() && mapDims.back() == 1) mapDims.pop_back();
  if (mapDims != l.mapSize)
    fail("perturbationCurves: the map is ", map.shape().str(), " but the input's positions are ",
         detail::sizesText(l.mapSize), " (", x.shape().str(), " ", x.format().str(), ")");
  const std::string layer = options.reductionLayer.empty() ? net.outputLayer().name() : options.reductionLayer;

  // The baseline: each channel's mean over the positions.
  const float* xv = input.data<float>();
  std::vector<float> baseline(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) {
    double total = 0;
    for (int64_t p = 0; p < P; ++p) total += xv[p * l.positionStride + c * l.channelStride];
    baseline[static_cast<size_t>(c)] = static_cast<float>(total / static_cast<double>(P));
  }
  // rank[p]: where position p comes in the order of importance (0: the most important).
  std::vector<int64_t> rank(static_cast<size_t>(P));
  const std::vector<int64_t> order = importanceOrder(map);
  for (int64_t j = 0; j < P; ++j) rank[static_cast<size_t>(order[static_cast<size_t>(j)])] = j;

  const int64_t points = options.steps + 1;
  std::vector<int64_t> changed(static_cast<size_t>(points));  // k_i = round(i·P / steps)
  PerturbationCurves curves;
  for (int64_t i = 0; i < points; ++i) {
    changed[static_cast<size_t>(i)] = (2 * i * P + options.steps) / (2 * options.steps);
    curves.fractions.push_back(static_cast<double>(changed[static_cast<size_t>(i)]) / static_cast<double>(P));
  }

  // The scores of points [0, points) of one curve: at point i, a position among the k_i most
  // important takes its value from `top`, any other from `rest` (x or the baseline).
  auto curve = [&](bool deletion) {
    std::vector<double> scores;
    for (int64_t first = 0; first < points; first += options.batchSize) {
      const int64_t n = std::min(options.batchSize, points - first);
      std::vector<int64_t> dims = l.dims;
      dims[static_cast<size_t>(l.format.find('B'))] = n;
      Tensor batch{Shape(dims)};
      float* out = batch.data<float>();
      for (int64_t b = 0; b < n; ++b) {
        const int64_t k = changed[static_cast<size_t>(first + b)];
        for (int64_t p = 0; p < P; ++p) {
          const bool useBaseline = (rank[static_cast<size_t>(p)] < k) == deletion;
          for (int64_t c = 0; c < C; ++c) {
            const int64_t at = l.sequence ? c + C * (b + n * p) : p + P * (c + C * b);
            out[at] = useBaseline ? baseline[static_cast<size_t>(c)] : xv[p * l.positionStride + c * l.channelStride];
          }
        }
      }
      const Array y = net.predict(Array(batch.to(net.device()), l.format), {layer})[0];
      const std::vector<double> s = classScores(y, classIndex, layer, n);
      scores.insert(scores.end(), s.begin(), s.end());
    }
    return scores;
  };
  curves.deletion = curve(true);
  curves.insertion = curve(false);
  curves.deletionArea = curveArea(curves.fractions, curves.deletion);
  curves.insertionArea = curveArea(curves.fractions, curves.insertion);
  return curves;
}

// ---- Sanity check -----------------------------------------------------------------------------

double spearman(const Tensor& a, const Tensor& b) {
  if (a.numel() != b.numel())
    fail("spearman: the two sets differ in size: ", a.shape().str(), " and ", b.shape().str());
  auto ranks = [](const Tensor& t) {
    const std::vector<double> v = values(t);
    for (size_t i = 0; i < v.size(); ++i)
      if (std::isnan(v[i])) fail("spearman: value ", i, " is NaN");
    std::vector<size_t> order(v.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t i, size_t j) { return v[i] < v[j]; });
    std::vector<double> r(v.size());
    for (size_t start = 0; start < order.size();) {
      size_t end = start + 1;  // [start, end): one group of equal values
      while (end < order.size() && v[order[end]] == v[order[start]]) ++end;
      const double mean = (static_cast<double>(start + end - 1)) / 2 + 1;  // ranks are 1-based
      for (size_t k = start; k < end; ++k) r[order[k]] = mean;
      start = end;
    }
    return r;
  };
  const std::vector<double> ra = ranks(a), rb = ranks(b);
  const size_t n = ra.size();
  if (n < 2) return std::numeric_limits<double>::quiet_NaN();
  const double mean = static_cast<double>(n + 1) / 2;  // the mean of any n ranks
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < n; ++i) {
    sab += (ra[i] - mean) * (rb[i] - mean);
    saa += (ra[i] - mean) * (ra[i] - mean);
    sbb += (rb[i] - mean) * (rb[i] - mean);
  }
  if (saa == 0 || sbb == 0) return std::numeric_limits<double>::quiet_NaN();
  return sab / std::sqrt(saa * sbb);
}

LearnablesGuard::LearnablesGuard(Network& net) : net_(net) {
  for (size_t i = 0; i < net.numLayers(); ++i) saved_.push_back(net.layer(i).learnables());
}

LearnablesGuard::~LearnablesGuard() {
  for (size_t i = 0; i < saved_.size(); ++i) std::swap(net_.layer(i).learnables(), saved_[i]);
}

std::vector<std::string> randomisationOrder(const Network& net) {
  std::vector<std::string> names;
  for (size_t i = net.numLayers(); i-- > 0;) {
    const std::vector<Parameter>& learnables = net.layer(i).learnables();
    if (std::any_of(learnables.begin(), learnables.end(), [](const Parameter& p) { return p.name == "Weights"; }))
      names.push_back(net.layer(i).name());
  }
  return names;
}

void randomiseLearnables(Layer& layer, Random& rng) {
  for (Parameter& p : layer.learnables()) {
    const std::vector<double> v = values(p.value.value());
    if (v.empty() || std::all_of(v.begin(), v.end(), [&](double x) { return x == v[0]; })) continue;
    double mean = 0, variance = 0;
    for (double x : v) mean += x;
    mean /= static_cast<double>(v.size());
    for (double x : v) variance += (x - mean) * (x - mean);
    const double deviation = std::sqrt(variance / static_cast<double>(v.size()));
    Tensor drawn(p.value.shape(), DType::Float64);
    for (int64_t i = 0; i < drawn.numel(); ++i) drawn.data<double>()[i] = rng.normal(mean, deviation);
    p.value = Array(drawn.to(p.value.dtype()).to(p.value.device()), p.value.format());
  }
}

std::vector<RandomisationStep> cascadingRandomisation(Network& net, const std::vector<Array>& inputs,
                                                      const std::vector<int64_t>& classes,
                                                      const RandomisationOptions& options) {
  if (inputs.empty()) fail("cascadingRandomisation: no inputs");
  if (inputs.size() != classes.size())
    fail("cascadingRandomisation: ", inputs.size(), " inputs but ", classes.size(), " classes (one per input)");
  auto maps = [&] {
    std::vector<Tensor> all;
    for (size_t i = 0; i < inputs.size(); ++i) all.push_back(gradCAM(net, inputs[i], classes[i], options.gradcam).map);
    return all;
  };
  const std::vector<Tensor> original = maps();

  const LearnablesGuard guard(net);
  Random rng(options.seed);
  std::vector<RandomisationStep> steps;
  for (const std::string& name : randomisationOrder(net)) {
    randomiseLearnables(net.layer(name), rng);
    RandomisationStep step;
    step.layer = name;
    const std::vector<Tensor> randomised = maps();
    for (size_t i = 0; i < inputs.size(); ++i) {
      const double rho = spearman(original[i], randomised[i]);
      step.constantMaps += std::isnan(rho);
      step.rho.push_back(std::isnan(rho) ? 0.0 : rho);
    }
    step.meanRho = std::accumulate(step.rho.begin(), step.rho.end(), 0.0) / static_cast<double>(step.rho.size());
    steps.push_back(std::move(step));
  }
  return steps;
}

}  // namespace dlcam
