#!/usr/bin/env bash
# Configures and builds dlcam (Release, -march=native) into build/. Extra arguments go to
# CMake, e.g. scripts/build.sh -DDLCAM_ARCH=portable.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build -j "$(nproc)"
