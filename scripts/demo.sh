#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds dlcam and runs the demonstration.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
./build/apps/dlcam_demo "$@"
