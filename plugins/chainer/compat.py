"""The one place that makes Chainer 7.8.1 import on today's stack. Import chainer
(and chainermn) only through these functions.

Chainer 7.8.1 is the last release (2020) and predates two removals:

- NumPy 2 removed ``np.sctypes``; ``chainer/functions/array/as_strided.py`` reads
  ``np.sctypes['int']`` and ``['float']`` at import time. We restore the NumPy 1.x
  dict (only if missing, so NumPy 1 is untouched). ChainerMN does not use it.
- ``chainer/_environment_check.py`` imports ``pkg_resources``, gone in setuptools 81
  (hence ``setuptools<81`` in the ``chainer`` extra); 80.x warns that it is
  deprecated on every import, which we silence. The same module imports
  ``numpy.distutils`` (still present on Python 3.11), which raises deprecation
  warnings of its own; those are silenced while chainer imports, and only then.
"""

from __future__ import annotations

import warnings
from types import ModuleType


def _restore_numpy_sctypes() -> None:
    from harness.contract.compat import restore_numpy_sctypes

    restore_numpy_sctypes()


def import_chainer() -> ModuleType:
    """``import chainer``, after the compatibility patches."""
    _restore_numpy_sctypes()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        import chainer
    return chainer


def import_chainermn() -> ModuleType:
    """``import chainermn`` (it imports chainer, so patch first)."""
    import_chainer()
    import chainermn

    return chainermn


def chainer_available() -> bool:
    """Whether chainer is installed, without importing it (cheap, for the driver)."""
    from importlib.util import find_spec

    return find_spec("chainer") is not None
