#!/usr/bin/env bash
# The GPU check, on a machine with an NVIDIA GPU: builds dlcam with the CUDA backend, runs every
# GPU test (each compares the GPU with the CPU backend, or with PyTorch's references), runs the
# whole test suite with the GPU present, then benchmarks Grad-CAM on resnet50 against PyTorch on
# the same GPU (bench/gpu_compare.py). About 5 minutes on a 16-core H100 machine.
#
# It installs nothing: it needs CUDA (nvcc, cuBLAS), cuDNN (the system's, or the nvidia-cudnn
# wheel that PyTorch brings), CMake, g++ and PyTorch with torchvision and onnx. Eigen, doctest
# and stb come from the system or, where they are missing, from .deps/usr, which
# scripts/gpu_deps.sh fills on a Debian machine.
#
#   bash scripts/gpu_check.sh [OUTDIR] [--bench-only]
#       the log and the benchmark tables go to OUTDIR (default: $OUT, else build-gpu/check);
#       --bench-only builds dlcam-bench alone and runs the benchmark, without the tests
# Exit status: 0 when the build, the GPU tests and the benchmark all succeed.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-build-gpu/check}
bench_only=0
for arg in "$@"; do
  if [ "$arg" = "--bench-only" ]; then bench_only=1; else out=$arg; fi
done
mkdir -p "$out"
exec > >(tee "$out/gpu_check.log") 2>&1
failed=()
step() { echo; echo "== $* ($(date -u +%T))"; }

step "machine"
export PATH=/usr/local/cuda/bin:$PATH
export OMP_WAIT_POLICY=passive  # OpenMP threads sleep while the GPU works
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "nvidia-smi failed"
nvcc --version | tail -1
g++ --version | head -1
cmake --version | head -1
python3 -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda, 'cuDNN', torch.backends.cudnn.version())"

step "dependencies"
prefix=""
[ -d .deps/usr ] && prefix="$PWD/.deps/usr"
cudnn_root=""
if [ ! -e /usr/local/cuda/include/cudnn.h ] && [ ! -e /usr/include/cudnn.h ]; then
  cudnn_root=$(python3 -c "import nvidia.cudnn, os; print(list(nvidia.cudnn.__path__)[0])" 2>/dev/null || true)
  [ -n "$cudnn_root" ] && export LD_LIBRARY_PATH="$cudnn_root/lib:${LD_LIBRARY_PATH:-}"
fi
echo "headers from: ${prefix:-the system}; cuDNN from: ${cudnn_root:-the system}"

step "configure and build with CUDA"
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DDLCAM_BUILD_BENCH=OFF -DDLCAM_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES=native ${prefix:+-DCMAKE_PREFIX_PATH=$prefix} ${cudnn_root:+-DCUDNN_ROOT=$cudnn_root} \
  > "$out/configure.log" 2>&1
grep -E "CUDA backend|CMake Error" -A3 "$out/configure.log"
if ! grep -q "CUDA backend ON" "$out/configure.log"; then
  echo "gpu_check: CMake did not enable the CUDA backend (log: $out/configure.log)"
  exit 1
fi
targets="dlcam_tests dlcam_tool dlcam_bench"
[ $bench_only = 1 ] && targets=dlcam_bench
if ! cmake --build build-gpu -j "$(nproc)" --target $targets > "$out/build.log" 2>&1; then
  grep -E "error|Error" "$out/build.log" | head -40
  echo "gpu_check: the build failed (log: $out/build.log)"
  exit 1
fi
echo "built"

if [ $bench_only = 0 ]; then
step "torchvision references (resnet18, squeezenet1_1, mobilenet_v2: PyTorch outputs and Grad-CAM maps)"
export DLCAM_TORCH_EXPORTS="$PWD/build-gpu/torch_exports"
if python3 tools/export_torch_models.py --set full --out "$DLCAM_TORCH_EXPORTS" > "$out/exports.log" 2>&1 &&
   python3 tools/gradcam_reference.py --set full --exports "$DLCAM_TORCH_EXPORTS" >> "$out/exports.log" 2>&1; then
  echo "written to $DLCAM_TORCH_EXPORTS"
else
  tail -5 "$out/exports.log"
  echo "gpu_check: no torchvision references: their GPU tests skip"
fi

step "GPU tests (dlcam_tests -tc='gpu:*')"
build-gpu/tests/dlcam_tests -tc='gpu:*' --no-intro > "$out/gpu_tests.log" 2>&1
grep -B2 -A14 "ERROR:" "$out/gpu_tests.log" | head -150
grep "dlcam: note:" "$out/gpu_tests.log" | sort | uniq
grep -E "^\[doctest\] (test cases|assertions|Status)" "$out/gpu_tests.log"
grep -q "Status: SUCCESS" "$out/gpu_tests.log" || failed+=("GPU tests")
if grep -q "DLCAM_SKIPPED: no GPU" "$out/gpu_tests.log"; then
  echo "gpu_check: GPU tests were skipped: $(grep -m1 "DLCAM_SKIPPED: no GPU" "$out/gpu_tests.log")"
  failed+=("GPU tests skipped")
fi

step "the whole suite with the GPU present (ExecutionEnvironment 'auto' now picks it)"
# DLCAM_NO_PYTHON: this machine's /usr/bin/python3 is not Debian's with python3-onnx.
DLCAM_NO_PYTHON=1 timeout 150 build-gpu/tests/dlcam_tests --no-intro -tce='gpu:*' > "$out/all_tests.log" 2>&1
echo "exit status $?"; grep -E "^\[doctest\] (test cases|assertions|Status)" "$out/all_tests.log" || tail -5 "$out/all_tests.log"
grep -B2 -A12 "ERROR:" "$out/all_tests.log" | head -80

fi

step "benchmark: resnet50 Grad-CAM against PyTorch on this GPU"
if ! python3 bench/gpu_compare.py --dlcam-bench build-gpu/apps/dlcam-bench --out "$out" --work build-gpu/bench --runs 20; then
  failed+=("benchmark")
fi

step "done"
if [ ${#failed[@]} -gt 0 ]; then
  echo "gpu_check: FAILED: ${failed[*]}"
  exit 1
fi
echo "gpu_check: passed"
