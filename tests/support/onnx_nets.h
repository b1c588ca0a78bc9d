// Where the PyTorch reference nets of tools/export_torch_models.py are, for the tests that
// import them.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

#include "tests/support/paths.h"

namespace dlcam::test {

// The committed small nets, each a folder with model.onnx, input.npy and output.npy.
inline std::filesystem::path smallNetsDir() { return fixturesDir() / "onnx_nets"; }
inline constexpr const char* kSmallNets[] = {"seq_causal_ln", "conv3d_bn_pool", "grouped_depthwise",
                                             "residual_concat_regression", "mlp_ops"};
inline constexpr const char* kTorchvisionNets[] = {"resnet18", "squeezenet1_1", "mobilenet_v2"};

// The torchvision exports: $DLCAM_TORCH_EXPORTS, else build/torch_exports (scripts/test.sh
// writes them there). When they are missing: a failure if $DLCAM_REQUIRE_TORCH_EXPORTS is
// set (scripts/test.sh sets it), otherwise a DLCAM_SKIPPED line, which ctest reports as
// skipped (tests/CMakeLists.txt), and nullopt.
inline std::optional<std::filesystem::path> torchvisionExports() {
  const char* env = std::getenv("DLCAM_TORCH_EXPORTS");
  const std::filesystem::path root = env ? std::filesystem::path(env) : sourceDir() / "build" / "torch_exports";
  if (std::filesystem::is_directory(root / kTorchvisionNets[0])) return root;
  if (std::getenv("DLCAM_REQUIRE_TORCH_EXPORTS"))
    FAIL("no torchvision exports in " << root << "; run tools/export_torch_models.py --set full --out " << root);
  std::cout << "DLCAM_SKIPPED: no torchvision exports in " << root << " (scripts/test.sh generates them)\n";
  return std::nullopt;
}

}  // namespace dlcam::test
