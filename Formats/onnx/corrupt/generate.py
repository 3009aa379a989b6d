"""Hostile ONNX models: valid protobuf, tiny files, absurd sizes.

Each file is a few hundred bytes whose graph asks for a tensor far larger than
the file, through a shape it states rather than stores. Graft must refuse each
with one clear error before allocating (Docs/reliability.md, "Resource bounds"):

  constant_of_shape_10g.onnx   ConstantOfShape([100000, 100000]) read by a MatMul:
                               plan-time folding would build 10^10 elements
  broadcast_add_10g.onnx       ConstantOfShape([100000, 1]) + ConstantOfShape([1, 100000])
  gather_10g.onnx              Gather of a [1, 100000] row with 100000 zero indices
  constant_of_shape_overflow.onnx  ConstantOfShape([2^32, 2^32]) (int64): 2^64 elements
  constant_of_shape_negative.onnx  ConstantOfShape([-1, 5]) (int64)
  input_1x3x100000x100000.onnx Relu -> GlobalAveragePool -> Flatten on an input declared
                               [1, 3, 100000, 100000]: 112 GiB of float32 activations

Used by Tests/RuntimeTests/HostileModelTests.swift, Tests/SurgeryTests/HostileModelTests.swift
and Tests/EndToEndTests/HostileModelTests.swift.

    /tmp/graft-venv/bin/python Formats/onnx/corrupt/generate.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def ints(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def fill(value, dtype=TensorProto.FLOAT):
    return helper.make_tensor("value", dtype, [1], [value])


def save(name, nodes, inputs, output, initializers=()):
    graph = helper.make_graph(nodes, name, inputs, [output], list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="graft-hostile")
    model.ir_version = 8
    onnx.save(model, os.path.join(HERE, name + ".onnx"))


def x(*shape):
    return helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))


def y():
    return helper.make_tensor_value_info("y", TensorProto.FLOAT, None)


def main():
    save("constant_of_shape_10g",
         [helper.make_node("ConstantOfShape", ["big_shape"], ["c"], name="big", value=fill(1.0)),
          helper.make_node("MatMul", ["x", "c"], ["y"], name="mm")],
         [x(1, 100000)], y(), [ints("big_shape", [100000, 100000])])
    save("broadcast_add_10g",
         [helper.make_node("ConstantOfShape", ["rows_shape"], ["rows"], name="rows", value=fill(1.0)),
          helper.make_node("ConstantOfShape", ["cols_shape"], ["cols"], name="cols", value=fill(2.0)),
          helper.make_node("Add", ["rows", "cols"], ["c"], name="outer"),
          helper.make_node("MatMul", ["x", "c"], ["y"], name="mm")],
         [x(1, 100000)], y(), [ints("rows_shape", [100000, 1]), ints("cols_shape", [1, 100000])])
    save("gather_10g",
         [helper.make_node("ConstantOfShape", ["row_shape"], ["row"], name="row", value=fill(1.0)),
          helper.make_node("ConstantOfShape", ["index_shape"], ["zeros"], name="zeros", value=fill(0, TensorProto.INT64)),
          helper.make_node("Gather", ["row", "zeros"], ["c"], name="repeat", axis=0),
          helper.make_node("MatMul", ["x", "c"], ["y"], name="mm")],
         [x(1, 100000)], y(), [ints("row_shape", [1, 100000]), ints("index_shape", [100000])])
    for name, shape in [("constant_of_shape_overflow", [1 << 32, 1 << 32]), ("constant_of_shape_negative", [-1, 5])]:
        save(name,
             [helper.make_node("ConstantOfShape", ["big_shape"], ["c"], name="big", value=fill(1, TensorProto.INT64)),
              helper.make_node("Cast", ["c"], ["f"], name="float", to=TensorProto.FLOAT),
              helper.make_node("Add", ["x", "f"], ["y"], name="add")],
             [x(1, 1)], y(), [ints("big_shape", shape)])
    save("input_1x3x100000x100000",
         [helper.make_node("Relu", ["x"], ["r"], name="relu"),
          helper.make_node("GlobalAveragePool", ["r"], ["p"], name="pool"),
          helper.make_node("Flatten", ["p"], ["y"], name="flatten")],
         [x(1, 3, 100000, 100000)], y())


if __name__ == "__main__":
    main()
