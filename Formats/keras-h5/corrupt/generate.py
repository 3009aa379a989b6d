"""Broken Keras files for the corrupt-file suite (Tests/KerasFormatTests/CorruptFileTests.swift).

Each is a copy of a good fixture from Models/keras-layers with one thing broken,
edited with h5py / zipfile. Byte-level damage (empty, random, truncated) is made
by the tests themselves.

    /tmp/graft-venv/bin/python Formats/keras-h5/corrupt/generate.py
"""
import json
import os
import shutil
import zipfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
GOOD = os.path.abspath(os.path.join(HERE, "..", "..", "..", "Models", "keras-layers"))


def copy(name, source="nested_legacy.h5"):
    path = os.path.join(HERE, name)
    shutil.copyfile(os.path.join(GOOD, source), path)
    return path


def edit_config(f, change):
    config = json.loads(f.attrs["model_config"])
    change(config)
    f.attrs["model_config"] = json.dumps(config)


with h5py.File(copy("no_model_config.h5"), "r+") as f:
    del f.attrs["model_config"]

with h5py.File(copy("model_config_not_json.h5"), "r+") as f:
    f.attrs["model_config"] = '{"class_name": "Functional", "config": {'

with h5py.File(copy("layer_names_missing_group.h5"), "r+") as f:
    names = list(f["model_weights"].attrs["layer_names"]) + ["no_such_layer"]
    f["model_weights"].attrs["layer_names"] = np.array(names, dtype=h5py.string_dtype())

with h5py.File(copy("layer_names_chunk_gap.h5"), "r+") as f:
    mw = f["model_weights"]
    names = list(mw.attrs["layer_names"])
    del mw.attrs["layer_names"]
    mw.attrs["layer_names0"] = np.array(names[:2], dtype=h5py.string_dtype())
    mw.attrs["layer_names2"] = np.array(names[2:], dtype=h5py.string_dtype())

with h5py.File(copy("weight_count_mismatch.h5"), "r+") as f:
    group = f["model_weights/backbone"]
    names = [n for n in group.attrs["weight_names"] if n != "skip/bias"]
    group.attrs["weight_names"] = np.array(names, dtype=h5py.string_dtype())

with h5py.File(copy("weight_shape_mismatch.h5"), "r+") as f:
    group = f["model_weights/backbone/conv"]
    del group["kernel"]
    group["kernel"] = np.zeros((3, 3, 3, 5), dtype="float32")

with h5py.File(copy("unsupported_layers.h5", "functional_legacy.h5"), "r+") as f:
    def change(config):
        for layer in config["config"]["layers"]:
            if layer["name"] == "act_relu":
                layer["class_name"] = "GRU"
            if layer["name"] == "dense_silu":
                layer["config"]["activation"] = "tanh"
    edit_config(f, change)

path = os.path.join(HERE, "missing_config_json.keras")
with zipfile.ZipFile(os.path.join(GOOD, "nested.keras")) as good, zipfile.ZipFile(path, "w") as bad:
    for item in good.infolist():
        if item.filename != "config.json":
            bad.writestr(item, good.read(item.filename))

# A weight that declares 3.6 GB as a chunked dataset whose chunks were never written:
# a 35 kB file whose read would allocate (and fill) gigabytes without HDF5SizeLimit.
with h5py.File(copy("dataset_declares_gigabytes.h5"), "r+") as f:
    group = f["model_weights"]["backbone"]
    del group["skip/kernel"]
    group.create_dataset("skip/kernel", shape=(30000, 30000), dtype="float32", chunks=(1000, 1000))
