#!/usr/bin/env bash
# Runs dlcam's libFuzzer targets (fuzz/) for a time budget:
#
#   scripts/fuzz.sh SECONDS [TARGET...]     # TARGET: onnx npy image cli (default: all four)
#
# Installs clang (scripts/setup.sh --fuzz), builds the targets in build-fuzz/ (clang, -O1,
# libFuzzer coverage, AddressSanitizer with leak detection, UndefinedBehaviorSanitizer), seeds
# each corpus from the test fixtures, and runs every target for SECONDS seconds, as many at
# once as there are cores. The corpora grow in build-fuzz/corpus/<target>/ and are kept
# between runs. A crash, hang (over 30 s for one input), leak or out-of-memory input is saved
# in build-fuzz/findings/<target>/ and makes the script exit 1 (libFuzzer stops that target
# at its first finding); replay one with
# `build-fuzz/fuzz/fuzz_<target> FILE`, then add it to tests/fixtures/fuzz/<target>/, where
# tests/io/test_fuzz_regressions.cpp replays it on every test run.
set -euo pipefail
cd "$(dirname "$0")/.."
cores=$(nproc)  # before OMP_NUM_THREADS=1 below, which nproc obeys
seconds=${1:?usage: scripts/fuzz.sh SECONDS [onnx npy image cli]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(onnx npy image cli)

bash scripts/setup.sh --fuzz
CXX=clang++ cmake -S . -B build-fuzz -DDLCAM_FUZZ=ON -DDLCAM_CUDA=OFF -DDLCAM_BUILD_TESTS=OFF \
  -DDLCAM_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" >/dev/null
cmake --build build-fuzz -j "$cores" --target "${targets[@]/#/fuzz_}"

# Seeds: the fixtures each loader reads in the tests, the inputs that once crashed it, and
# for the command line a few argument lists (fuzz/seeds/).
seed() {  # seed TARGET FILE...
  local dir=build-fuzz/corpus/$1
  shift
  mkdir -p "$dir"
  for f in "$@"; do cp "$f" "$dir/seed-$(sha1sum "$f" | cut -c1-16)"; done
}
shopt -s nullglob
seed onnx tests/fixtures/onnx_proto/*.onnx tests/fixtures/onnx_nets/*/model.onnx examples/*/model.onnx
seed npy tests/fixtures/npy/*.npy tests/fixtures/onnx_nets/*/input.npy
seed image tests/fixtures/images/* fuzz/seeds/image/* examples/shapes/samples/shapes_000[0-3].png
seed cli fuzz/seeds/cli/*
for t in onnx npy image cli; do seed "$t" tests/fixtures/fuzz/"$t"/*; done

export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive DLCAM_FUZZ_FIXTURES=$PWD
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
run() {  # run TARGET: SECONDS of fuzzing, its log in build-fuzz/logs/TARGET.log
  local t=$1
  mkdir -p "build-fuzz/findings/$t" build-fuzz/logs
  local dict=()
  [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
  build-fuzz/fuzz/fuzz_"$t" -max_total_time="$seconds" -timeout=30 -report_slow_units=30 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="build-fuzz/findings/$t/" "${dict[@]}" "build-fuzz/corpus/$t" >"build-fuzz/logs/$t.log" 2>&1
}
echo "fuzz: ${targets[*]}, $seconds s each, $cores at a time; logs in build-fuzz/logs/"
mkdir -p build-fuzz/logs
touch build-fuzz/logs/.start  # findings newer than this are this run's
pids=()
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$cores" ]; do sleep 1; done
  run "$t" &
  pids+=("$!")
done
status=0
for i in "${!targets[@]}"; do wait "${pids[$i]}" || status=1; done

printf '%-6s %8s %12s %8s %8s  %s\n' target seconds executions exec/s corpus findings
for t in "${targets[@]}"; do
  log=build-fuzz/logs/$t.log
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
  findings=$(find "build-fuzz/findings/$t" -type f -newer build-fuzz/logs/.start | wc -l)
  printf '%-6s %8s %12s %8s %8s  %s\n' "$t" "${took:-?}" "${runs:-?}" "${rate:-?}" \
    "$(find "build-fuzz/corpus/$t" -type f | wc -l)" "$findings"
  [ "$findings" -eq 0 ] || status=1
done
exit $status
