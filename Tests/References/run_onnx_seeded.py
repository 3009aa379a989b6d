"""Runs an ONNX model in onnxruntime on a seeded input, for parity with Graft's runtime.

Writes OUT_DIR/input.npy (standard normal, seed 0, batch 2, the model's other dims)
and OUT_DIR/output.npy (the first output). Usage: run_onnx_seeded.py MODEL.onnx OUT_DIR
"""
import os
import sys

import numpy as np
import onnxruntime as ort

model, out = sys.argv[1:3]
session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
inp = session.get_inputs()[0]
shape = [d if isinstance(d, int) and d > 0 else 2 for d in inp.shape]
x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
y = session.run(None, {inp.name: x})[0]
np.save(os.path.join(out, "input.npy"), x)
np.save(os.path.join(out, "output.npy"), y.astype(np.float32))
