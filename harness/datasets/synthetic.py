"""Write small, learnable datasets in the real on-disk formats (for tests and the
CI-sized benchmark suite): MNIST IDX files and CIFAR-10 python batches.

Each class k gets a bright block at a position that depends on k, plus noise, so a
small model learns it in an epoch or two; the files are byte-for-byte in the
official formats, so the same readers serve the real datasets.
"""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import numpy as np


def _images(
    n: int, channels: int, size: int, classes: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, classes, size=n)
    images = rng.integers(0, 60, size=(n, channels, size, size)).astype(np.uint8)
    block = size // 4
    for i, label in enumerate(labels):
        row, col = divmod(int(label), 4)
        images[i, :, row * block : (row + 1) * block, col * block : (col + 1) * block] = 255
    return images, labels.astype(np.uint8)


def _write_idx(path: Path, array: np.ndarray, gz: bool) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    payload = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    if gz:
        with gzip.open(path.with_name(path.name + ".gz"), "wb") as handle:
            handle.write(payload)
    else:
        path.write_bytes(payload)


def write_mnist(
    folder: Path, n_train: int = 600, n_test: int = 200, *, gz: bool = False, seed: int = 0
) -> Path:
    """MNIST IDX files (28×28, 10 classes) in ``folder``; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images, labels = _images(n, 1, 28, 10, rng)
        _write_idx(folder / f"{prefix}-images-idx3-ubyte", images[:, 0], gz)
        _write_idx(folder / f"{prefix}-labels-idx1-ubyte", labels, gz)
    return folder


class _Py2Str(str):
    """Text that pickles as a Python 2 ``str`` (bytes), as in the official CIFAR-10
    batches, which were pickled by Python 2: loaded with ``encoding="bytes"`` its
    keys are ``b"data"``, with ``encoding="latin1"`` (torchvision) ``"data"``."""


class _Py2Pickler(pickle._Pickler):  # the pure-Python pickler: its dispatch table is open
    dispatch = pickle._Pickler.dispatch.copy()

    # (typeshed leaves out the pure-Python pickler's write/memoize and its dispatch type)
    def save_py2_str(self, obj: _Py2Str) -> None:
        data = obj.encode("latin1")
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)  # type: ignore[attr-defined]
        else:
            self.write(pickle.BINSTRING + len(data).to_bytes(4, "little") + data)  # type: ignore[attr-defined]
        self.memoize(obj)  # type: ignore[attr-defined]

    dispatch[_Py2Str] = save_py2_str  # type: ignore[assignment]


def _dump_py2(obj: object, path: Path) -> None:
    with open(path, "wb") as handle:
        _Py2Pickler(handle, protocol=2).dump(obj)


CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)


def write_cifar10(
    folder: Path, n_per_batch: int = 100, n_test: int = 200, *, batches: int = 5, seed: int = 0
) -> Path:
    """A ``cifar-10-batches-py`` folder inside ``folder``; returns that inner folder."""
    root = folder / "cifar-10-batches-py"
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = [f"data_batch_{i}" for i in range(1, batches + 1)] + ["test_batch"]
    for name in names:
        n = n_test if name == "test_batch" else n_per_batch
        images, labels = _images(n, 3, 32, 10, rng)
        batch = {
            _Py2Str("batch_label"): _Py2Str(name),
            _Py2Str("labels"): [int(v) for v in labels],
            _Py2Str("data"): images.reshape(n, 3072),
            _Py2Str("filenames"): [_Py2Str(f"{i}.png") for i in range(n)],
        }
        _dump_py2(batch, root / name)
    meta = {
        _Py2Str("label_names"): [_Py2Str(c) for c in CIFAR10_CLASSES],
        _Py2Str("num_cases_per_batch"): n_per_batch,
        _Py2Str("num_vis"): 3072,
    }
    _dump_py2(meta, root / "batches.meta")
    return root
