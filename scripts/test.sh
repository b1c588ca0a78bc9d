#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds dlcam and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh "$@"
# Reference outputs of the torchvision nets, made by PyTorch (about 10 s, ~70 MB, not committed),
# and their PyTorch Grad-CAM maps (about 10 s).
export DLCAM_TORCH_EXPORTS="$PWD/build/torch_exports"
export DLCAM_REQUIRE_TORCH_EXPORTS=1
/usr/bin/python3 tools/export_torch_models.py --set full --out "$DLCAM_TORCH_EXPORTS"
/usr/bin/python3 tools/gradcam_reference.py --set full --exports "$DLCAM_TORCH_EXPORTS"
ctest --test-dir build --output-on-failure -j "$(nproc)"
