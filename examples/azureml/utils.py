"""``load_data`` for the image-classification tutorial: a gzipped MNIST IDX file
→ a numpy array (images flattened to 784 columns; labels one column)."""

import gzip
import struct

import numpy as np


def load_data(filename, label=False):
    with gzip.open(filename) as gz:
        magic, count = struct.unpack(">II", gz.read(8))
        if label:
            return np.frombuffer(gz.read(count), dtype=np.uint8).reshape(count, 1)
        rows, cols = struct.unpack(">II", gz.read(8))
        return np.frombuffer(gz.read(count * rows * cols), dtype=np.uint8).reshape(
            count, rows * cols
        )
