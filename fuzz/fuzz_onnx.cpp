// libFuzzer target: ONNX model bytes → Network (fuzz/harness.h, onnxModel).
#include "fuzz/harness.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  dlcam::setMemoryCap(dlcam::fuzz::kMemoryCap);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dlcam::fuzz::onnxModel({data, size});
  return 0;
}
