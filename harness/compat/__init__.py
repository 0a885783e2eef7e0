"""Azure ML v1 compatibility: the ``azureml`` shim package and its opt-in install.

``harness compat azureml --install`` writes one ``.pth`` file into this
environment's site-packages that puts ``azureml_shim/`` on ``sys.path``, so
``import azureml.core`` finds the shim; ``--uninstall`` removes it. Nothing else is
copied or changed, and an environment that has the real Azure ML SDK is refused
(the shim would shadow it). Script mode puts the same folder on a job's
PYTHONPATH instead (``estimator.azureml_compat=true``).
"""

from __future__ import annotations

import importlib.util
import sysconfig
from pathlib import Path

from harness.compat.azureml_hint import MESSAGE
from harness.errors import HarnessError

SHIM_DIR = Path(__file__).parent / "azureml_shim"
PTH_NAME = "harness_azureml_compat.pth"
#: Put on a script's PYTHONPATH by script mode: the chainer/NumPy 2 patch and the
#: hint for a forgotten opt-in (``script_site/sitecustomize.py``).
SCRIPT_SITE_DIR = Path(__file__).parent / "script_site"

#: What ``import azureml`` says when the opt-in was forgotten (harness/compat/azureml_hint.py).
FORGOTTEN_HINT = MESSAGE


def site_dir(site: str | Path | None = None) -> Path:
    return Path(site) if site else Path(sysconfig.get_paths()["purelib"])


def real_azureml() -> str | None:
    """Where a real ``azureml`` package is, if one is importable (not the shim)."""
    spec = importlib.util.find_spec("azureml")
    if spec is None:
        return None
    locations = list(spec.submodule_search_locations or [])
    if all(Path(p).resolve().is_relative_to(SHIM_DIR.resolve()) for p in locations):
        return None
    return ", ".join(locations) or str(spec.origin)


def is_installed(site: str | Path | None = None) -> bool:
    return (site_dir(site) / PTH_NAME).is_file()


def install(site: str | Path | None = None) -> Path:
    target = site_dir(site)
    found = real_azureml()
    if found:
        raise HarnessError(
            f"a real azureml package is installed here ({found}); the harness shim would "
            "shadow it. Use a separate environment for the harness's azureml layer"
        )
    if not target.is_dir():
        raise HarnessError(f"site-packages folder {target} does not exist")
    path = target / PTH_NAME
    tmp = path.with_name(f".{PTH_NAME}.tmp")
    tmp.write_text(str(SHIM_DIR) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def uninstall(site: str | Path | None = None) -> Path | None:
    path = site_dir(site) / PTH_NAME
    if path.is_file():
        path.unlink()
        return path
    return None
