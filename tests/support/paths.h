// Where the tests find the source tree and the committed fixtures, wherever they are built.
#pragma once

#include <filesystem>

namespace dlcam::test {

// The repository's root (this file is tests/support/paths.h).
inline std::filesystem::path sourceDir() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
}

// tests/fixtures/: one folder of committed reference data per subject ("npy", "images"...).
inline std::filesystem::path fixturesDir() { return sourceDir() / "tests" / "fixtures"; }

}  // namespace dlcam::test
