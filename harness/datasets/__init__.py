"""Framework-neutral readers for the classic image datasets, as numpy arrays.

Every framework estimator (PyTorch, Chainer, …) reads the same files the same way.
The readers parse the formats themselves (MNIST IDX, CIFAR-10 python batches):
torchvision's dataset classes insist on the official archives' names and md5 sums,
and nothing here ever downloads. Image folders are torchvision's job.
"""

from __future__ import annotations

import gzip
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
# numpy is imported inside the readers: the driver's check() runs in every
# `harness train` and must not pay for it.

FORMATS = ("digits", "mnist", "cifar10")


class DatasetError(ConfigError):
    """A dataset path is missing or not in the expected format."""


@dataclass
class ArrayDataset:
    name: str
    x_train: np.ndarray  # float32, (N, C, H, W), values in [0, 1]
    y_train: np.ndarray  # int64, (N,)
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])


def load(
    fmt: str, path: str | None = None, *, test_size: float = 0.2, seed: int = 0
) -> ArrayDataset:
    """Load ``fmt`` (digits | mnist | cifar10); ``path`` is required except for digits."""
    check(fmt, path)
    if fmt == "digits":
        return load_digits(test_size=test_size, seed=seed)
    folder = Path(str(path)).expanduser()
    return load_mnist(folder) if fmt == "mnist" else load_cifar10(folder)


def check(fmt: str, path: str | None) -> None:
    """Driver-side check: the files exist with the expected names (nothing is read)."""
    if fmt == "digits":
        return
    if fmt not in FORMATS:
        raise DatasetError(f"unknown data format '{fmt}'; use one of {', '.join(FORMATS)}")
    if not path:
        raise DatasetError(f"data format '{fmt}' needs a path: estimator.data.path=FOLDER")
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise DatasetError(f"data path '{folder}' is not a folder (expected {_EXPECTED[fmt]})")
    if fmt == "mnist":
        for stem in _MNIST_FILES.values():
            _find_idx(folder, stem)
    else:
        _cifar_folder(folder)


_EXPECTED = {
    "mnist": "MNIST IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, "
    "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (plain or .gz)",
    "cifar10": "the cifar-10-batches-py folder (data_batch_1..5, test_batch)",
}


def load_digits(test_size: float = 0.2, seed: int = 0) -> ArrayDataset:
    """scikit-learn's bundled 8×8 digits (no download), split with ``seed``."""
    import numpy as np
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    bunch = sklearn_digits()
    images = (bunch.images / 16.0).astype(np.float32)[:, None, :, :]
    labels = bunch.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_size, random_state=seed, stratify=labels
    )
    return ArrayDataset("digits", x_train, y_train, x_test, y_test, 10)


# -- MNIST IDX ---------------------------------------------------------------
_MNIST_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
_IDX_DTYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _find_idx(folder: Path, stem: str) -> Path:
    # Accept the official names, the '.'-for-'-' variant, plain or gzipped.
    for name in (stem, stem.replace("-idx", ".idx")):
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    raise DatasetError(f"{folder}: no {stem}[.gz] (expected {_EXPECTED['mnist']})")


def read_idx(path: Path) -> np.ndarray:
    import numpy as np

    """Parse one IDX file (the MNIST format): magic, dimensions, then the data."""
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DatasetError(f"{path}: not an IDX file (bad magic number)")
    ndim = raw[3]
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    offset = 4 + 4 * ndim
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(raw) - offset != expected:
        raise DatasetError(
            f"{path}: truncated or corrupt IDX file ({len(raw) - offset} of {expected} data bytes)"
        )
    return np.frombuffer(raw, dtype=dtype, offset=offset).reshape(dims)


def load_mnist(folder: Path) -> ArrayDataset:
    import numpy as np

    arrays = {key: read_idx(_find_idx(folder, stem)) for key, stem in _MNIST_FILES.items()}
    for split in ("train", "test"):
        if len(arrays[f"x_{split}"]) != len(arrays[f"y_{split}"]):
            raise DatasetError(f"{folder}: {split} images and labels differ in count")
    images = {
        k: (arrays[k].astype(np.float32) / 255.0)[:, None, :, :] for k in ("x_train", "x_test")
    }
    labels = {k: arrays[k].astype(np.int64) for k in ("y_train", "y_test")}
    classes = int(max(labels["y_train"].max(), labels["y_test"].max())) + 1
    return ArrayDataset(
        "mnist", images["x_train"], labels["y_train"], images["x_test"], labels["y_test"], classes
    )


# -- CIFAR-10 python batches ---------------------------------------------------
_CIFAR_TRAIN = [f"data_batch_{i}" for i in range(1, 6)]
_CIFAR_TEST = "test_batch"


def _cifar_folder(folder: Path) -> Path:
    for candidate in (folder, folder / "cifar-10-batches-py"):
        if (candidate / _CIFAR_TEST).is_file() and (candidate / _CIFAR_TRAIN[0]).is_file():
            return candidate
    raise DatasetError(f"{folder}: no data_batch_1/test_batch (expected {_EXPECTED['cifar10']})")


def _read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    try:
        with open(path, "rb") as handle:
            batch = pickle.load(handle, encoding="bytes")
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except (pickle.UnpicklingError, KeyError, EOFError, TypeError, ValueError) as exc:
        raise DatasetError(f"{path}: not a CIFAR-10 python batch ({exc})") from None
    if data.ndim != 2 or data.shape[1] != 3072 or len(data) != len(labels):
        raise DatasetError(f"{path}: expected an N×3072 uint8 'data' array and N labels")
    return data.reshape(-1, 3, 32, 32), labels


def load_cifar10(folder: Path) -> ArrayDataset:
    import numpy as np

    root = _cifar_folder(folder)
    parts = [_read_cifar_batch(root / name) for name in _CIFAR_TRAIN if (root / name).is_file()]
    x_train = np.concatenate([p[0] for p in parts]).astype(np.float32) / 255.0
    y_train = np.concatenate([p[1] for p in parts])
    x_test, y_test = _read_cifar_batch(root / _CIFAR_TEST)
    return ArrayDataset("cifar10", x_train, y_train, x_test.astype(np.float32) / 255.0, y_test, 10)
