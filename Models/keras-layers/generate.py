"""Small seeded Keras models that together use every layer Graft's Keras importer supports.

Keras 3 `model.save` is the reference writer. Run with the project's Python
(keras 3.15, tensorflow-cpu backend):

    /tmp/graft-venv/bin/python Models/keras-layers/generate.py

Writes, next to this script:
  functional_legacy.h5     Functional, legacy HDF5 (model_config + model_weights)
  nested_legacy.h5         Functional holding a nested Functional and a nested Sequential
  nested.keras             the same nested model as a Keras 3 zip (config.json + model.weights.h5)
  sequential.weights.h5    a Sequential model's weights only, with sequential.config.json
  keras2_sequential.h5     a small Sequential rewritten by h5py in the tf.keras 2 form
                           (":0" weight names, Keras 2 config keys, list-form inbound nodes)
  io/<stem>.x.npy, io/<stem>.y.npy   a seeded NHWC input and Keras' output for each model
  expected.json            per file: parameter counts, layer list, input and output shapes
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import h5py
import keras
import numpy as np
from keras import layers

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20260101


def functional_model():
    """Every single-model layer: convs, activations, merges, pools, Dense, Flatten, Reshape."""
    x = keras.Input(shape=(12, 12, 3), name="image")
    r = layers.Rescaling(scale=1 / 127.5, offset=-1.0, name="rescale")(x)
    c1 = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="conv_same_s2")(r)
    bn = layers.BatchNormalization(epsilon=1e-3, name="bn")(c1)
    r6 = layers.ReLU(max_value=6.0, name="relu6")(bn)
    dw = layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2, activation="relu6", name="dw")(r6)
    sep = layers.SeparableConv2D(8, 3, padding="same", activation="swish", name="sep")(dw)
    pad = layers.ZeroPadding2D(((0, 1), (1, 0)), name="pad")(sep)
    c2 = layers.Conv2D(8, 2, padding="valid", use_bias=False, activation="hard_sigmoid", name="conv_valid")(pad)
    bn2 = layers.BatchNormalization(center=False, scale=False, name="bn_plain")(c2)
    a_sig = layers.Activation("sigmoid", name="act_sigmoid")(bn2)
    a_hs = layers.Activation("hard_swish", name="act_hard_swish")(bn2)
    add = layers.Add(name="add")([a_sig, a_hs])
    mul = layers.Multiply(name="mul")([add, bn2])
    cat = layers.Concatenate(name="concat")([mul, add])
    a_relu = layers.Activation("relu", name="act_relu")(cat)
    avg = layers.AveragePooling2D(2, name="avg_pool")(a_relu)
    mx = layers.MaxPooling2D(3, strides=2, padding="same", name="max_pool_same")(a_relu)
    gap = layers.GlobalAveragePooling2D(keepdims=True, name="gap_keep")(mx)
    scaled = layers.Multiply(name="gate")([avg, gap])
    flat = layers.Flatten(name="flatten")(scaled)
    d1 = layers.Dense(10, activation="silu", name="dense_silu")(flat)
    drop = layers.Dropout(0.25, name="dropout")(d1)
    rs = layers.Reshape((2, 5), name="reshape")(drop)
    flat2 = layers.Flatten(name="flatten_again")(rs)
    lin = layers.Activation("linear", name="act_linear")(flat2)
    out = layers.Dense(4, activation="softmax", name="head")(lin)
    return keras.Model(x, out, name="functional_layers")


def nested_model():
    """A Functional inside a Functional, and a Sequential after it."""
    inner_in = keras.Input(shape=(8, 8, 3), name="inner_input")
    y = layers.Conv2D(4, 3, padding="same", name="conv")(inner_in)
    y = layers.BatchNormalization(name="bn")(y)
    y = layers.Activation("relu6", name="relu6")(y)
    skip = layers.Conv2D(4, 1, name="skip")(inner_in)
    y = layers.Add(name="add")([y, skip])
    backbone = keras.Model(inner_in, y, name="backbone")

    head = keras.Sequential(
        [
            layers.Flatten(name="flatten"),
            layers.Dense(6, activation="relu", name="fc"),
            layers.Dense(3, name="logits"),
        ],
        name="head",
    )

    x = keras.Input(shape=(8, 8, 3), name="outer_input")
    f = backbone(x)
    f = layers.MaxPooling2D(2, name="pool")(f)
    out = head(f)
    out = layers.Activation("softmax", name="probs")(out)
    model = keras.Model(x, out, name="nested")
    backbone.get_layer("conv").trainable = False
    return model


def sequential_model():
    return keras.Sequential(
        [
            keras.Input(shape=(6, 6, 2), name="seq_input"),
            layers.Conv2D(3, 3, activation="hard_silu", name="conv"),
            layers.GlobalAveragePooling2D(name="gap"),
            layers.Dense(2, activation="sigmoid", name="out"),
        ],
        name="sequential_layers",
    )


def keras2_model():
    return keras.Sequential(
        [
            keras.Input(shape=(5, 5, 2), name="k2_input"),
            layers.Conv2D(3, 3, activation="relu", name="conv2d"),
            layers.BatchNormalization(name="batch_normalization"),
            layers.Flatten(name="flatten"),
            layers.Dense(2, name="dense"),
        ],
        name="sequential",
    )


def perturb_statistics(model, rng):
    """Give BatchNorm non-trivial moving statistics so importers cannot get away with defaults."""
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, layers.BatchNormalization):
            for v in layer.non_trainable_weights:
                shift = 1.0 if "variance" in v.path else 0.0
                v.assign(rng.uniform(0.1, 0.9, v.shape).astype("float32") + shift)
            for v in layer.trainable_weights:
                v.assign(rng.uniform(0.5, 1.5, v.shape).astype("float32"))


def layer_list(model):
    out = []
    for layer in model.layers:
        entry = {"name": layer.name, "class": layer.__class__.__name__}
        if isinstance(layer, keras.Model):
            entry["layers"] = layer_list(layer)
        out.append(entry)
    return out


def describe(model, weights):
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return {
        "model": model.name,
        "count_params": int(model.count_params()),
        "trainable_params": trainable,
        "non_trainable_params": non_trainable,
        "weight_tensors": weights,
        "input_shape": list(model.inputs[0].shape[1:]),
        "output_shape": list(model.outputs[0].shape[1:]),
        "layers": layer_list(model),
    }


def write_io(model, stem, rng):
    x = rng.uniform(0, 255, (1, *model.inputs[0].shape[1:])).astype("float32")
    if model.name != "functional_layers":
        x = (x / 127.5 - 1).astype("float32")
    y = model.predict(x, verbose=0)
    os.makedirs(os.path.join(HERE, "io"), exist_ok=True)
    np.save(os.path.join(HERE, "io", f"{stem}.x.npy"), x)
    np.save(os.path.join(HERE, "io", f"{stem}.y.npy"), y.astype("float32"))


def rewrite_as_keras2(path, model):
    """Turns a Keras 3 legacy .h5 into the tf.keras 2.x attribute form, in place:
    weight names end in ':0', the config uses `batch_input_shape` and the
    Sequential has no inbound nodes, versions say 2.x."""
    config = json.loads(model.to_json())
    for layer in config["config"]["layers"]:
        cfg = layer["config"]
        if layer["class_name"] == "InputLayer":
            cfg["batch_input_shape"] = cfg.pop("batch_shape")
        cfg["dtype"] = "float32"
    with h5py.File(path, "r+") as f:
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["model_config"] = json.dumps(config)
        mw = f["model_weights"]
        mw.attrs["keras_version"] = "2.15.0"
        for name in mw.attrs["layer_names"]:
            group = mw[name]
            names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
            renamed = []
            for n in names:
                new = n + ":0"
                group.move(n, new)
                renamed.append(new.encode())
            group.attrs["weight_names"] = np.array(renamed, dtype="S")


def weight_list(path):
    """Every dataset under model_weights (legacy .h5), as h5py sees it, in weight_names order."""
    out = []
    with h5py.File(path, "r") as f:
        mw = f["model_weights"]
        for layer in mw.attrs["layer_names"]:
            layer = layer.decode() if isinstance(layer, bytes) else layer
            for n in mw[layer].attrs["weight_names"]:
                n = n.decode() if isinstance(n, bytes) else n
                out.append({"layer": layer, "name": n, "shape": list(mw[layer][n].shape)})
    return out


def main():
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    expected = {}

    fm = functional_model()
    perturb_statistics(fm, rng)
    fm.save(os.path.join(HERE, "functional_legacy.h5"))
    write_io(fm, "functional_legacy", rng)
    expected["functional_legacy.h5"] = describe(fm, weight_list(os.path.join(HERE, "functional_legacy.h5")))

    nm = nested_model()
    perturb_statistics(nm, rng)
    nm.save(os.path.join(HERE, "nested_legacy.h5"))
    nm.save(os.path.join(HERE, "nested.keras"))
    write_io(nm, "nested", rng)
    expected["nested_legacy.h5"] = describe(nm, weight_list(os.path.join(HERE, "nested_legacy.h5")))
    expected["nested.keras"] = describe(nm, None)

    sm = sequential_model()
    sm.save_weights(os.path.join(HERE, "sequential.weights.h5"))
    with open(os.path.join(HERE, "sequential.config.json"), "w") as f:
        f.write(sm.to_json())
    write_io(sm, "sequential", rng)
    expected["sequential.weights.h5"] = describe(sm, None)

    km = keras2_model()
    perturb_statistics(km, rng)
    path = os.path.join(HERE, "keras2_sequential.h5")
    km.save(path)
    rewrite_as_keras2(path, km)
    write_io(km, "keras2_sequential", rng)
    expected["keras2_sequential.h5"] = describe(km, weight_list(path))

    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump({"keras_version": keras.__version__, "seed": SEED, "files": expected}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
