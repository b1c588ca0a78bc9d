// libFuzzer target: the `dlcam` command line, one argument per line of the input
// (fuzz/harness.h, CommandLine). DLCAM_FUZZ_FIXTURES names the dlcam source tree, whose
// examples/shapes model, labels and sample image the runs use.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "fuzz/harness.h"

namespace {
std::unique_ptr<dlcam::fuzz::CommandLine> g_cli;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  dlcam::setMemoryCap(dlcam::fuzz::kMemoryCap);
  const char* repo = std::getenv("DLCAM_FUZZ_FIXTURES");
  if (!repo) {
    std::fprintf(stderr, "fuzz_cli: set DLCAM_FUZZ_FIXTURES to the dlcam source tree\n");
    std::exit(1);
  }
  g_cli = std::make_unique<dlcam::fuzz::CommandLine>(repo, dlcam::fuzz::scratchPath("cli"));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 512) return -1;  // a command line, not a file
  return g_cli->run({data, size}) ? 0 : -1;
}
