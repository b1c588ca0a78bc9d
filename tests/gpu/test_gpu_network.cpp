// Whole networks on the GPU: Grad-CAM with the network moved there, against the CPU run of
// the same network and input; what a call copies between host and device; ExecutionEnvironment
// end to end; the memory pool across calls. (The PyTorch references run on the GPU in
// tests/gradcam/test_gradcam_reference.cpp and tests/io/test_onnx_torch_nets.cpp.)
#include <doctest/doctest.h>

#include <filesystem>

#include "dlcam.h"
#include "io/onnx/layout.h"
#include "kernels/dispatch.h"
#include "tests/support/gpu.h"
#include "tests/support/onnx_nets.h"
#include "tests/support/paths.h"

using namespace dlcam;
namespace fs = std::filesystem;

namespace {

Network demoNet() { return onnx::importNetwork((test::sourceDir() / "examples/shapes/model.onnx").string()); }

Array demoImage(int seed) {
  Network net = demoNet();
  const Shape size = net.inputLayer().inputInfo().size;  // h×w×c×1
  return test::randomArray32({size[0], size[1], size[2]}, "SSC", static_cast<unsigned>(seed), 0.0, 1.0);
}

// Host fallbacks that happened since `before`: the ops named, or empty.
std::string newFallbacks(const std::vector<kernels::HostFallback>& before) {
  std::string names;
  for (const auto& now : kernels::hostFallbacks()) {
    int64_t earlier = 0;
    for (const auto& b : before)
      if (b.op == now.op) earlier = b.calls;
    if (now.calls > earlier) names += " '" + now.op + "'";
  }
  return names;
}

}  // namespace

TEST_CASE("gpu: Grad-CAM of the demo network on the GPU equals the CPU's, for every upsampling") {
  DLCAM_REQUIRE_GPU();
  Network cpuNet = demoNet(), gpuNet = demoNet();
  gpuNet.to(Device::GPU);
  const Array X = demoImage(1);
  const auto before = kernels::hostFallbacks();
  for (Upsampling up : {Upsampling::None, Upsampling::Bicubic, Upsampling::Nearest}) {
    CAPTURE(upsamplingName(up));
    const GradCamResult expected = gradCAM(cpuNet, X, CamTarget::predicted(), {.upsampling = up,
                                                                               .executionEnvironment = ExecutionEnvironment::Cpu});
    const GradCamResult got = gradCAM(gpuNet, X, CamTarget::predicted(), {.upsampling = up,
                                                                          .executionEnvironment = ExecutionEnvironment::Gpu});
    CHECK(got.map.device() == Device::CPU);
    CHECK(got.classes == expected.classes);
    CHECK(got.featureLayer == expected.featureLayer);
    test::expectClose(got.map, expected.map, 1e-4, 1e-5 * test::maxAbs(expected.map), "map");
    REQUIRE(got.scores.size() == expected.scores.size());
    for (size_t i = 0; i < got.scores.size(); ++i) CHECK(got.scores[i] == doctest::Approx(expected.scores[i]).epsilon(1e-5));
  }
  const std::string fellBack = newFallbacks(before);
  CHECK_MESSAGE(fellBack.empty(), "ran on the CPU:" << fellBack);
}

TEST_CASE("gpu: with the network on the GPU, a Grad-CAM call copies only the input in and the results out") {
  DLCAM_REQUIRE_GPU();
  Network net = demoNet();
  net.to(Device::GPU);
  const Array X = demoImage(2);
  gradCAM(net, X, 0, {.executionEnvironment = ExecutionEnvironment::Gpu});  // warm-up
  resetTransferCounts();
  gradCAM(net, X, 0, {.executionEnvironment = ExecutionEnvironment::Gpu});
  const TransferCounts t = transferCounts();
  MESSAGE("one call: " << t.toGpu << " copies to the GPU (" << t.toGpuBytes << " bytes), " << t.toCpu
                       << " to the host (" << t.toCpuBytes << " bytes)");
  CHECK(t.toGpu == 1);                          // the image
  CHECK(t.toGpuBytes == X.numel() * 4);
  CHECK(t.toCpu <= 4);                          // the map, the scores, the output (and nothing per layer)
  // And the pool: repeated calls allocate nothing new from the driver.
  const int64_t allocations = gpuMemoryStats().deviceAllocations;
  for (int i = 0; i < 5; ++i) gradCAM(net, X, 0, {.executionEnvironment = ExecutionEnvironment::Gpu});
  CHECK(gpuMemoryStats().deviceAllocations == allocations);
}

TEST_CASE("gpu: ExecutionEnvironment auto uses the GPU, gpu works on a CPU network, cpu refuses a GPU network") {
  DLCAM_REQUIRE_GPU();
  Network net = demoNet();
  const Array X = demoImage(3);
  const GradCamResult onCpu = gradCAM(net, X, 1, {.executionEnvironment = ExecutionEnvironment::Cpu});
  resetTransferCounts();
  const GradCamResult automatic = gradCAM(net, X, 1);  // auto: the GPU, weights copied per call
  CHECK(transferCounts().toGpu > 1);
  test::expectClose(automatic.map, onCpu.map, 1e-4, 1e-5 * test::maxAbs(onCpu.map), "auto");
  const GradCamResult onGpu = gradCAM(net, X, 1, {.executionEnvironment = ExecutionEnvironment::Gpu});
  test::expectClose(onGpu.map, onCpu.map, 1e-4, 1e-5 * test::maxAbs(onCpu.map), "gpu");
  net.to(Device::GPU);
  CHECK_THROWS_WITH_AS(gradCAM(net, X, 1, {.executionEnvironment = ExecutionEnvironment::Cpu}),
                       doctest::Contains("ExecutionEnvironment is 'cpu' but the network's learnables are on the GPU"),
                       Error);
  // X already on the GPU is taken as it is.
  const GradCamResult fromGpuInput = gradCAM(net, toDevice(X, Device::GPU), 1);
  test::expectClose(fromGpuInput.map, onCpu.map, 1e-4, 1e-5 * test::maxAbs(onCpu.map), "gpu input");
}

TEST_CASE("gpu: every committed small net explains on the GPU as on the CPU, default layers, batch of 2") {
  DLCAM_REQUIRE_GPU();
  for (const char* name : test::kSmallNets) {
    CAPTURE(name);
    const fs::path dir = test::smallNetsDir() / name;
    Network cpuNet = onnx::importNetwork((dir / "model.onnx").string());
    Network gpuNet = onnx::importNetwork((dir / "model.onnx").string());
    gpuNet.to(Device::GPU);
    const Array x = onnx::fromOnnxOrder(Array(readNpy((dir / "input.npy").string()).to(DType::Float32)));
    test::expectSameOnGpu(gpuNet.predict(toDevice(x, Device::GPU)).value(), cpuNet.predict(x).value(), 1e-4, 1e-5,
                          std::string(name) + " predict");
    const InputLayer& input = cpuNet.inputLayer();
    if (dynamic_cast<const FeatureInputLayer*>(&input)) continue;  // no spatial input: no Grad-CAM
    const GradCamResult expected = gradCAM(cpuNet, x, CamTarget::predicted(), {.executionEnvironment = ExecutionEnvironment::Cpu});
    const GradCamResult got = gradCAM(gpuNet, x, CamTarget::predicted(), {.executionEnvironment = ExecutionEnvironment::Gpu});
    CHECK(got.classes == expected.classes);
    test::expectClose(got.map, expected.map, 1e-4, 1e-5 * test::maxAbs(expected.map), std::string(name) + " map");
  }
}
