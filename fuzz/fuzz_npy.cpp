// libFuzzer target: .npy bytes → readNpy (fuzz/harness.h, npyArray).
#include "fuzz/harness.h"

namespace {
std::string g_scratch;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  dlcam::setMemoryCap(dlcam::fuzz::kMemoryCap);
  g_scratch = dlcam::fuzz::scratchPath("npy").string() + ".npy";
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dlcam::fuzz::npyArray({data, size}, g_scratch);
  return 0;
}
