#!/usr/bin/env python3
"""OpenBLAS SGEMM on the conv shapes of the benchmark models, one thread, hot caches.

    $(bash scripts/setup-python.sh) Benchmarks/gemm_shapes.py

Calls cblas_sgemm of the system libopenblas.so.0 (the library Graft links) through
ctypes, row-major, beta = 1 as the conv kernels do, and prints the fastest of 200
calls for `C = X W` (what Conv2DKernel calls) and for the transposed formulation
`C^T = W^T X^T`. GMAC/s = M*K*N / seconds. Shapes are (M rows = output pixels,
K = input channels x taps, N = output channels).
"""
import ctypes
import time

import numpy as np

SHAPES = [
    ("mobilenetv2_160 5x5 Conv_1", 25, 320, 1280),
    ("mobilenetv2_160 5x5 block_16_expand", 25, 160, 960),
    ("mobilenetv2_160 5x5 Conv_1, staged group of 4", 100, 320, 1280),
    ("mobilenetv2_160 80x80 block_1_expand", 6400, 16, 96),
    ("efficientnet_lite0 112x112 blocks.1 expand", 12544, 16, 96),
    ("mobilenetv2_160 stem 3x3x3 -> 32 (im2col)", 6400, 27, 32),
]

lib = ctypes.CDLL("libopenblas.so.0")
lib.openblas_set_num_threads(1)
F = ctypes.POINTER(ctypes.c_float)
ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112


def sgemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc):
    lib.cblas_sgemm(ROW_MAJOR, TRANS if trans_a else NO_TRANS, TRANS if trans_b else NO_TRANS, m, n, k,
                    ctypes.c_float(1.0), a.ctypes.data_as(F), lda, b.ctypes.data_as(F), ldb,
                    ctypes.c_float(1.0), c.ctypes.data_as(F), ldc)


def fastest(call, repeats=200):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - t0)
    return best


for name, m, k, n in SHAPES:
    x = np.random.rand(m, k).astype(np.float32)
    w = np.random.rand(k, n).astype(np.float32)
    c = np.zeros((m, n), np.float32)
    ct = np.zeros((n, m), np.float32)
    plain = fastest(lambda: sgemm(False, False, m, n, k, x, k, w, n, c, n))
    transposed = fastest(lambda: sgemm(True, True, n, m, k, w, n, x, k, ct, m))
    macs = m * k * n
    print(f"{name:48s} M={m:5d} K={k:4d} N={n:4d}  C=XW {plain * 1e3:6.3f} ms {macs / plain / 1e9:5.1f} GMAC/s"
          f"  C^T=W^T X^T {transposed * 1e3:6.3f} ms {macs / transposed / 1e9:5.1f} GMAC/s")
