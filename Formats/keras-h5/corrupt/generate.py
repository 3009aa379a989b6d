"""Broken Keras files for the corrupt-file suite (Tests/KerasFormatTests/CorruptFileTests.swift).

Each is a copy of a good fixture from Models/keras-layers with one thing broken,
edited with h5py / zipfile, or in the bytes where h5py cannot write the damage.
Byte-level damage (empty, random, truncated) is made by the tests themselves.

    /tmp/graft-venv/bin/python Formats/keras-h5/corrupt/generate.py
"""
import json
import os
import shutil
import struct
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


# An attribute whose dataspace declares more elements than the file holds: h5py cannot
# write one, so the `layer_names` attribute of /model_weights (5 variable-length strings)
# is patched in the bytes. HDF5 file format spec, version-1 object headers: each message
# is type (u16), size (u16), flags (u8), 3 reserved bytes, then its body. An attribute
# message (type 0x000C) version 1: version (u8), reserved (u8), name size (u16), datatype
# size (u16), dataspace size (u16), then the name, datatype and dataspace, each padded to
# 8 bytes, then the data. A version-1 dataspace: version (u8), rank (u8), flags (u8; bit 0:
# maximum dims follow), 5 reserved bytes, rank dims of "size of lengths" (8) bytes, then
# the maximum dims. Dims 5 -> 100000 declare 1.6 MB of heap references in a 34 kB file.
def patch_attribute_dims(path, name, dims):
    with open(path, "rb") as f:
        data = bytearray(f.read())
    key = name.encode() + b"\0"
    at = data.find(key)
    assert at >= 8 and data.find(key, at + 1) == -1, "expected one attribute named %s" % name
    body = at - 8
    version, name_size, type_size, space_size = struct.unpack_from("<BxHHH", data, body)
    assert version == 1 and name_size == len(key), "not a version-1 attribute message"
    assert struct.unpack_from("<H", data, body - 8)[0] == 0x000C, "not an attribute message"
    pad8 = lambda n: (n + 7) // 8 * 8
    space = at + pad8(name_size) + pad8(type_size)
    space_version, rank, flags = struct.unpack_from("<BBB", data, space)
    assert space_version == 1 and rank == 1, "not a version-1, rank-1 dataspace"
    struct.pack_into("<Q", data, space + 8, dims)
    if flags & 1:
        struct.pack_into("<Q", data, space + 8 + 8 * rank, dims)
    with open(path, "wb") as f:
        f.write(data)


patch_attribute_dims(copy("attribute_declares_beyond_file.h5"), "layer_names", 100_000)
