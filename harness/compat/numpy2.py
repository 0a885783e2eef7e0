"""NumPy 2 removed ``np.sctypes``; Chainer 7 reads it at import time. Shared by the
chainer estimator and by script mode (a user's own ``import chainer``)."""

from __future__ import annotations

import warnings


def restore_sctypes() -> None:
    """Put back the NumPy 1.x ``np.sctypes`` dict (only if missing: NumPy 1 is untouched),
    and silence setuptools' ``pkg_resources`` deprecation warning chainer triggers."""
    import numpy as np

    if not hasattr(np, "sctypes"):
        np.sctypes = {  # type: ignore[attr-defined]
            "int": [np.int8, np.int16, np.int32, np.int64],
            "uint": [np.uint8, np.uint16, np.uint32, np.uint64],
            "float": [np.float16, np.float32, np.float64, np.longdouble],
            "complex": [np.complex64, np.complex128, np.clongdouble],
            "others": [bool, object, bytes, str, np.void],
        }
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
