// libFuzzer target: image file bytes → Image → tensor (fuzz/harness.h, imageFile).
#include "fuzz/harness.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  dlcam::setMemoryCap(dlcam::fuzz::kMemoryCap);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dlcam::fuzz::imageFile({data, size});
  return 0;
}
