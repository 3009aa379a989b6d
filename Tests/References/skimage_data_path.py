"""Prints the folder of scikit-image's bundled photos (chelsea.png, coffee.png, ...)."""
import os

import skimage

print(os.path.join(os.path.dirname(skimage.__file__), "data"))
