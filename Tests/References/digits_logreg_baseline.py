"""The baseline `graft train` must reach: scikit-learn's LogisticRegression on
features that onnxruntime extracts, on the same train/validation split.

Reads the split from a `graft train` report (trainFiles, validationFiles; the
class is the image's folder name), runs MODEL.onnx up to the value CUT with
onnxruntime (the value is added as a graph output), preprocessing as the
EfficientNet-Lite preset: RGB, bilinear resize to 224x224, (x - 127) / 128.
LogisticRegression: scikit-learn defaults (C=1, lbfgs) with max_iter=5000.
Prints JSON: {"validation_accuracy": float, "train_accuracy": float, "n_train": int, "n_val": int}.
Usage: digits_logreg_baseline.py MODEL.onnx CUT REPORT.json
"""
import json
import os
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression

from efficientnet_lite_features import extract

model_path, cut, report_path = sys.argv[1:4]
report = json.load(open(report_path))
classes = report["classNames"]


def labels(paths):
    return np.array([classes.index(os.path.basename(os.path.dirname(p))) for p in paths])


train, validation = report["trainFiles"], report["validationFiles"]
x = extract(model_path, cut, train + validation)
xt, yt = x[:len(train)], labels(train)
xv, yv = x[len(train):], labels(validation)
clf = LogisticRegression(max_iter=5000).fit(xt, yt)
print(json.dumps({"validation_accuracy": float(clf.score(xv, yv)), "train_accuracy": float(clf.score(xt, yt)),
                  "n_train": len(yt), "n_val": len(yv)}))
