#!/usr/bin/env bash
# Creates the Python environment used ONLY to make reference values, fixtures and
# peer benchmarks (onnx, onnxruntime, h5py, keras). Graft itself never runs Python.
# The venv lives in .venv (or $GRAFT_VENV); prints its python's path.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${GRAFT_VENV:-$root/.venv}
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$root/scripts/requirements.txt" "$venv/.requirements"; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q --upgrade pip >&2
    "$venv/bin/pip" install -q -r "$root/scripts/requirements.txt" >&2
    cp "$root/scripts/requirements.txt" "$venv/.requirements"
fi
echo "$venv/bin/python"
