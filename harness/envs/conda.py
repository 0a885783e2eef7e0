"""conda names → PyPI names, and ``environment.yml`` files.

Environments are built with uv from PyPI, so a conda package is only accepted
when this table names its PyPI equivalent (docs/environments.md shows it). A
conda-only package (cudatoolkit, mkl, ...) is refused in one line naming it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from harness.envs.errors import EnvironmentSpecError

#: conda package → PyPI distribution. Same-name entries are listed on purpose:
#: only what is here is known to be the same software on both indexes.
CONDA_TO_PYPI: dict[str, str] = {
    **{
        name: name
        for name in [
            "numpy",
            "scipy",
            "pandas",
            "scikit-learn",
            "matplotlib",
            "seaborn",
            "pillow",
            "requests",
            "tqdm",
            "h5py",
            "six",
            "joblib",
            "chainer",
            "tabulate",
            "pytest",
            "sympy",
            "networkx",
            "tensorboard",
            "protobuf",
            "cloudpickle",
            "click",
            "attrs",
            "packaging",
            "filelock",
            "pyarrow",
            "xgboost",
            "lightgbm",
            "statsmodels",
            "scikit-image",
            "imageio",
            "numba",
            "cython",
            "mpi4py",
            "onnx",
            "torchvision",
            "torchaudio",
            "transformers",
            "tokenizers",
            "datasets",
            "mlflow",
            "optuna",
            "hydra-core",
            "omegaconf",
            "rich",
            "fsspec",
            "jinja2",
            "python-dateutil",
            "pytz",
            "typing-extensions",
            "setuptools",
            "wheel",
            "ipykernel",
            "notebook",
        ]
    },
    "pytorch": "torch",
    "pytorch-cpu": "torch",
    "py-xgboost": "xgboost",
    "py-opencv": "opencv-python",
    "opencv": "opencv-python",
    "pyyaml": "PyYAML",
    "msgpack-python": "msgpack",
    "pytables": "tables",
    "tensorflow": "tensorflow",
    "keras": "keras",
    "typing_extensions": "typing-extensions",
    "cntk": "cntk",
}

#: conda packages that do nothing in a uv environment and are dropped silently.
IGNORED = {"pip", "python_abi"}

_CONDA_SPEC = re.compile(r"^\s*(?:[\w.-]+::)?([A-Za-z0-9_.-]+)\s*(.*?)\s*$")


def conda_to_pip(spec: str) -> str | None:
    """One conda dependency (``numpy=1.26``, ``conda-forge::scikit-learn>=1.3``)
    as a PEP 508 requirement; None for the ones that are dropped (pip, python)."""
    match = _CONDA_SPEC.match(str(spec))
    if not match:
        raise EnvironmentSpecError(f"conda package '{spec}' is not a package spec")
    name, version = match.group(1).lower(), match.group(2)
    if name in IGNORED or name == "python":
        return None
    pypi = CONDA_TO_PYPI.get(name)
    if pypi is None:
        raise EnvironmentSpecError(
            f"conda package '{name}' has no PyPI equivalent in the harness's table "
            "(docs/environments.md); give its PyPI name under pip_packages or drop it"
        )
    return pypi + _conda_version(version, spec)


def _conda_version(version: str, spec: str) -> str:
    """conda's ``=1.2`` means 1.2.*; ``=1.2.0=build`` drops the build string."""
    version = version.replace(" ", "")
    if not version:
        return ""
    if version.startswith("=") and not version.startswith("=="):
        version = version[1:]
        version = version.split("=", 1)[0]  # a build string after a second '='
        return f"=={version}" if "*" in version else f"=={version}.*"
    if re.match(r"^[\d]", version):  # "numpy 1.26" (space-separated form)
        return f"=={version}.*"
    if re.match(r"^(==|>=|<=|!=|~=|>|<)", version):
        return version.split("=", 2)[0] if version.count("=") > 2 else version
    raise EnvironmentSpecError(f"conda package '{spec}': cannot read its version '{version}'")


def python_of_conda(dependencies: list[Any]) -> str | None:
    """The version in a ``python=3.11`` / ``python>=3.10`` dependency, if any."""
    for dep in dependencies:
        if isinstance(dep, str):
            match = _CONDA_SPEC.match(dep)
            if match and match.group(1).lower() == "python":
                version = match.group(2).lstrip("=<>~! ").split("=")[0].rstrip(".*")
                return version or None
    return None


def read_conda_file(path: str | Path) -> dict[str, Any]:
    """An ``environment.yml`` as a harness definition: python, pip_packages (the
    conda dependencies mapped through the table, then the ``pip:`` section)."""
    import yaml

    file = Path(path).expanduser()
    if not file.is_file():
        raise EnvironmentSpecError(f"conda file '{path}' not found")
    try:
        data = yaml.safe_load(file.read_text()) or {}
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        raise EnvironmentSpecError(f"conda file '{path}' is not valid YAML: {first}") from None
    if not isinstance(data, dict) or not isinstance(data.get("dependencies", []), list):
        raise EnvironmentSpecError(
            f"conda file '{path}' needs a 'dependencies:' list (conda's environment.yml format)"
        )
    deps = data.get("dependencies") or []
    pip: list[str] = []
    conda: list[str] = []
    for dep in deps:
        if isinstance(dep, dict) and set(dep) == {"pip"}:
            pip.extend(str(p) for p in dep["pip"] or [])
        elif isinstance(dep, str):
            conda.append(dep)
        else:
            raise EnvironmentSpecError(f"conda file '{path}': cannot read dependency {dep!r}")
    definition: dict[str, Any] = {"conda_packages": conda, "pip_packages": pip}
    python = python_of_conda(conda)
    if python:
        definition["python"] = python
    if data.get("name"):
        definition["name"] = str(data["name"])
    return definition
