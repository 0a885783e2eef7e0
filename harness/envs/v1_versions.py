"""The framework version an Azure ML v1 curated name names.

``AzureML-sklearn-1.5`` had scikit-learn 1.5; mapped onto the harness's
``harness-sklearn`` alone it would get today's scikit-learn, and a v1 script that
passes an argument 1.5 accepted (``LogisticRegression(multi_class="auto")``,
Azure's MNIST tutorial) fails or, worse, trains differently. So the version in the
name pins the framework's package, when a wheel of that release exists for the
environment's Python (asked of uv; torch 1.x has none for 3.11). When none does,
the harness's own version is used with one warning line naming both.

Only frameworks whose wheels decide installability (scikit-learn, PyTorch);
chainer is a source archive of 2020 the harness builds in one known-good version.
"""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache

from harness.envs.uv import uv_command, uv_environment
from harness.errors import warn

#: A framework word in a v1 name → its package on PyPI.
PACKAGES: dict[str, str] = {"scikit-learn": "scikit-learn", "sklearn": "scikit-learn",
                            "pytorch": "torch"}  # fmt: skip
#: Packages released in step with one named here: left for the resolver to match.
COMPANIONS: dict[str, tuple[str, ...]] = {"torch": ("torchvision",)}
_NAMED = re.compile(r"(?:^|-)(scikit-learn|sklearn|pytorch)-?(\d+(?:\.\d+){0,2})(?=$|[-_])")


def named_version(name: str) -> tuple[str, str] | None:
    """``(package, version)`` for a v1 name that names a framework version:
    ``AzureML-sklearn-1.5`` → ``("scikit-learn", "1.5")``; None otherwise."""
    lowered = str(name).lower()
    if not lowered.startswith("azureml-"):
        return None
    found = _NAMED.search(lowered[len("azureml-") :])
    return (PACKAGES[found.group(1)], found.group(2)) if found else None


def requirement(package: str, version: str) -> str:
    """``1.5`` → any 1.5.x release; ``0.20.3`` → that release."""
    return f"{package}=={version}.*" if version.count(".") < 2 else f"{package}=={version}"


@cache
def has_wheel(line: str, python: str) -> bool:
    """Whether ``line`` resolves to a wheel for Python ``python`` (X.Y), asked of uv
    (the index, or its cache); False when uv cannot answer (offline)."""
    try:
        proc = subprocess.run(
            [*uv_command(), "pip", "compile", "-", "--no-deps", "--only-binary", ":all:",
             "--python-version", python, "--quiet", "--no-header"],
            input=line, capture_output=True, text=True, timeout=120, env=uv_environment(),
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0


def pin(name: str, packages: list[str], python: str | None = None) -> list[str]:
    """``packages`` (a curated definition's pip lines) with the framework line set
    to the version ``name`` names, when it can be had for ``python`` (default: the
    harness's own); else unchanged, after one warning."""
    named = named_version(name)
    if named is None:
        return packages
    package, version = named
    python = python or f"{sys.version_info.major}.{sys.version_info.minor}"
    wanted = requirement(package, version)
    current = [p for p in packages if _package(p) == package]
    if not has_wheel(wanted, python):
        _warn_once(f"{name} names {package} {version}, which has no wheel for Python "
                   f"{python} here: using {', '.join(current) or package}")  # fmt: skip
        return packages
    companions = COMPANIONS.get(package, ())
    kept = [p for p in packages if _package(p) != package and _package(p) not in companions]
    return [wanted, *companions, *kept]


def _package(line: str) -> str:
    return re.split(r"[\s\[<>=!~;@]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")


@cache
def _warn_once(message: str) -> None:
    warn(message)
