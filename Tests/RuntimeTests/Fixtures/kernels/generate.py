#!/usr/bin/env python3
"""Per-kernel fixtures for Tests/RuntimeTests/KernelTests.swift.

Each case is a one-node ONNX model (<case>.onnx), a seeded input (<case>.x.npy)
and onnxruntime's output (<case>.y.npy). The Swift test imports the model,
runs it with Graft's runtime and compares with the `.kernel` tolerance.
Cases cover the configurations the kernels special-case: strides, dilation,
asymmetric pads, groups, depthwise, 1x1, ceil mode, count_include_pad, pad
modes, broadcasting, batched matmul, gemm flags, negative slice steps, NaN
(which must propagate; see maxpool_nan).

    /tmp/graft-venv/bin/python Tests/RuntimeTests/Fixtures/kernels/generate.py
"""
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20251130)


def r(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def case(name, op, x, inits=(), extra_inputs=(), opset=17, **attrs):
    """One node `op(x, *extra_inputs)`; `inits` are (name, array) initializers."""
    init_protos = [numpy_helper.from_array(np.asarray(a), n) for n, a in inits]
    node = helper.make_node(op, ["x", *extra_inputs], ["y"], name=name, **attrs)
    graph = helper.make_graph([node], name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])], init_protos)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    del model.graph.output[0].type.tensor_type.shape.dim[:]
    model.graph.output[0].type.tensor_type.ClearField("shape")
    y = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    onnx.save(model, os.path.join(HERE, name + ".onnx"))
    np.save(os.path.join(HERE, name + ".x.npy"), x)
    np.save(os.path.join(HERE, name + ".y.npy"), y.astype(np.float32))


def main():
    x = r(2, 4, 9, 8)
    case("conv3x3_s2_asym_pads", "Conv", x, [("w", r(6, 4, 3, 3)), ("b", r(6))], ["w", "b"],
         strides=[2, 2], pads=[1, 0, 2, 1])
    case("conv3x3_dilation2", "Conv", x, [("w", r(5, 4, 3, 3))], ["w"], dilations=[2, 2], pads=[2, 2, 2, 2])
    case("conv_grouped2", "Conv", x, [("w", r(6, 2, 3, 3)), ("b", r(6))], ["w", "b"], group=2, pads=[1, 1, 1, 1])
    case("conv1x1", "Conv", x, [("w", r(7, 4, 1, 1)), ("b", r(7))], ["w", "b"])
    case("conv1x1_stride2", "Conv", x, [("w", r(3, 4, 1, 1))], ["w"], strides=[2, 2])
    case("conv_same_upper", "Conv", x, [("w", r(3, 4, 4, 4))], ["w"], auto_pad="SAME_UPPER", strides=[2, 2])
    xd = r(2, 20, 7, 9)
    case("depthwise3x3_s2", "Conv", xd, [("w", r(20, 1, 3, 3)), ("b", r(20))], ["w", "b"], group=20,
         strides=[2, 2], pads=[1, 1, 1, 1])
    case("depthwise5x5_asym", "Conv", xd, [("w", r(20, 1, 5, 5))], ["w"], group=20, pads=[2, 1, 2, 3])
    case("maxpool_ceil_pads", "MaxPool", x, kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)
    case("avgpool_include_pad", "AveragePool", x, kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
         count_include_pad=1)
    case("avgpool_exclude_pad_ceil", "AveragePool", x, kernel_shape=[2, 3], strides=[2, 2], pads=[0, 1, 0, 1],
         ceil_mode=1)
    case("global_average_pool", "GlobalAveragePool", x)
    case("pad_reflect", "Pad", x, [("p", np.array([0, 0, 2, 1, 0, 0, 1, 3], np.int64))], ["p"], mode="reflect")
    case("pad_edge", "Pad", x, [("p", np.array([0, 1, 1, 0, 0, 0, 2, 2], np.int64))], ["p"], mode="edge")
    case("pad_constant_crop", "Pad", x, [("p", np.array([0, 0, -1, 2, 0, 0, 1, -2], np.int64)),
                                         ("v", np.array(0.5, np.float32))], ["p", "v"], mode="constant")
    case("add_broadcast", "Add", x, [("b", r(4, 1, 8))], ["b"])
    case("sub_row", "Sub", x, [("b", r(8))], ["b"])
    case("mul_scalar", "Mul", x, [("b", np.array(1.7, np.float32))], ["b"])
    case("div_channel", "Div", x, [("b", r(1, 4, 1, 1) + 3)], ["b"])
    case("softmax_axis1", "Softmax", r(3, 5, 4), axis=1)
    case("matmul_batched_broadcast", "MatMul", r(2, 3, 4, 5), [("b", r(3, 5, 6))], ["b"])
    case("gemm_trans_alpha_beta", "Gemm", r(5, 3), [("b", r(4, 5)), ("c", r(4))], ["b", "c"],
         transA=1, transB=1, alpha=0.5, beta=2.0)
    case("reduce_mean_axes", "ReduceMean", x, axes=[1, 3], keepdims=1)
    case("slice_negative_step", "Slice", x, [("s", np.array([-1, 1], np.int64)), ("e", np.array([-10, 7], np.int64)),
                                             ("a", np.array([3, 2], np.int64)), ("t", np.array([-2, 3], np.int64))],
         ["s", "e", "a", "t"])
    case("gather_axis1", "Gather", x, [("i", np.array([3, -4, 1], np.int64))], ["i"], axis=1)
    case("transpose_0231", "Transpose", x, perm=[0, 2, 3, 1])
    case("hard_swish", "HardSwish", x * 3)
    case("hard_sigmoid", "HardSigmoid", x * 3, alpha=0.3, beta=0.4)
    case("sigmoid", "Sigmoid", x * 3)
    case("clip_relu6", "Clip", x * 4, [("lo", np.array(0, np.float32)), ("hi", np.array(6, np.float32))], ["lo", "hi"])
    nan = x.copy()
    nan[0, 1, 2, 3] = np.nan
    nan[1, 3, 0, 0] = np.nan
    case("relu_nan", "Relu", nan)
    case("maxpool_nan", "MaxPool", nan, kernel_shape=[2, 2], strides=[2, 2])
    # onnxruntime's MaxPool skips NaN; Graft's contract is that NaN propagates,
    # so this case's expected output is numpy's (np.max propagates NaN).
    n, c, h, w = nan.shape
    pooled = nan[:, :, :h // 2 * 2, :w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))
    np.save(os.path.join(HERE, "maxpool_nan.y.npy"), pooled.astype(np.float32))
    case("conv_nan", "Conv", nan, [("w", r(3, 4, 3, 3))], ["w"], pads=[1, 1, 1, 1])
    # Few input channels, 32·k outputs: DirectConv2DKernel (interior pixel pairs, checked edge pixels).
    case("direct_conv3x3_s2_rgb", "Conv", r(2, 3, 17, 15), [("w", r(32, 3, 3, 3)), ("b", r(32))], ["w", "b"],
         strides=[2, 2], pads=[1, 0, 2, 1])
    case("direct_conv7x7_s2_gray_o64", "Conv", r(1, 1, 23, 20), [("w", r(64, 1, 7, 7)), ("b", r(64))], ["w", "b"],
         strides=[2, 2], pads=[3, 3, 3, 3])
    case("direct_conv3x3_dilation2_c4", "Conv", r(2, 4, 11, 13), [("w", r(32, 4, 3, 3))], ["w"],
         dilations=[2, 2], pads=[2, 1, 2, 1])
    # Depthwise with whole 16-channel blocks reads the input directly (interior tiles of 4, checked ring).
    xw = r(2, 32, 13, 17)
    case("depthwise3x3_s2_c32", "Conv", xw, [("w", r(32, 1, 3, 3)), ("b", r(32))], ["w", "b"], group=32,
         strides=[2, 2], pads=[1, 0, 1, 1])
    case("depthwise5x5_dilation2_c32", "Conv", xw, [("w", r(32, 1, 5, 5))], ["w"], group=32,
         dilations=[2, 2], pads=[4, 3, 2, 4])
    case("depthwise3x3_wider_than_image_c16", "Conv", r(1, 16, 2, 3), [("w", r(16, 1, 3, 3)), ("b", r(16))], ["w", "b"],
         group=16, pads=[2, 2, 2, 2])
    case("direct_conv_kernel_wider_than_image", "Conv", r(1, 3, 5, 4), [("w", r(32, 3, 7, 7)), ("b", r(32))], ["w", "b"],
         pads=[3, 3, 3, 3])
    # The direct stem with a fused activation that is not a clamp (applied over the finished row).
    x = r(1, 3, 9, 10)
    w, b = r(32, 3, 3, 3), r(32)
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], strides=[2, 2], pads=[1, 1, 1, 1]),
             helper.make_node("HardSwish", ["c"], ["y"])]
    graph = helper.make_graph(nodes, "direct_conv_hardswish",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    y = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    onnx.save(model, os.path.join(HERE, "direct_conv_hardswish.onnx"))
    np.save(os.path.join(HERE, "direct_conv_hardswish.x.npy"), x)
    np.save(os.path.join(HERE, "direct_conv_hardswish.y.npy"), y.astype(np.float32))
    # 1x1 convolutions whose GEMM is split into OpenBLAS small-kernel pieces (`BLAS.smallPieces`):
    # 32x32 pixels by [144 -> 24] in row pieces, 5x5 pixels by [640 -> 128] in column pieces.
    case("pointwise_split_rows", "Conv", r(1, 144, 32, 32), [("w", r(24, 144, 1, 1)), ("b", r(24))], ["w", "b"])
    case("pointwise_split_columns", "Conv", r(1, 640, 5, 5), [("w", r(128, 640, 1, 1))], ["w"])
    # Depthwise on one image at least 20 rows high: the cores split the output rows (a band
    # of every channel block each), filling only the plane rows their band reads.
    case("depthwise3x3_row_bands_c40", "Conv", r(1, 40, 23, 21), [("w", r(40, 1, 3, 3)), ("b", r(40))], ["w", "b"],
         group=40, pads=[1, 1, 1, 1])
    case("depthwise3x3_s2_row_bands_c48", "Conv", r(1, 48, 45, 41), [("w", r(48, 1, 3, 3))], ["w"], group=48,
         strides=[2, 2], pads=[0, 0, 1, 1])
    case("depthwise5x5_dilation2_row_bands", "Conv", r(1, 16, 30, 22), [("w", r(16, 1, 5, 5))], ["w"], group=16,
         dilations=[2, 2], pads=[4, 3, 4, 5])


if __name__ == "__main__":
    main()
