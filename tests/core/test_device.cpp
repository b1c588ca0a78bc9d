// Devices: the host-side logic that works with or without a GPU (what a build without one
// says, how ExecutionEnvironment resolves, the dispatch's host fallback), and, when a GPU is
// present, counted transfers, the memory pool and the guards against reading device memory
// on the host.
#include <doctest/doctest.h>

#include <stdexcept>

#include "dlcam.h"
#include "kernels/dispatch.h"
#include "tests/support/gpu.h"

using namespace dlcam;

namespace {

template <typename F>
void throwsWith(F f, const std::string& fragment) {
  try {
    f();
    FAIL_CHECK("no exception; expected one containing '" << fragment << "'");
  } catch (const Error& e) {
    CHECK_MESSAGE(std::string(e.what()).find(fragment) != std::string::npos, e.what());
  }
}

Network tinyNet() {
  Network net;
  net.add(std::make_shared<FeatureInputLayer>("in", FeatureInputOptions{.channels = 3}));
  net.add(std::make_shared<FullyConnectedLayer>(
      "fc", FullyConnectedOptions{.weights = test::randomArray32({2, 3}, "", 1), .bias = test::randomArray32({2}, "", 2)}));
  net.initialize();
  return net;
}

}  // namespace

TEST_CASE("ExecutionEnvironment parses MATLAB's spellings and resolves to a device") {
  CHECK(parseExecutionEnvironment("auto") == ExecutionEnvironment::Auto);
  CHECK(parseExecutionEnvironment("cpu") == ExecutionEnvironment::Cpu);
  CHECK(parseExecutionEnvironment("gpu") == ExecutionEnvironment::Gpu);
  throwsWith([] { parseExecutionEnvironment("cuda"); }, "'auto', 'cpu' or 'gpu', got 'cuda'");
  CHECK(environmentName(ExecutionEnvironment::Gpu) == "gpu");

  CHECK(resolveEnvironment(ExecutionEnvironment::Cpu, Device::CPU, Device::CPU, "x") == Device::CPU);
  CHECK(resolveEnvironment(ExecutionEnvironment::Cpu, Device::GPU, Device::CPU, "x") == Device::CPU);  // data is moved
  throwsWith([] { resolveEnvironment(ExecutionEnvironment::Cpu, Device::CPU, Device::GPU, "predict"); },
             "predict: ExecutionEnvironment is 'cpu' but the network's learnables are on the GPU");
  const Device automatic = resolveEnvironment(ExecutionEnvironment::Auto, Device::CPU, Device::CPU, "x");
  CHECK(automatic == (gpuAvailable() ? Device::GPU : Device::CPU));
  if (gpuAvailable()) {
    CHECK(resolveEnvironment(ExecutionEnvironment::Gpu, Device::CPU, Device::CPU, "x") == Device::GPU);
  } else {
    throwsWith([] { resolveEnvironment(ExecutionEnvironment::Gpu, Device::CPU, Device::CPU, "gradCAM"); },
               "gradCAM with ExecutionEnvironment 'gpu' needs a GPU, but ");
  }
}

TEST_CASE("without a GPU, every way onto the GPU is a clear error naming the reason") {
  if (gpuAvailable()) return;  // the GPU tests below cover that machine
  const std::string reason = gpuUnavailableReason();
  CHECK(!reason.empty());
  CHECK(gpuDescription().empty());
  if (builtWithCuda())
    CHECK_MESSAGE(reason.find("CUDA device") != std::string::npos, reason);
  else
    CHECK_MESSAGE(reason.find("no CUDA backend") != std::string::npos, reason);
  throwsWith([] { Tensor::zeros(Shape{2, 2}, DType::Float32, Device::GPU); }, "a GPU tensor needs a GPU, but " + reason);
  throwsWith([] { Tensor::full(Shape{3}, 1.0).to(Device::GPU); }, "needs a GPU, but");
  Network net = tinyNet();
  throwsWith([&] { net.to(Device::GPU); }, "Network::to(Device::GPU) needs a GPU, but");
  CHECK(net.device() == Device::CPU);
  throwsWith([&] { toDevice(test::randomArray32({3, 1}, "CB", 3), Device::GPU); }, "needs a GPU");
  // Moving to where a value already is costs nothing and counts nothing.
  resetTransferCounts();
  Tensor t = Tensor::full(Shape{4}, 2.0);
  CHECK(t.to(Device::CPU).data<float>() == t.data<float>());
  CHECK(transferCounts().toGpu == 0);
  CHECK(transferCounts().toCpu == 0);
  CHECK(gpuMemoryStats().deviceAllocations == 0);
}

TEST_CASE("gpu: transfers are counted and round-trip the values") {
  DLCAM_REQUIRE_GPU();
  MESSAGE("GPU: " << gpuDescription());
  const Tensor host = test::randomArray({5, 7, 3}, "", 4).value();
  resetTransferCounts();
  const Tensor gpu = host.to(Device::GPU);
  CHECK(gpu.device() == Device::GPU);
  CHECK(transferCounts().toGpu == 1);
  CHECK(transferCounts().toGpuBytes == 5 * 7 * 3 * 8);
  const Tensor back = gpu.to(Device::CPU);
  CHECK(transferCounts().toCpu == 1);
  for (int64_t i = 0; i < host.numel(); ++i) REQUIRE(back.at(i) == host.at(i));
  // On the device: clone, dtype conversion and one-element reads.
  const Tensor copy = gpu.clone();
  CHECK(copy.device() == Device::GPU);
  const Tensor f32 = gpu.to(DType::Float32);
  CHECK(f32.device() == Device::GPU);
  CHECK(f32.at(11) == static_cast<double>(static_cast<float>(host.at(11))));
  CHECK(copy.at(20) == host.at(20));
  CHECK(Tensor::zeros(Shape{3}, DType::Float64, Device::GPU).at(2) == 0.0);
  CHECK(Tensor::full(Shape{3}, 1.5, DType::Float32, Device::GPU).at(1) == 1.5);
}

TEST_CASE("gpu: host code cannot read device memory by mistake, nor kernels host memory") {
  DLCAM_REQUIRE_GPU();
  Tensor gpu = Tensor::zeros(Shape{4}, DType::Float32, Device::GPU);
  CHECK_THROWS_AS(gpu.data<float>(), std::logic_error);
  Tensor host = Tensor::zeros(Shape{4});
  CHECK_THROWS_AS(host.deviceData<float>(), std::logic_error);
  CHECK(gpu.deviceData<float>() != nullptr);
}

TEST_CASE("gpu: the memory pool reuses freed blocks instead of calling cudaMalloc") {
  DLCAM_REQUIRE_GPU();
  for (int i = 0; i < 3; ++i) Tensor warm = Tensor::empty(Shape{1000, 1000}, DType::Float32, Device::GPU);
  const GpuMemoryStats before = gpuMemoryStats();
  for (int i = 0; i < 100; ++i) {
    Tensor t = Tensor::empty(Shape{1000, 1000}, DType::Float32, Device::GPU);
    Tensor u = Tensor::empty(Shape{10}, DType::Float32, Device::GPU);
  }
  const GpuMemoryStats after = gpuMemoryStats();
  CHECK(after.deviceAllocations <= before.deviceAllocations + 1);  // at most the small block is new
  CHECK(after.inUseBytes == before.inUseBytes);
  releaseCachedGpuMemory();
  CHECK(gpuMemoryStats().cachedBytes == 0);
}

TEST_CASE("gpu: an op without a GPU kernel runs on the host, once announced, and returns to the GPU") {
  DLCAM_REQUIRE_GPU();
  const Tensor x = test::randomArray({3, 4}, "", 5).value();
  auto twice = [](const Tensor& t) {
    Tensor out = t.clone();
    double* p = out.data<double>();
    for (int64_t i = 0; i < out.numel(); ++i) p[i] *= 2;
    return out;
  };
  const Tensor y = kernels::hostFallback("test: twice", twice, x.to(Device::GPU));
  kernels::hostFallback("test: twice", twice, x.to(Device::GPU));
  CHECK(y.device() == Device::GPU);
  CHECK(y.at(7) == 2 * x.at(7));
  int64_t calls = 0;
  for (const auto& f : kernels::hostFallbacks())
    if (f.op == "test: twice") calls = f.calls;
  CHECK(calls == 2);
}

TEST_CASE("gpu: a network moved to the GPU predicts there, and ExecutionEnvironment cpu then refuses it") {
  DLCAM_REQUIRE_GPU();
  Network net = tinyNet();
  const Array x = test::randomArray32({3, 4}, "CB", 6);
  const Array expected = net.predict(x);
  net.to(Device::GPU);
  CHECK(net.device() == Device::GPU);
  const Array y = net.predict(toDevice(x, Device::GPU));
  CHECK(y.device() == Device::GPU);
  test::expectSameOnGpu(y.value(), expected.value(), 1e-5, 1e-6, "predict");
  throwsWith([&] { resolveEnvironment(ExecutionEnvironment::Cpu, Device::CPU, net.device(), "predict"); },
             "ExecutionEnvironment is 'cpu' but the network's learnables are on the GPU");
  net.to(Device::CPU);
  CHECK(net.device() == Device::CPU);
}

TEST_CASE("gpu: the tape returns each gradient on its own array's device") {
  DLCAM_REQUIRE_GPU();
  // A CPU weight used with a GPU activation: the product runs on the GPU, the weight's
  // gradient comes back to the CPU, the activation's stays on the GPU.
  Array w = test::randomArray({3, 1}, "CB", 7);
  Array x = toDevice(test::randomArray({3, 4}, "CB", 8), Device::GPU);
  Tape tape;
  tape.watch(w);
  tape.watch(x);
  const Array s = sum(multiply(w, x));
  const std::vector<Array> g = tape.gradient(s, {w, x});
  CHECK(g[0].device() == Device::CPU);
  CHECK(g[1].device() == Device::GPU);
  // d(Σ w·x)/dw = Σ over B of x.
  const Tensor xs = x.value().to(Device::CPU);
  for (int64_t c = 0; c < 3; ++c) {
    double expected = 0;
    for (int64_t b = 0; b < 4; ++b) expected += xs.at(c + 3 * b);
    CHECK(g[0].value().at(c) == doctest::Approx(expected).epsilon(1e-12));
  }
}
