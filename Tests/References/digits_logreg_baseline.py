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
import onnx
import onnxruntime as ort
from PIL import Image
from sklearn.linear_model import LogisticRegression

model_path, cut, report_path = sys.argv[1:4]
report = json.load(open(report_path))
classes = report["classNames"]

m = onnx.load(model_path)
m.graph.output.append(onnx.helper.make_tensor_value_info(cut, onnx.TensorProto.FLOAT, None))
options = ort.SessionOptions()
options.intra_op_num_threads = 2
session = ort.InferenceSession(m.SerializeToString(), options, providers=["CPUExecutionProvider"])
input_name = session.get_inputs()[0].name


def features(paths):
    rows = []
    for start in range(0, len(paths), 32):
        batch = []
        for p in paths[start:start + 32]:
            img = Image.open(p).convert("RGB").resize((224, 224), Image.BILINEAR)
            batch.append((np.asarray(img, dtype=np.float32) - 127.0) / 128.0)
        x = np.stack(batch).transpose(0, 3, 1, 2)
        rows.append(session.run([cut], {input_name: x})[0].reshape(len(batch), -1))
    return np.concatenate(rows)


def labels(paths):
    return np.array([classes.index(os.path.basename(os.path.dirname(p))) for p in paths])


xt, yt = features(report["trainFiles"]), labels(report["trainFiles"])
xv, yv = features(report["validationFiles"]), labels(report["validationFiles"])
clf = LogisticRegression(max_iter=5000).fit(xt, yt)
print(json.dumps({"validation_accuracy": float(clf.score(xv, yv)), "train_accuracy": float(clf.score(xt, yt)),
                  "n_train": len(yt), "n_val": len(yv)}))
