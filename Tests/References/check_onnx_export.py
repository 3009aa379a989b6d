"""Checks exported ONNX files with the reference tools, for the export tests.

For each pair ORIGINAL EXPORTED: `onnx.checker.check_model(full_check=True)` on the
export, then onnxruntime runs both on the same seeded input (batch 2, symbolic dims
set to 2) and the largest absolute difference of every output is reported.
Prints one JSON object: {exported: {"checker": "ok" | message, "max_abs_diff": float,
"scale": float, "opset": int}}.
Usage: check_onnx_export.py ORIGINAL EXPORTED [ORIGINAL EXPORTED ...]
"""
import json, sys

import numpy as np
import onnx
import onnxruntime as ort

DTYPES = {1: np.float32, 7: np.int64, 6: np.int32}


def feeds(path, rng):
    m = onnx.load(path, load_external_data=False)
    inits = {t.name for t in m.graph.initializer}
    out = {}
    for i in m.graph.input:
        if i.name in inits:
            continue
        t = i.type.tensor_type
        dims = [d.dim_value if d.dim_value > 0 else 2 for d in t.shape.dim]
        out[i.name] = rng.standard_normal(dims).astype(DTYPES.get(t.elem_type, np.float32))
    return out


def run(path, inputs):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    return session.run(None, inputs)


result = {}
args = sys.argv[1:]
for original, exported in zip(args[0::2], args[1::2]):
    entry = {}
    model = onnx.load(exported)
    entry["opset"] = model.opset_import[0].version
    try:
        onnx.checker.check_model(model, full_check=True)
        entry["checker"] = "ok"
    except Exception as e:  # the message is what the test shows
        entry["checker"] = str(e).splitlines()[0]
    inputs = feeds(original, np.random.default_rng(2026))
    want = run(original, inputs)
    got = run(exported, inputs)
    entry["max_abs_diff"] = max(float(np.max(np.abs(a - b))) for a, b in zip(want, got))
    entry["scale"] = max(float(np.max(np.abs(a))) for a in want)
    result[exported] = entry
print(json.dumps(result))
