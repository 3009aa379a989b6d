#!/usr/bin/env python3
"""Writes the small ONNX models that, together, cover every op Graft's ONNX
importer translates, plus expected.json with facts computed from the protos.

Run with a Python that has onnx, numpy and onnxruntime:
    python Models/onnx-ops/generate.py
Seeded: running it again gives the same weights. Each model is checked with
onnx.checker and run once with onnxruntime so every fixture is a valid model.

Why each model exists:
- conv_block.onnx (opset 14): the image-backbone ops as exporters write them —
  Conv (explicit pads, SAME_UPPER, depthwise group, 1x1 without bias),
  BatchNormalization, Relu, Clip with bounds as inputs (one initializer, one
  Constant node), Sigmoid, HardSigmoid, HardSwish, Add, Mul, AveragePool,
  MaxPool, GlobalAveragePool, Flatten, Dropout, Gemm, Identity (unnamed node),
  Softmax (opset-13 semantics).
- shape_ops.onnx (opset 15): the "shape subgraph" ops of real exports —
  Shape (with start/end), Gather, Unsqueeze/Squeeze with axes inputs, Concat,
  Reshape, Transpose, Slice with inputs, Pad with constant_value input,
  ReduceMean with axes attribute, ConstantOfShape, Cast, MatMul, Sub, Div and
  float and int64 Constant nodes.
- legacy_opset9.onnx (opset 9, IR 4): the old attribute forms — Clip min/max,
  Slice starts/ends/axes, Pad pads/value, Squeeze/Unsqueeze axes, Dropout ratio,
  Softmax coerced to 2-D — with initializers stored in the typed fields
  float_data and int64_data instead of raw_data.
- opset18.onnx (opset 18): ReduceMean with an axes input, Pad in reflect mode,
  Clip with only a min bound, Squeeze without axes.
- external_data.onnx + external_data.bin (opset 13): a Gemm whose weight and
  bias live in a side file (data_location EXTERNAL, location/offset/length).
"""
import collections
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20251129)


def weight(*shape):
    return rng.standard_normal(shape).astype(np.float32) * 0.5


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def typed_float(name, array):
    """A float initializer stored in float_data (not raw_data)."""
    array = np.asarray(array, dtype=np.float32)
    return helper.make_tensor(name, TensorProto.FLOAT, array.shape, array.flatten().tolist())


def typed_int64(name, values):
    """An int64 initializer stored in int64_data (not raw_data)."""
    return helper.make_tensor(name, TensorProto.INT64, [len(values)], list(values))


def const_node(output, array):
    return helper.make_node("Constant", [], [output], name=f"const_{output}",
                            value=numpy_helper.from_array(np.asarray(array), output))


def model(graph, opset, ir_version=None):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="graft-fixtures", producer_version="1")
    if ir_version is not None:
        m.ir_version = ir_version
    m.metadata_props.append(onnx.StringStringEntryProto(key="purpose", value="graft op coverage"))
    return m


def conv_block():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])
    n = helper.make_node
    nodes = [
        n("Conv", ["x", "c1.w", "c1.b"], ["c1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
        n("BatchNormalization", ["c1", "bn.scale", "bn.bias", "bn.mean", "bn.var"], ["bn"], name="bn1", epsilon=1e-3),
        n("Relu", ["bn"], ["r"], name="relu1"),
        n("Conv", ["r", "dw.w"], ["dw"], name="depthwise", group=4, auto_pad="SAME_UPPER", strides=[2, 2]),
        const_node("six", np.array(6.0, dtype=np.float32)),
        n("Clip", ["dw", "zero", "six"], ["clip"], name="relu6"),
        n("HardSwish", ["clip"], ["hs"], name="hswish"),
        n("Conv", ["hs", "pw.w"], ["pw"], name="pointwise", dilations=[1, 1]),
        n("HardSigmoid", ["pw"], ["gate"], name="gate", alpha=0.25, beta=0.5),
        n("Mul", ["pw", "gate"], ["gated"], name="gated"),
        n("Sigmoid", ["pw"], ["sig"], name="sigmoid"),
        n("Add", ["gated", "sig"], ["sum"], name="sum"),
        n("AveragePool", ["sum"], ["avg"], name="avgpool", kernel_shape=[2, 2], strides=[2, 2], count_include_pad=1),
        n("MaxPool", ["avg"], ["max"], name="maxpool", kernel_shape=[2, 2], strides=[1, 1], pads=[0, 0, 1, 1]),
        n("GlobalAveragePool", ["max"], ["gap"], name="gap"),
        n("Flatten", ["gap"], ["flat"], name="flatten", axis=1),
        n("Dropout", ["flat"], ["drop"], name="dropout"),
        n("Gemm", ["drop", "fc.w", "fc.b"], ["logits"], name="fc", transB=1),
        n("Identity", ["logits"], ["logits_id"]),  # unnamed on purpose
        n("Softmax", ["logits_id"], ["y"], name="softmax", axis=-1),
    ]
    inits = [
        init("c1.w", weight(4, 3, 3, 3)), init("c1.b", weight(4)),
        init("bn.scale", 1 + weight(4)), init("bn.bias", weight(4)),
        init("bn.mean", weight(4)), init("bn.var", np.abs(weight(4)) + 0.5),
        init("dw.w", weight(4, 1, 3, 3)), init("zero", np.array(0.0, dtype=np.float32)),
        init("pw.w", weight(8, 4, 1, 1)),
        init("fc.w", weight(3, 8)), init("fc.b", weight(3)),
    ]
    return model(helper.make_graph(nodes, "conv_block", [x], [y], inits), 14), {"x": (2, 3, 8, 8)}


def shape_ops():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 8])
    n = helper.make_node
    i64 = lambda v: np.array(v, dtype=np.int64)
    nodes = [
        n("Shape", ["x"], ["shape"], name="shape"),
        const_node("zero_index", i64(0)),
        n("Gather", ["shape", "zero_index"], ["batch"], name="batch", axis=0),
        n("Unsqueeze", ["batch", "axes0"], ["batch1"], name="batch1"),
        const_node("minus_one", i64([-1])),
        n("Concat", ["batch1", "minus_one"], ["target"], name="target", axis=0),
        n("Reshape", ["x", "target"], ["rows"], name="rows"),
        n("MatMul", ["rows", "mm.w"], ["mm"], name="matmul"),
        n("Sub", ["mm", "mm.b"], ["centered"], name="sub"),
        const_node("two", np.array(2.0, dtype=np.float32)),
        n("Div", ["centered", "two"], ["halved"], name="div"),
        n("Transpose", ["x"], ["nhwc"], name="to_nhwc", perm=[0, 2, 3, 1]),
        n("Slice", ["nhwc", "starts", "ends", "axes1", "steps"], ["sliced"], name="slice"),
        n("Pad", ["sliced", "pads", "pad_value"], ["padded"], name="pad", mode="constant"),
        n("ReduceMean", ["padded"], ["mean"], name="mean", axes=[1, 2], keepdims=0),
        n("Shape", ["x"], ["channels"], name="channels", start=1, end=2),
        n("ConstantOfShape", ["channels"], ["ones"], name="ones",
          value=numpy_helper.from_array(np.array([1.5], dtype=np.float32), "value")),
        n("Mul", ["mean", "ones"], ["scaled"], name="scaled"),
        n("Cast", ["batch"], ["batch_f"], name="batch_float", to=TensorProto.FLOAT),
        n("Mul", ["scaled", "batch_f"], ["scaled_n"], name="scaled_n"),
        n("Unsqueeze", ["scaled_n", "axes2"], ["expanded"], name="expand"),
        n("Squeeze", ["expanded", "axes2"], ["squeezed"], name="squeeze"),
        n("Concat", ["squeezed", "halved"], ["y"], name="joined", axis=1),
    ]
    inits = [
        init("axes0", i64([0])), init("axes1", i64([1])), init("axes2", i64([2])),
        init("starts", i64([1])), init("ends", i64([3])), init("steps", i64([1])),
        init("pads", i64([0, 0, 1, 0, 0, 0, 1, 0])), init("pad_value", np.array(0.5, dtype=np.float32)),
        init("mm.w", weight(32, 6)), init("mm.b", weight(6)),
    ]
    return model(helper.make_graph(nodes, "shape_ops", [x], [y], inits), 15), {"x": (2, 2, 4, 4)}


def legacy_opset9():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])
    flat = helper.make_tensor_value_info("flat", TensorProto.FLOAT, [1, 48])
    n = helper.make_node
    nodes = [
        n("BatchNormalization", ["x", "bn.scale", "bn.bias", "bn.mean", "bn.var"], ["bn"], name="bn"),
        n("Clip", ["bn"], ["clip"], name="clip", min=0.0, max=6.0),
        n("Slice", ["clip"], ["sliced"], name="slice", starts=[0, 1], ends=[1, 3], axes=[0, 1]),
        n("Pad", ["sliced"], ["padded"], name="pad", pads=[0, 0, 1, 1, 0, 0, 1, 1], value=0.0),
        n("ReduceMean", ["padded"], ["mean"], name="mean", axes=[2, 3], keepdims=1),
        n("Squeeze", ["mean"], ["sq"], name="squeeze", axes=[2, 3]),
        n("Unsqueeze", ["sq"], ["unsq"], name="unsqueeze", axes=[0]),
        n("Squeeze", ["unsq"], ["sq2"], name="squeeze_again", axes=[0]),
        n("Dropout", ["sq2"], ["drop"], name="dropout", ratio=0.25),
        n("Gemm", ["drop", "fc.w", "fc.b"], ["logits"], name="fc", transB=1),
        n("Softmax", ["logits"], ["y"], name="softmax", axis=1),
        n("Reshape", ["x", "flat_shape"], ["flat"], name="flatten_by_reshape"),
    ]
    inits = [
        typed_float("bn.scale", 1 + weight(3)), typed_float("bn.bias", weight(3)),
        typed_float("bn.mean", weight(3)), typed_float("bn.var", np.abs(weight(3)) + 0.5),
        typed_float("fc.w", weight(2, 2)), typed_float("fc.b", weight(2)),
        typed_int64("flat_shape", [1, 48]),
    ]
    return model(helper.make_graph(nodes, "legacy_opset9", [x], [y, flat], inits), 9, ir_version=4), {"x": (1, 3, 4, 4)}


def opset18():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    n = helper.make_node
    nodes = [
        n("Pad", ["x", "pads"], ["padded"], name="pad", mode="reflect"),
        n("Clip", ["padded", "floor"], ["clipped"], name="clip_min_only"),
        n("ReduceMean", ["clipped", "axes"], ["mean"], name="mean", keepdims=1),
        n("Squeeze", ["mean"], ["y"], name="squeeze_all"),
    ]
    inits = [
        init("pads", np.array([0, 0, 1, 1, 0, 0, 1, 1], dtype=np.int64)),
        init("floor", np.array(-0.25, dtype=np.float32)),
        init("axes", np.array([2, 3], dtype=np.int64)),
    ]
    return model(helper.make_graph(nodes, "opset18", [x], [y], inits), 18), {"x": (1, 2, 4, 4)}


def external_data():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])
    node = helper.make_node("Gemm", ["x", "fc.w", "fc.b"], ["y"], name="fc", transB=1)
    inits = [init("fc.w", weight(3, 4)), init("fc.b", weight(3))]
    return model(helper.make_graph([node], "external_data", [x], [y], inits), 13), {"x": (2, 4)}


def facts(m):
    """What the tests compare against, computed from the proto."""
    g = m.graph
    # Scalars an op reads as settings (Clip bounds, Pad's value, Dropout's ratio) are
    # structure, not parameters: Graft folds them into the op's attributes.
    settings = {name for n in g.node for i, name in enumerate(n.input)
                if (n.op_type, i) in {("Clip", 1), ("Clip", 2), ("Pad", 2), ("Dropout", 1), ("Dropout", 2)}}
    floats = [t for t in g.initializer if t.data_type == TensorProto.FLOAT and t.name not in settings]
    return {
        "ir_version": m.ir_version,
        "opset": m.opset_import[0].version,
        "onnx_node_count": len(g.node),
        "graph_node_count": sum(1 for n in g.node if n.op_type != "Constant"),
        "op_histogram": dict(sorted(collections.Counter(n.op_type for n in g.node).items())),
        "parameter_count": int(sum(int(np.prod(t.dims)) for t in floats)),
        "initializers": {t.name: {"dims": list(t.dims), "data_type": t.data_type} for t in g.initializer},
        "first_values": {t.name: [float(v) for v in numpy_helper.to_array(t).flatten()[:3]] for t in floats},
        "inputs": {i.name: [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim] for i in g.input},
        "outputs": [o.name for o in g.output],
    }


def check_and_run(path, feeds):
    onnx.checker.check_model(onnx.load(path), full_check=True)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    session.run(None, {k: rng.standard_normal(v).astype(np.float32) for k, v in feeds.items()})


def main():
    expected = {}
    for name, build in [("conv_block", conv_block), ("shape_ops", shape_ops),
                        ("legacy_opset9", legacy_opset9), ("opset18", opset18)]:
        m, feeds = build()
        path = os.path.join(HERE, f"{name}.onnx")
        onnx.save(m, path)
        check_and_run(path, feeds)
        expected[f"{name}.onnx"] = facts(m)

    m, feeds = external_data()
    expected["external_data.onnx"] = facts(m)
    path = os.path.join(HERE, "external_data.onnx")
    if os.path.exists(os.path.join(HERE, "external_data.bin")):
        os.remove(os.path.join(HERE, "external_data.bin"))
    onnx.save(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
              location="external_data.bin", size_threshold=0)
    check_and_run(path, feeds)

    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
