#!/usr/bin/env bash
# Trains every example model with dlcam from its fixed seed (the committed models come from
# exactly this), then makes the figures and the explanation-quality tables:
#
#   examples/train_all.sh              # all five, about 60 minutes on 2 cores
#   examples/train_all.sh rotation     # one of them
#
# Training logs go to build/train/<example>.log. Training is deterministic on a given
# machine and thread count: the same seed gives the same model file bit for bit there; on
# another CPU or thread count the float sums round differently and the metrics move a little.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh >/dev/null
# OpenMP threads that spin while they wait for work steal the core the other thread needs on a
# small shared machine; waiting passively made training 2–3× faster on 2 cores.
export OMP_WAIT_POLICY=passive
examples=("$@")
[ ${#examples[@]} -eq 0 ] && examples=(fashion_mnist rotation sequences shapes blobs)
mkdir -p build/train
for e in "${examples[@]}"; do
  echo "== training $e (log: build/train/$e.log)"
  "./build/examples/$e" train --out "examples/$e" | tee "build/train/$e.log"
done
bash examples/figures.sh
bash examples/evaluate.sh
