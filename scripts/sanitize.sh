#!/usr/bin/env bash
# The doctest suite under AddressSanitizer (with leak detection) and UndefinedBehaviorSanitizer:
# a CPU build (-DDLCAM_SANITIZE=ON, no CUDA backend: the sanitizers do not see into GPU code) in
# build-asan/, then every test case of dlcam_tests. Any finding fails the run. .ci/run calls it
# after scripts/test.sh, whose setup and torchvision exports it reuses; alone, run
# scripts/setup.sh first. About 14 minutes to build and 5 to run on 2 cores.
# The ctest-only tests (the examples' training runs, the ONNX conformance runner) are not run
# here: they take the most time and run the same library code as the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-asan -DDLCAM_SANITIZE=ON -DDLCAM_CUDA=OFF -DDLCAM_BUILD_BENCH=OFF
cmake --build build-asan -j "$(nproc)" --target dlcam_tests
export DLCAM_TORCH_EXPORTS="${DLCAM_TORCH_EXPORTS:-$PWD/build/torch_exports}"
export OMP_WAIT_POLICY=passive ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
build-asan/tests/dlcam_tests --no-intro
