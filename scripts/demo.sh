#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds dlcam and runs its main job on the bundled default:
# `dlcam explain` on the shapes classifier (examples/shapes, trained by dlcam) for each sample
# image. The overlays (the Grad-CAM map of the predicted class over the image) go to build/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
model=examples/shapes/model.onnx
labels=examples/shapes/labels.txt
samples=examples/shapes/samples
mkdir -p build/demo
./build/apps/dlcam info "$model"
overlays=()
for image in "$samples"/*.png; do
  name=$(basename "$image")
  # samples/manifest.txt: file, true class (0-based), the shape's box
  truth=$(awk -v f="$name" '$1 == f { print $2 }' "$samples/manifest.txt")
  echo
  echo "== $name (true class: $(sed -n "$((truth + 1))p" "$labels"))"
  overlay="build/demo/${name%.png}-gradcam.png"
  ./build/apps/dlcam explain "$model" "$image" --labels "$labels" --out "$overlay"
  overlays+=("$overlay")
done
echo
echo "Overlays, the Grad-CAM map of the predicted class over each sample (it should sit on the shape):"
printf '  %s\n' "${overlays[@]}"
