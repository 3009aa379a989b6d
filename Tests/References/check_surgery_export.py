"""Runs models Graft exported after surgery in the reference tools and compares
their outputs with Graft's own, for the surgery export tests.

Each argument is a triple MODEL INPUT.npy EXPECTED.npy, where INPUT is the NCHW
input Graft fed and EXPECTED Graft's runtime output on it:
  - MODEL.onnx: `onnx.checker.check_model(full_check=True)`, then onnxruntime
    runs it on INPUT;
  - MODEL.h5: `keras.models.load_model`, run on INPUT transposed to NHWC (the
    layout of a Keras file Graft writes).
Prints one JSON object: {MODEL: {"checker": "ok" | message (ONNX), "loaded": "ok"
| message (Keras), "max_abs_diff": float, "scale": float, "shape": [int]}}.
Usage: check_surgery_export.py MODEL INPUT.npy EXPECTED.npy [MODEL INPUT EXPECTED ...]
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np


def run_onnx(path, x, entry):
    import onnx
    import onnxruntime as ort

    try:
        onnx.checker.check_model(onnx.load(path), full_check=True)
        entry["checker"] = "ok"
    except Exception as e:  # the message is what the test shows
        entry["checker"] = str(e).splitlines()[0]
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def run_keras(path, x, entry):
    import keras

    try:
        model = keras.models.load_model(path, compile=False)
        entry["loaded"] = "ok"
    except Exception as e:
        entry["loaded"] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        return None
    nhwc = np.ascontiguousarray(x.transpose(0, 2, 3, 1)) if x.ndim == 4 else x
    return np.asarray(model(nhwc, training=False))


result = {}
args = sys.argv[1:]
for model, inp, expected in zip(args[0::3], args[1::3], args[2::3]):
    entry = {}
    x = np.load(inp).astype(np.float32)
    want = np.load(expected).astype(np.float32)
    got = run_onnx(model, x, entry) if model.endswith(".onnx") else run_keras(model, x, entry)
    if got is not None:
        entry["shape"] = list(got.shape)
        entry["max_abs_diff"] = float(np.max(np.abs(got - want))) if got.shape == want.shape else float("inf")
        entry["scale"] = float(np.max(np.abs(want)))
    result[model] = entry
print(json.dumps(result))
