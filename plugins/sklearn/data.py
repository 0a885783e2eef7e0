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
    """Features and labels as numpy arrays. A file that cannot be read as the data
    it should hold is a ``ConfigError`` naming the file and the problem: the job
    calls this from ``validate_in_job``, so a bad file is exit 2 before training,
    never a traceback from inside scikit-learn."""
    fmt = _format(data)
    if fmt in BUNDLED:
        from sklearn import datasets

        bunch = getattr(datasets, f"load_{fmt}")()
        return bunch.data, bunch.target
    path = Path(str(data.path))
    features, labels = _load_npz(path) if fmt == "npz" else _load_csv(path, data.get("target"))
    _check_arrays(path, features, labels)
    return features, labels


def _load_npz(path: Path) -> tuple[Any, Any]:
    import zipfile

    import numpy as np

    try:
        # allow_pickle=False: an object array (a pickle) is refused, never unpickled.
        with np.load(path, allow_pickle=False) as arrays:
            if "X" not in arrays or "y" not in arrays:
                raise ConfigError(
                    f"{path}: an npz file needs arrays named X and y, found {list(arrays)}"
                )
            return arrays["X"], arrays["y"]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ConfigError(f"{path}: not a readable npz file of arrays X and y ({exc})") from None


def _load_csv(path: Path, target: str | None) -> tuple[Any, Any]:
    import warnings

    import numpy as np

    try:
        with open(path, encoding="utf-8") as handle:
            header = [name.strip() for name in handle.readline().strip().split(",")]
        with warnings.catch_warnings():  # an empty file: numpy warns, we explain
            warnings.simplefilter("ignore")
            table = np.genfromtxt(path, delimiter=",", skip_header=1, dtype=float, ndmin=2)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        # genfromtxt's ValueError names the line whose column count differs.
        raise ConfigError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    if table.ndim != 2 or table.shape[1] < 2 or table.shape[0] < 2:
        raise ConfigError(
            f"{path}: expected a CSV with a header and at least two rows of two or more "
            "numeric columns"
        )
    if len(header) != table.shape[1]:
        raise ConfigError(
            f"{path}: the header names {len(header)} columns, the rows have {table.shape[1]}"
        )
    missing = np.argwhere(np.isnan(table))
    if missing.size:
        row, column = (int(v) for v in missing[0])
        raise ConfigError(
            f"{path}: line {row + 2}, column '{header[column]}' is empty or not a number "
            f"({len(missing)} such cells)"
        )
    if target and target not in header:
        raise ConfigError(f"{path}: no column '{target}'; columns are {', '.join(header)}")
    column = header.index(target) if target else len(header) - 1
    features = np.delete(table, column, axis=1)
    return features, table[:, column]


def _check_arrays(path: Path, features: Any, labels: Any) -> None:
    import numpy as np

    if features.ndim != 2 or labels.ndim != 1:
        raise ConfigError(
            f"{path}: X must be 2-D (samples × features) and y 1-D, got shapes "
            f"{features.shape} and {labels.shape}"
        )
    if len(features) != len(labels) or len(labels) < 2:
        raise ConfigError(
            f"{path}: X has {len(features)} rows and y {len(labels)}; give the same number, "
            "at least 2"
        )
    if not np.issubdtype(features.dtype, np.number):
        raise ConfigError(f"{path}: X holds {features.dtype} values; give numbers")
