"""What NumPy 1.24 and 2 removed and older code still uses.

- ``np.sctypes``: Chainer 7 reads it at import time. Shared by the chainer estimator
  and by script mode (a user's own ``import chainer``).
- The removed aliases (``np.float``, ``np.str``, ``np.float_``, ``np.NaN``...): Azure
  ML v1 training scripts use them; script mode puts them back where the v1 layer is
  on the job's path (``script_site/sitecustomize.py``).
"""

from __future__ import annotations

import warnings
from types import ModuleType


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


#: Names NumPy 1.24 and 2.0 removed that were plain aliases: builtins (``np.float`` was
#: ``float``) and other spellings of names NumPy still has (``np.float_`` was
#: ``np.float64``, ``np.product`` was ``np.prod``). Azure ML v1 scripts were written
#: against NumPy 1.x and use them (``run.log('Accuracy', np.float(acc))``).
REMOVED_BUILTIN_ALIASES: dict[str, type] = {
    "bool": bool,
    "int": int,
    "float": float,
    "complex": complex,
    "object": object,
    "str": str,
    "unicode": str,
}
REMOVED_NUMPY_ALIASES: dict[str, str] = {
    "float_": "float64",
    "complex_": "complex128",
    "cfloat": "complex128",
    "singlecomplex": "complex64",
    "longfloat": "longdouble",
    "clongfloat": "clongdouble",
    "longcomplex": "clongdouble",
    "unicode_": "str_",
    "str0": "str_",
    "string_": "bytes_",
    "bool8": "bool_",
    "int0": "intp",
    "uint0": "uintp",
    "object0": "object_",
    "void0": "void",
    "Inf": "inf",
    "Infinity": "inf",
    "infty": "inf",
    "PINF": "inf",
    "NaN": "nan",
    "NAN": "nan",
    "product": "prod",
    "cumproduct": "cumprod",
    "alltrue": "all",
    "sometrue": "any",
    "round_": "round",
    "trapz": "trapezoid",
}


def restore_removed_aliases(np: ModuleType) -> list[str]:
    """Put back, on a NumPy without them, the removed names that were exact aliases,
    each bound to what it meant (so results are NumPy 1.x's, not approximations);
    names NumPy still has are left alone. Returns the names put back."""
    restored = []
    present = vars(np)
    for name, builtin in REMOVED_BUILTIN_ALIASES.items():
        if name not in present:
            setattr(np, name, builtin)
            restored.append(name)
    for name, target in REMOVED_NUMPY_ALIASES.items():
        if name not in present and target in present:
            setattr(np, name, present[target])
            restored.append(name)
    if "NINF" not in present:
        np.NINF = -np.inf  # type: ignore[attr-defined]
        restored.append("NINF")
    return restored
