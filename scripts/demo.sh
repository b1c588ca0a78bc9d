#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds dlcam and runs its main job on the bundled default:
# `dlcam explain` on the shapes classifier (examples/shapes) for each sample image. The
# overlays (the Grad-CAM map of the predicted class over the image) go to build/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
model=examples/shapes/model.onnx
mkdir -p build/demo
./build/apps/dlcam info "$model"
for image in examples/shapes/samples/*.png; do
  echo
  ./build/apps/dlcam explain "$model" "$image" --labels examples/shapes/labels.txt \
    --out "build/demo/$(basename "$image" .png)-gradcam.png"
done
echo
echo "Overlays written to build/demo/. The map of each sample should sit on its shape."
