"""Writes PNG image folders from scikit-learn's bundled digits (8x8 grayscale, 0..16).

Each digit is scaled to 0..255 and upscaled 4x (nearest) to 32x32 RGB; the
preprocessor resizes to the model's input. Seeded, so the files are the same
bytes on every machine.

  digits-3v8/  three/ (250) + eight/ (250). The bundle has only 183 threes and
               174 eights, so every original is used and the rest are copies of
               seeded random originals shifted by 1-2 pixels (of 32) in x and/or y
               (`NNNN-sK.png`), a standard augmentation.
  digits-10/   0/ ... 9/, all 1797 digits

Usage: make_digits.py [OUT_DIR]   (default: .cache/datasets beside the repository root)
Prints the folders it wrote. Skips a folder that already holds the right count.
"""
import os
import sys

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, ".cache", "datasets")
digits = load_digits()
images, labels = digits.images, digits.target
rng = np.random.default_rng(0)


def save(folder, index, shift=None, suffix=""):
    os.makedirs(folder, exist_ok=True)
    pixels = np.clip(images[index] * (255.0 / 16.0), 0, 255).round().astype(np.uint8)
    big = np.kron(pixels, np.ones((4, 4), dtype=np.uint8))
    if shift is not None:
        big = np.roll(big, shift, axis=(0, 1))  # digits have a blank border: nothing wraps visibly
    rgb = np.stack([big] * 3, axis=-1)
    Image.fromarray(rgb, "RGB").save(os.path.join(folder, f"{index:04d}{suffix}.png"), optimize=False)


def count(folder):
    return sum(len(files) for _, _, files in os.walk(folder)) if os.path.isdir(folder) else 0


binary = os.path.join(out, "digits-3v8")
if count(binary) != 500:
    for digit, name in ((3, "three"), (8, "eight")):
        originals = np.flatnonzero(labels == digit)
        for i in originals:
            save(os.path.join(binary, name), int(i))
        for k in range(250 - len(originals)):
            i = int(rng.choice(originals))
            shift = (0, 0)
            while shift == (0, 0):
                shift = tuple(int(v) for v in rng.integers(-2, 3, size=2))
            save(os.path.join(binary, name), i, shift, f"-s{k}")
print(binary)

ten = os.path.join(out, "digits-10")
if count(ten) != len(labels):
    for i, label in enumerate(labels):
        save(os.path.join(ten, str(int(label))), i)
print(ten)
