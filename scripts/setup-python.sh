#!/usr/bin/env bash
# Creates the Python environment used ONLY to make reference values, fixtures and
# peer benchmarks (onnx, onnxruntime, h5py, keras). Graft itself never runs Python.
# The venv lives outside the clone so CI runs on one machine share it
# ($GRAFT_VENV, default ~/.cache/graft/venv); prints its python's path.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${GRAFT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/graft/venv}
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$root/scripts/requirements.txt" "$venv/.requirements"; then
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q --upgrade pip >&2
    "$venv/bin/pip" install -q -r "$root/scripts/requirements.txt" >&2
    cp "$root/scripts/requirements.txt" "$venv/.requirements"
fi
echo "$venv/bin/python"
