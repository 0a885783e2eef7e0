"""The compatibility pieces an estimator that runs other people's code may use.

Script mode runs a user's own training script, written for Azure ML v1 or for an
older NumPy; these put the harness's answers to that on the script's path. The
pieces themselves live in ``harness.compat`` (the opt-in ``azureml`` layer).
"""

from __future__ import annotations

__all__ = ["restore_numpy_sctypes", "script_python_path"]


def script_python_path(azureml_compat: bool) -> list[str]:
    """Folders to put first on a script's PYTHONPATH: always the script site (its
    ``sitecustomize`` lets ``import chainer`` work on NumPy 2 and explains a
    forgotten azureml opt-in), and with ``azureml_compat`` the ``azureml`` shim
    (so the script's ``import azureml.core`` works without installing anything)."""
    from harness.compat import SCRIPT_SITE_DIR, SHIM_DIR

    return [str(SCRIPT_SITE_DIR), *([str(SHIM_DIR)] if azureml_compat else [])]


def restore_numpy_sctypes() -> None:
    """Give NumPy 2 back ``np.sctypes``, which chainer reads at import."""
    from harness.compat.numpy2 import restore_sctypes

    restore_sctypes()
