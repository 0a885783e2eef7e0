"""The suite's datasets on disk, and the data overrides each cell gets.

A dataset with ``path: null`` is written as small learnable files in the real format
(``harness.datasets.synthetic``), so a suite runs with no download. scikit-learn reads
no image format: for it the same images are flattened into an npz (arrays X, y,
train split first), and its held-out share is set to the test split's share.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from harness.bench.suite import IMAGE_FORMATS, Cell, Suite, component_name
from harness.errors import ConfigError


def prepare(suite: Suite, folder: Path) -> dict[str, str | None]:
    """Write the synthetic datasets into ``folder``; return each dataset's path."""
    from harness import datasets
    from harness.datasets.synthetic import write_cifar10, write_mnist

    paths: dict[str, str | None] = {}
    for name, spec in suite.datasets.items():
        fmt = spec["format"]
        if fmt not in IMAGE_FORMATS:
            paths[name] = None
            continue
        if spec.get("path"):
            path = Path(str(spec["path"])).expanduser().resolve()
            datasets.check(fmt, str(path))  # a wrong path fails before any cell runs
            paths[name] = str(path)
            continue
        sizes = dict(spec.get("synthetic") or {})
        target = folder / name
        try:
            written = (
                write_mnist(target, **sizes) if fmt == "mnist" else write_cifar10(target, **sizes)
            )
        except TypeError as exc:
            raise ConfigError(f"suite dataset '{name}': bad synthetic sizes: {exc}") from None
        paths[name] = str(written)
    return paths


def flattened_npz(fmt: str, path: str, target: Path) -> tuple[Path, float]:
    """The images of ``path`` as an npz for scikit-learn; returns it and the test share."""
    import numpy as np

    from harness import datasets
    from harness.storage.workspace import atomic_write_bytes

    data = datasets.load(fmt, path)
    x = np.concatenate([data.x_train, data.x_test]).reshape(
        len(data.x_train) + len(data.x_test), -1
    )
    y = np.concatenate([data.y_train, data.y_test])
    buffer = io.BytesIO()
    np.savez(buffer, X=x, y=y)
    atomic_write_bytes(target, buffer.getvalue())
    return target, len(data.x_test) / len(y)


def data_overrides(
    suite: Suite, cell: Cell, paths: dict[str, str | None], folder: Path
) -> list[str]:
    spec = suite.datasets[cell.dataset]
    fmt, path = spec["format"], paths[cell.dataset]
    if fmt == "digits" or path is None:
        return [f"estimator.data.format={fmt}"]
    if component_name(cell.estimator, suite.estimators[cell.estimator]) == "sklearn":
        npz = folder / f"{cell.dataset}-flat.npz"
        share = _flat_cache.get(npz)
        if share is None:
            share = flattened_npz(fmt, path, npz)[1]
            _flat_cache[npz] = share
        return [
            "estimator.data.format=npz",
            f"estimator.data.path={quote(str(npz))}",
            f"estimator.data.test_size={share:.6g}",
        ]
    return [f"estimator.data.format={fmt}", f"estimator.data.path={quote(path)}"]


_flat_cache: dict[Path, Any] = {}


def quote(value: str) -> str:
    """A Hydra override value that keeps any path intact (quoted only when needed)."""
    if re.fullmatch(r"[A-Za-z0-9_/.~+-]+", value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
