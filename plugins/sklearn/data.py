"""Tabular data for the sklearn estimator: bundled datasets or the user's file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from harness.errors import ConfigError

BUNDLED = ("digits", "iris", "wine", "breast_cancer", "diabetes")
FILE_FORMATS = ("csv", "npz")


def check(data: Any) -> None:
    """Driver-side check of ``estimator.data`` (no loading)."""
    test_size = data.get("test_size", 0.25)
    if (
        isinstance(test_size, bool)
        or not isinstance(test_size, (int, float))
        or not 0 < test_size < 1
    ):
        raise ConfigError(f"estimator.data.test_size must be between 0 and 1, got {test_size!r}")
    fmt = _format(data)
    path = data.get("path")
    if fmt in BUNDLED:
        if path:  # the suffix was not .csv/.npz: training would silently ignore the path
            raise ConfigError(
                f"estimator.data.path '{path}': the sklearn estimator reads "
                f"{', '.join('.' + f for f in FILE_FORMATS)} files (or a bundled dataset "
                f"without a path: {', '.join(BUNDLED)})"
            )
        return
    if fmt not in FILE_FORMATS:
        raise ConfigError(
            f"estimator.data.format '{fmt}' is not supported; use one of {', '.join(BUNDLED + FILE_FORMATS)}"
        )
    if not path:
        raise ConfigError(f"estimator.data.format={fmt} needs estimator.data.path=FILE")
    if not Path(str(path)).is_file():
        raise ConfigError(f"estimator.data.path: no such file '{path}' (expected a .{fmt} file)")
    if not os.access(str(path), os.R_OK):
        raise ConfigError(f"estimator.data.path '{path}' is not readable (check its permissions)")


def _format(data: Any) -> str:
    fmt = data.get("format") or "digits"
    fmt = str(getattr(fmt, "value", fmt))  # an Enum in the composed config
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
