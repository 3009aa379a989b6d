"""Real features and scikit-learn's LogisticRegression on them, for the head trainer's tests.

Takes the first 60 images of each class of digits-10 (Models/datasets/make_digits.py; file
names sorted), runs EfficientNet-Lite0 (MODEL.onnx) with onnxruntime up to /Reshape_output_0
(the pooled 1280 features; preprocessing as the EfficientNet-Lite preset: RGB, bilinear resize
to 224x224, (x - 127) / 128), and splits each class 48 / 12 with numpy's default_rng(0).

LogisticRegression (C=1, lbfgs, i.e. the mean log-loss + ||W||^2 / (2 n)): once with
scikit-learn's default tol (1e-4) and once run to tol 1e-10, max_iter 100000 (the minimum).

Writes into OUT_DIR: xt.npy [480, 1280] float32, yt.npy [480] int64, xv.npy [120, 1280],
yv.npy [120], the converged model's coef.npy [10, 1280] and intercept.npy [10] (float64), and
reference.json {accuracy_default_tol, accuracy_converged, objective_converged (the mean
log-loss + ||W||^2 / (2 n) it reaches, in float64), n_iter_default, n_iter_converged, sklearn}.
The objective is very flat near its minimum: two solutions whose objectives agree to 1e-8
can differ by 1e-2 in a probability, so compare objectives, not probabilities.
Usage: digits10_features_logreg.py MODEL.onnx DIGITS10_DIR OUT_DIR
"""
import json
import os
import sys

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

from efficientnet_lite_features import extract

model_path, data_dir, out_dir = sys.argv[1:4]
os.makedirs(out_dir, exist_ok=True)
classes = sorted(os.listdir(data_dir))
paths, labels = [], []
for c, name in enumerate(classes):
    files = sorted(f for f in os.listdir(os.path.join(data_dir, name)) if f.endswith(".png"))[:60]
    paths += [os.path.join(data_dir, name, f) for f in files]
    labels += [c] * len(files)
labels = np.array(labels, dtype=np.int64)

features = extract(model_path, "/Reshape_output_0", paths)

rng = np.random.default_rng(0)
train, validation = [], []
for c in range(len(classes)):
    idx = rng.permutation(np.flatnonzero(labels == c))
    validation += list(idx[:12])
    train += list(idx[12:])
train, validation = np.array(sorted(train)), np.array(sorted(validation))
xt, yt, xv, yv = features[train], labels[train], features[validation], labels[validation]

default = LogisticRegression(max_iter=5000).fit(xt, yt)
converged = LogisticRegression(max_iter=100000, tol=1e-10).fit(xt, yt)
for name, array in (("xt", xt), ("yt", yt), ("xv", xv), ("yv", yv),
                    ("coef", np.ascontiguousarray(converged.coef_, dtype=np.float64)),
                    ("intercept", np.ascontiguousarray(converged.intercept_, dtype=np.float64))):
    np.save(os.path.join(out_dir, name + ".npy"), array)
x64 = xt.astype(np.float64)
z = x64 @ converged.coef_.T + converged.intercept_
zmax = z.max(axis=1, keepdims=True)
log_sum = (zmax + np.log(np.exp(z - zmax).sum(axis=1, keepdims=True)))[:, 0]
objective = float(np.mean(log_sum - z[np.arange(len(yt)), yt]) + np.sum(converged.coef_ ** 2) / (2 * len(yt)))
reference = {
    "objective_converged": objective,
    "accuracy_default_tol": float(default.score(xv, yv)),
    "accuracy_converged": float(converged.score(xv, yv)),
    "n_iter_default": int(default.n_iter_[0]),
    "n_iter_converged": int(converged.n_iter_[0]),
    "sklearn": sklearn.__version__,
}
with open(os.path.join(out_dir, "reference.json"), "w") as f:
    json.dump(reference, f, indent=1, sort_keys=True)
print(json.dumps(reference))
