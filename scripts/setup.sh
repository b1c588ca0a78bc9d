#!/usr/bin/env bash
# Installs what dlcam needs to build and test on Debian 12, from Debian packages only.
# Run as root (or with sudo). As another user it prints the exact command to run instead.
set -euo pipefail

# Build: compiler, CMake, Eigen, doctest, stb, Google Benchmark.
# Tests: PyTorch, torchvision and onnx make the reference exports (tools/export_torch_models.py);
# libonnx-testdata holds the ONNX conformance node tests. None of them is a run-time dependency.
# Examples and their tests: dataset-fashion-mnist (/usr/share/datasets/fashion-mnist) is the data
# the Fashion-MNIST classifier and the rotation regression are trained and tested on.
packages=(build-essential cmake libeigen3-dev doctest-dev libstb-dev libbenchmark-dev
  python3-numpy python3-torch python3-torchvision python3-onnx libonnx-testdata dataset-fashion-mnist)
# scripts/fuzz.sh passes --fuzz: clang with libFuzzer and its sanitizer runtimes, and LLVM's
# OpenMP for clang.
if [ "${1:-}" = "--fuzz" ]; then
  packages+=(clang libclang-rt-14-dev libomp-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present (${packages[*]})"
  exit 0
fi

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo bash -c "$cmd"
  else
    echo "setup: missing packages: ${missing[*]}" >&2
    echo "setup: run as root:  $cmd" >&2
    exit 1
  fi
else
  echo "setup: installing ${missing[*]}"
  bash -c "$cmd"
fi
