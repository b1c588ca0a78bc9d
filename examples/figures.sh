#!/usr/bin/env bash
# Makes the example figures in docs/images/ from the committed models (run after
# scripts/build.sh): Grad-CAM on Fashion-MNIST, the rotation regression with a reduction
# function, the sequence classifier, the shapes and the 3-D blobs.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs/images
for e in fashion_mnist rotation sequences shapes blobs; do
  "./build/examples/$e" figure --model "examples/$e/model.onnx" --out "docs/images/$e.png"
done
