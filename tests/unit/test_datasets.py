"""The shared dataset readers, on files written in the real formats."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from harness import datasets
from harness.datasets.synthetic import write_cifar10, write_mnist


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_idx_round_trip(tmp_path, gz):
    write_mnist(tmp_path, n_train=30, n_test=10, gz=gz)
    data = datasets.load("mnist", str(tmp_path))
    assert data.x_train.shape == (30, 1, 28, 28) and data.x_test.shape == (10, 1, 28, 28)
    assert (
        data.x_train.dtype == np.float32 and data.x_train.min() >= 0.0 and data.x_train.max() <= 1.0
    )
    assert data.y_train.dtype == np.int64 and data.num_classes <= 10
    datasets.check("mnist", str(tmp_path))


def test_idx_reader_matches_the_format_byte_for_byte(tmp_path):
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    raw = bytes([0, 0, 8, 1]) + (5).to_bytes(4, "big") + labels.tobytes()
    path = tmp_path / "labels.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(raw)
    assert datasets.read_idx(path).tolist() == [3, 1, 4, 1, 5]


def test_truncated_idx_is_a_clear_error(tmp_path):
    write_mnist(tmp_path, n_train=5, n_test=5)
    target = tmp_path / "train-images-idx3-ubyte"
    target.write_bytes(target.read_bytes()[:-10])
    with pytest.raises(datasets.DatasetError, match="truncated or corrupt"):
        datasets.load("mnist", str(tmp_path))


def test_cifar10_batches(tmp_path):
    root = write_cifar10(tmp_path, n_per_batch=8, n_test=6)
    for path in (tmp_path, root):  # the parent folder or cifar-10-batches-py itself
        data = datasets.load("cifar10", str(path))
        assert data.x_train.shape == (40, 3, 32, 32) and data.x_test.shape == (6, 3, 32, 32)
        assert data.num_classes == 10


def test_missing_and_malformed_paths_name_the_path(tmp_path):
    with pytest.raises(datasets.DatasetError, match="is not a folder"):
        datasets.check("mnist", str(tmp_path / "nope"))
    with pytest.raises(datasets.DatasetError, match="train-images-idx3-ubyte"):
        datasets.check("mnist", str(tmp_path))
    (tmp_path / "data_batch_1").write_bytes(b"garbage")
    (tmp_path / "test_batch").write_bytes(b"garbage")
    with pytest.raises(datasets.DatasetError, match="not a CIFAR-10 python batch"):
        datasets.load("cifar10", str(tmp_path))


def test_digits_is_bundled_and_split_by_seed():
    a = datasets.load("digits", seed=1)
    b = datasets.load("digits", seed=1)
    assert a.shape == (1, 8, 8) and a.num_classes == 10
    assert np.array_equal(a.y_test, b.y_test)
