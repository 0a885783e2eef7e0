"""Small stand-ins for the tutorials' downloads, in the real file formats.

The Azure ML tutorials download MNIST (gzipped IDX) and CIFAR-10 (python
batches); these notebooks run without network, so this writes small learnable
files in exactly those formats (via ``harness.datasets.synthetic``) where the
downloads would have put them:

- ``write_mnist_tutorial('./data')``: ``train-images.gz``, ``train-labels.gz``,
  ``test-images.gz``, ``test-labels.gz`` (the names the image-classification
  tutorial saved the downloads under);
- ``write_cifar10('./data')``: ``data/cifar-10-batches-py/`` with ``data_batch_1..5``,
  ``test_batch`` and ``batches.meta``. torchvision checks the official md5 sums;
  the ``.harness-standin`` marker written beside them lets harness jobs accept
  these stand-ins (and nothing else) by existence;
- ``write_chainer_mnist()``: ``train.npz``/``test.npz`` where
  ``chainer.datasets.get_mnist()`` caches its download
  (``$CHAINER_DATASET_ROOT/pfnet/chainer/mnist``);
- ``write_mnist_opendata('./mnist-files')``: the four gzipped IDX files under their
  official names, for the default datastore's ``opendatasets/mnist/``, where the
  harness's ``azureml.opendatasets.MNIST`` reads them;
- ``write_diabetes_opendata('./diabetes-files')``: the Diabetes table as a CSV, for
  ``opendatasets/diabetes/`` (``Diabetes.get_tabular_dataset()``).

    python make_data.py mnist|cifar10|chainer-mnist|mnist-opendata|diabetes-opendata [FOLDER]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from harness.datasets.synthetic import write_cifar10 as _write_cifar10_batches
from harness.datasets.synthetic import write_mnist

STANDIN_MARKER = ".harness-standin"


def write_mnist_tutorial(folder: str = "./data", n_train: int = 600, n_test: int = 100) -> Path:
    target = Path(folder)
    write_mnist(target, n_train, n_test, gz=True)
    for official, name in (
        ("train-images-idx3-ubyte.gz", "train-images.gz"),
        ("train-labels-idx1-ubyte.gz", "train-labels.gz"),
        ("t10k-images-idx3-ubyte.gz", "test-images.gz"),
        ("t10k-labels-idx1-ubyte.gz", "test-labels.gz"),
    ):
        (target / official).replace(target / name)
    return target


def write_mnist_opendata(
    folder: str = "./mnist-files", n_train: int = 600, n_test: int = 100
) -> Path:
    """What ``MNIST.get_file_dataset()`` delivers: the official file names, gzipped."""
    return write_mnist(Path(folder), n_train, n_test, gz=True)


def write_diabetes_opendata(folder: str = "./diabetes-files") -> Path:
    """What ``Diabetes.get_tabular_dataset()`` reads: a CSV with the open dataset's
    columns (AGE, SEX, BMI, BP, S1 ... S6, Y), from scikit-learn's copy of the data."""
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True, scaled=False).frame
    frame.columns = ["AGE", "SEX", "BMI", "BP", "S1", "S2", "S3", "S4", "S5", "S6", "Y"]
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    frame.to_csv(target / "diabetes.csv", index=False)
    return target


def write_cifar10(folder: str = "./data", n_per_batch: int = 20, n_test: int = 40) -> Path:
    root = _write_cifar10_batches(Path(folder), n_per_batch, n_test)
    (root / STANDIN_MARKER).write_text("small stand-in files written by make_data.py\n")
    return root


def write_chainer_mnist(root: str | None = None, n_train: int = 600, n_test: int = 100) -> Path:
    """What ``chainer.datasets.get_mnist()`` would have downloaded and cached."""
    base = Path(
        root or os.environ.get("CHAINER_DATASET_ROOT") or Path.home() / ".chainer" / "dataset"
    )
    target = base / "pfnet" / "chainer" / "mnist"
    target.mkdir(parents=True, exist_ok=True)
    staging = target / "idx"
    write_mnist(staging, n_train, n_test)
    for prefix, name in (("train", "train.npz"), ("t10k", "test.npz")):
        images = np.fromfile(staging / f"{prefix}-images-idx3-ubyte", np.uint8)[16:]
        labels = np.fromfile(staging / f"{prefix}-labels-idx1-ubyte", np.uint8)[8:]
        np.savez_compressed(target / name, x=images.reshape(-1, 784), y=labels)
    for file in staging.iterdir():
        file.unlink()
    staging.rmdir()
    return target


if __name__ == "__main__":
    kind = sys.argv[1] if len(sys.argv) > 1 else ""
    where = sys.argv[2] if len(sys.argv) > 2 else None
    makers = {
        "mnist": write_mnist_tutorial,
        "cifar10": write_cifar10,
        "chainer-mnist": write_chainer_mnist,
        "mnist-opendata": write_mnist_opendata,
        "diabetes-opendata": write_diabetes_opendata,
    }
    if kind not in makers:
        sys.exit(f"usage: python make_data.py {'|'.join(makers)} [FOLDER]")
    print(makers[kind](where) if where else makers[kind]())
