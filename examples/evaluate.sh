#!/usr/bin/env bash
# Measures explanation quality on the three localisation sets (run after scripts/build.sh):
# writes each example's test set with its true regions to build/sets/<example>/ and runs
# `dlcam evaluate` on the committed model: pointing game (Grad-CAM, random and centre maps),
# deletion and insertion areas, and the cascading-randomisation sanity check. The tables go to
# the terminal and to build/quality/<example>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_WAIT_POLICY=passive
mkdir -p build/quality
for e in shapes blobs sequences; do
  "./build/examples/$e" test-set --out "build/sets/$e"
  ./build/apps/dlcam evaluate "examples/$e/model.onnx" --set "build/sets/$e/manifest.txt" | tee "build/quality/$e.txt"
  echo
done
