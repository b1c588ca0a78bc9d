#include "tests/support/gpu.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "kernels/dispatch.h"

namespace dlcam::test {

namespace {

// truth: the same value computed in float64 on the CPU, or undefined. An element outside the
// tolerance is still accepted when the GPU is at least as close to it as the CPU is: float32
// rounding on an ill-conditioned element (a layer-norm group of nearly equal values, say) is
// the CPU's error there, not the GPU's.
std::string compareDevices(const Tensor& gpu, const Tensor& cpu, double rtol, double atol, const std::string& what,
                           const Tensor& truth = Tensor()) {
  std::ostringstream out;
  if (!gpu.defined() || !cpu.defined()) {
    if (gpu.defined() != cpu.defined()) out << what << ": defined on one device only\n";
    return out.str();
  }
  if (gpu.device() != Device::GPU) out << what << ": the GPU run returned a " << deviceName(gpu.device()) << " tensor\n";
  if (gpu.shape() != cpu.shape()) {
    out << what << ": shape " << gpu.shape().str() << " on the GPU, " << cpu.shape().str() << " on the CPU\n";
    return out.str();
  }
  const Tensor g = gpu.to(Device::CPU).to(DType::Float64), c = cpu.to(DType::Float64);
  const double* a = g.data<double>();
  const double* e = c.data<double>();
  const Tensor t = truth.defined() && truth.shape() == cpu.shape() ? truth.to(DType::Float64) : Tensor();
  const double* r = t.defined() ? t.data<double>() : nullptr;
  double scale = 0;
  for (int64_t i = 0; i < c.numel(); ++i) scale = std::max(scale, std::abs(e[i]));
  int64_t worst = -1, bad = 0;
  double worstExcess = 0;
  for (int64_t i = 0; i < c.numel(); ++i) {
    const double diff = std::abs(a[i] - e[i]);
    const double allowed = atol * scale + rtol * std::abs(e[i]);
    const bool nanMismatch = std::isnan(a[i]) != std::isnan(e[i]);
    const bool gpuCloser = r && !nanMismatch && std::abs(a[i] - r[i]) <= std::abs(e[i] - r[i]);
    if (nanMismatch || (diff > allowed && !gpuCloser)) {
      ++bad;
      const double excess = nanMismatch ? INFINITY : diff - allowed;
      if (worst < 0 || excess > worstExcess) worst = i, worstExcess = excess;
    }
  }
  if (bad)
    out << what << ": " << bad << " of " << c.numel() << " elements differ; worst at " << worst << ": gpu "
        << a[worst] << ", cpu " << e[worst] << " (max |cpu| " << scale << ", rtol " << rtol << ", atol " << atol
        << ")\n";
  return out.str();
}

struct Run {
  Array y;
  std::vector<Array> grads;
};

Run run(const Function& f, const std::vector<Array>& xs, const Tensor& w, const std::vector<bool>& watch, bool gradients) {
  Run r;
  if (!gradients) {
    r.y = f(xs);
    return r;
  }
  Tape tape;
  std::vector<Array> in = xs, targets;
  for (size_t k = 0; k < in.size(); ++k)
    if (watch[k]) tape.watch(in[k]);
  r.y = f(in);
  const Array weights(w.to(r.y.dtype()).to(r.y.device()), r.y.format());
  const Array s = sum(multiply(r.y, weights));
  for (size_t k = 0; k < in.size(); ++k)
    if (watch[k]) targets.push_back(in[k]);
  std::vector<Array> found = targets.empty() ? std::vector<Array>{} : tape.gradient(s, targets);
  r.grads.resize(in.size());
  for (size_t k = 0, next = 0; k < in.size(); ++k)
    if (watch[k]) r.grads[k] = found[next++];
  return r;
}

}  // namespace

DeviceCheckOptions tolerances(double rtol, double atol) {
  DeviceCheckOptions o;
  o.rtol = rtol;
  o.atol = atol;
  return o;
}

DeviceCheckOptions watching(DeviceCheckOptions options, std::vector<bool> watch) {
  options.watch = std::move(watch);
  return options;
}

Array toGpu(const Array& x) { return Array(x.value().to(Device::GPU), x.format()); }

std::vector<Array> toGpu(const std::vector<Array>& xs) {
  std::vector<Array> out;
  for (const Array& x : xs) out.push_back(toGpu(x));
  return out;
}

std::string deviceReport(const Function& f, const std::vector<Array>& inputs, const DeviceCheckOptions& options) {
  std::vector<bool> watch = options.watch;
  watch.resize(inputs.size(), options.watch.empty());
  const std::vector<kernels::HostFallback> fallbacksBefore = kernels::hostFallbacks();

  const Run cpu = run(f, inputs, Tensor(), watch, false);
  const Array w = randomArray(cpu.y.shape(), "", 12345, 0.5, 1.5);
  const Run expected = run(f, inputs, w.value(), watch, options.gradients);
  const Run actual = run(f, toGpu(inputs), w.value(), watch, options.gradients);
  // For float32 inputs, the float64 CPU run is the truth both are measured against.
  bool float32 = false;
  for (const Array& x : inputs) float32 = float32 || x.dtype() == DType::Float32;
  Run truth;
  if (float32) {
    std::vector<Array> in64;
    for (const Array& x : inputs) in64.emplace_back(x.value().to(DType::Float64), x.format());
    try {
      truth = run(f, in64, w.value(), watch, options.gradients);
    } catch (const std::exception&) {  // a function that only takes float32: no truth to appeal to
      float32 = false;
    }
  }

  std::ostringstream out;
  if (actual.y.format() != expected.y.format())
    out << "output format " << actual.y.format().str() << " on the GPU, " << expected.y.format().str() << " on the CPU\n";
  out << compareDevices(actual.y.value(), expected.y.value(), options.rtol, options.atol, "output",
                        float32 ? truth.y.value() : Tensor());
  for (size_t k = 0; k < expected.grads.size(); ++k)
    out << compareDevices(actual.grads[k].value(), expected.grads[k].value(), options.rtol, options.atol,
                          "gradient of input " + std::to_string(k), float32 ? truth.grads[k].value() : Tensor());
  if (!options.allowHostFallback) {
    std::string fellBack;
    for (const kernels::HostFallback& now : kernels::hostFallbacks()) {
      auto before = std::find_if(fallbacksBefore.begin(), fallbacksBefore.end(),
                                 [&](const kernels::HostFallback& f) { return f.op == now.op; });
      if (before == fallbacksBefore.end() || before->calls < now.calls) fellBack += " '" + now.op + "'";
    }
    if (!fellBack.empty()) out << "ran on the CPU (no GPU kernel):" << fellBack << "\n";
  }
  return out.str();
}

bool checkOnGpu(const Function& f, const std::vector<Array>& inputs, const DeviceCheckOptions& options) {
  const std::string report = deviceReport(f, inputs, options);
  CHECK_MESSAGE(report.empty(), report);
  return report.empty();
}

double maxAbs(const Tensor& t) {
  const Tensor h = t.to(Device::CPU).to(DType::Float64);
  double m = 0;
  for (int64_t i = 0; i < h.numel(); ++i) m = std::max(m, std::abs(h.data<double>()[i]));
  return m;
}

bool expectSameOnGpu(const Tensor& gpu, const Tensor& cpu, double rtol, double atol, const std::string& what) {
  const std::string report = compareDevices(gpu, cpu, rtol, atol, what);
  CHECK_MESSAGE(report.empty(), report);
  return report.empty();
}

}  // namespace dlcam::test
