// The `dlcam` executable: see cli.h and docs/cli.md.
#include <iostream>
#include <string>
#include <vector>

#include "apps/dlcam/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return dlcam::runDlcam(std::move(args), std::cout, std::cerr);
}
