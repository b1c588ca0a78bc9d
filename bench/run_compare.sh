#!/usr/bin/env bash
# dlcam against PyTorch, from a fresh clone: installs the Debian packages (scripts/setup.sh),
# builds dlcam (scripts/build.sh), then runs bench/torch_compare.py with Debian's Python, which
# has torch. Arguments go to torch_compare.py (--threads, --runs, --nets, --quick, --help...).
# Takes about 15 minutes on a 2-core machine; results in build/bench/compare.json and .md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec /usr/bin/python3 bench/torch_compare.py "$@"
