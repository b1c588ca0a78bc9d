#!/usr/bin/env bash
# Copies the header-only build dependencies (Eigen, doctest, stb, with their CMake files) from
# this Debian machine's packages into .deps/usr, for a GPU machine that lacks them: the
# borrowed GPU machines have CUDA, cuDNN, CMake and PyTorch but no Debian -dev packages.
# scripts/gpu_check.sh uses .deps/usr when it exists. .deps/ is not committed (.gitignore).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
rm -rf .deps && mkdir -p .deps/usr/include .deps/usr/share .deps/usr/lib/cmake
cp -r /usr/include/eigen3 /usr/include/doctest /usr/include/stb .deps/usr/include/
cp -r /usr/share/eigen3 .deps/usr/share/
cp -r /usr/lib/cmake/doctest .deps/usr/lib/cmake/
du -sh .deps
