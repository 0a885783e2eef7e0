"""Tabular data for the sklearn estimator: bundled datasets or the user's file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.errors import ConfigError

BUNDLED = ("digits", "iris", "wine", "breast_cancer", "diabetes")
FILE_FORMATS = ("csv", "npz")


def check(data: Any) -> None:
    """Driver-side check of ``estimator.data`` (no loading)."""
    fmt = _format(data)
    if fmt in BUNDLED:
        return
    if fmt not in FILE_FORMATS:
        raise ConfigError(
            f"estimator.data.format '{fmt}' is not supported; use one of {', '.join(BUNDLED + FILE_FORMATS)}"
        )
    path = data.get("path")
    if not path:
        raise ConfigError(f"estimator.data.format={fmt} needs estimator.data.path=FILE")
    if not Path(str(path)).is_file():
        raise ConfigError(f"estimator.data.path: no such file '{path}' (expected a .{fmt} file)")


def _format(data: Any) -> str:
    fmt = str(data.get("format") or "digits")
    path = data.get("path")
    if path and fmt in BUNDLED:  # a path given with the default format: go by its suffix
        suffix = Path(str(path)).suffix.lstrip(".").lower()
        fmt = suffix if suffix in FILE_FORMATS else fmt
    return fmt


def load(data: Any) -> tuple[Any, Any]:
    """Features and labels as numpy arrays."""
    import numpy as np

    fmt = _format(data)
    if fmt in BUNDLED:
        from sklearn import datasets

        bunch = getattr(datasets, f"load_{fmt}")()
        return bunch.data, bunch.target
    path = Path(str(data.path))
    if fmt == "npz":
        with np.load(path) as arrays:
            if "X" not in arrays or "y" not in arrays:
                raise ConfigError(
                    f"{path}: an npz file needs arrays named X and y, found {list(arrays)}"
                )
            return arrays["X"], arrays["y"]
    return _load_csv(path, data.get("target"))


def _load_csv(path: Path, target: str | None) -> tuple[Any, Any]:
    import numpy as np

    with open(path, encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")
    table = np.genfromtxt(path, delimiter=",", skip_header=1, dtype=float)
    if table.ndim != 2 or table.shape[1] < 2:
        raise ConfigError(f"{path}: expected a CSV with a header and at least two numeric columns")
    column = header.index(target) if target else len(header) - 1
    if target and target not in header:
        raise ConfigError(f"{path}: no column '{target}'; columns are {', '.join(header)}")
    features = np.delete(table, column, axis=1)
    return features, table[:, column]
