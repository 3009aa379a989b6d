"""Checks exported Keras .h5 files with Keras itself, for the Keras export tests.

For each pair ORIGINAL EXPORTED: `keras.models.load_model(EXPORTED)` must load,
and its output on a seeded input is compared with the ORIGINAL model's output:
  - a Keras file (.h5, .keras) is loaded with keras.models.load_model; a
    weights-only file is given as WEIGHTS.weights.h5::CONFIG.json;
  - an .onnx file runs in onnxruntime on the same input transposed NHWC -> NCHW.
Prints one JSON object: {exported: {"loaded": "ok" | message, "max_abs_diff": float,
"scale": float, "layers": int, "trainable_params": int, "non_trainable_params": int}}.
Usage: check_keras_export.py ORIGINAL EXPORTED [ORIGINAL EXPORTED ...]
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np


def keras_original(spec):
    if "::" in spec:
        weights, config = spec.split("::")
        with open(config) as f:
            model = keras.models.model_from_json(f.read())
        model.load_weights(weights)
    else:
        model = keras.models.load_model(spec, compile=False)
    return lambda x: np.asarray(model(x, training=False))


def onnx_original(path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda x: session.run(None, {name: np.ascontiguousarray(x.transpose(0, 3, 1, 2))})[0]


def count(weights):
    return int(sum(np.prod(w.shape) for w in weights))


result = {}
args = sys.argv[1:]
for original, exported in zip(args[0::2], args[1::2]):
    entry = {}
    try:
        model = keras.models.load_model(exported, compile=False)
        entry["loaded"] = "ok"
    except Exception as e:  # the message is what the test shows
        entry["loaded"] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        result[exported] = entry
        continue
    entry["layers"] = len(model.layers)
    entry["trainable_params"] = count(model.trainable_weights)
    entry["non_trainable_params"] = count(model.non_trainable_weights)
    rng = np.random.default_rng(2026)
    x = rng.uniform(-1, 1, (2, *model.inputs[0].shape[1:])).astype("float32")
    reference = onnx_original(original) if original.endswith(".onnx") else keras_original(original)
    want = reference(x)
    got = np.asarray(model(x, training=False))
    entry["max_abs_diff"] = float(np.max(np.abs(want - got)))
    entry["scale"] = float(np.max(np.abs(want)))
    result[exported] = entry
print(json.dumps(result))
