"""Environment definitions: what a user writes, checked and made canonical.

A definition comes from ``estimator.environment`` (an inline mapping), from
``harness envs create``, from the Python ``Environment`` class, or from a
curated file. Files it names (``requirements``, ``conda_file``) are read once and
inlined, so a stored definition never depends on a file that may change.
Every mistake is an ``EnvironmentSpecError`` (exit 2, nothing written).
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.envs.errors import EnvironmentSpecError
from harness.safetext import clean

#: The keys of an inline ``estimator.environment`` mapping.
KEYS = (
    "name",
    "version",
    "python",
    "pip_packages",
    "conda_packages",
    "requirements",
    "conda_file",
    "build_constraints",
    "strict_python",
)
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
#: The Azure ML SDK's own distributions (azureml-core, azureml-defaults, ...; a conda
#: channel prefix allowed). v1 conda files list them; a job gets the harness's
#: Azure ML layer instead, so they are never installed (one warning, recorded).
AZUREML_PACKAGE = re.compile(r"^\s*(?:[\w.-]+::)?azureml[-_.]", re.IGNORECASE)


@dataclass
class Definition:
    name: str | None = None
    #: The registry version this definition was read from (None: not registered).
    version: int | None = None
    #: A version (3.11) or an interpreter path; None = the harness's own Python.
    python: str | None = None
    pip_packages: list[str] = field(default_factory=list)
    conda_packages: list[str] = field(default_factory=list)
    #: Constraints for building source distributions (chainer needs setuptools<81).
    build_constraints: list[str] = field(default_factory=list)
    #: Refuse (exit 2) when ``python`` cannot be had, instead of using the nearest
    #: version with a warning (harness/envs/python.py).
    strict_python: bool = False

    def requirements(self) -> list[str]:
        """Every package as a checked PEP 508 line, conda names mapped to PyPI;
        the Azure ML SDK's packages left out (``azureml_packages``)."""
        from harness.envs.conda import conda_to_pip

        lines = [
            check_requirement(p, "pip_packages")
            for p in self.pip_packages
            if not AZUREML_PACKAGE.match(p)
        ]
        for spec in self.conda_packages:
            if AZUREML_PACKAGE.match(spec):
                continue
            mapped = conda_to_pip(spec)
            if mapped is not None:
                lines.append(check_requirement(mapped, "conda_packages"))
        return lines

    def azureml_packages(self) -> list[str]:
        """The Azure ML SDK's packages this definition lists, which are not installed:
        jobs import the harness's layer as ``azureml`` (docs/environments.md)."""
        return [p for p in [*self.pip_packages, *self.conda_packages] if AZUREML_PACKAGE.match(p)]

    def content(self) -> dict[str, Any]:
        """What the environment is made of (no name or version): equal content,
        equal build."""
        content: dict[str, Any] = {
            "python": self.python,
            "pip_packages": list(self.pip_packages),
            "conda_packages": list(self.conda_packages),
            "build_constraints": list(self.build_constraints),
        }
        if self.strict_python:  # only when set: older records keep their content
            content["strict_python"] = True
        return content

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def label(self) -> str:
        if not self.name:
            return "(inline)"
        return f"{self.name}:{self.version}" if self.version is not None else self.name


def check_requirement(line: Any, where: str) -> str:
    """A requirement in canonical form, or one line saying what is wrong."""
    from packaging.requirements import InvalidRequirement, Requirement

    text = str(line).strip()
    if not text or text.startswith("-"):
        raise EnvironmentSpecError(
            f"environment {where}: '{text}' is not a package requirement "
            "(pip options such as -e, -r, --index-url are not supported; set uv's "
            "own UV_INDEX_URL / UV_FIND_LINKS for other indexes)"
        )
    try:
        return str(Requirement(text))
    except InvalidRequirement as exc:
        reason = str(exc).splitlines()[0]
        raise EnvironmentSpecError(
            f"environment {where}: '{text}' is not a valid requirement ({reason})"
        ) from None


def check_name(name: Any) -> str:
    text = str(name)
    if not NAME_RE.fullmatch(text):
        raise EnvironmentSpecError(
            f"environment name '{clean(text)}' is invalid: use letters, digits, '.', '_' and '-' "
            "(starting with a letter or digit)"
        )
    return text


def read_requirements_file(path: str | os.PathLike[str]) -> list[str]:
    """A requirements.txt: one requirement a line; comments and blank lines skipped."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise EnvironmentSpecError(f"requirements file '{path}' not found")
    lines = []
    for number, raw in enumerate(file.read_text().splitlines(), 1):
        text = raw.split(" #", 1)[0].strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("-"):
            raise EnvironmentSpecError(
                f"requirements file '{path}' line {number}: pip option '{text}' is not "
                "supported; list packages only"
            )
        lines.append(check_requirement(text, f"requirements file '{path}'"))
    return lines


def from_mapping(data: Any, where: str = "estimator.environment", check: bool = True) -> Definition:
    """An inline mapping (``pip_packages``, ``python``, ``requirements``, ...).

    ``check=False`` leaves the requirement lines to ``resolve`` (which checks them
    unless it has seen this definition before): the path of a run, kept free of
    the ``packaging`` import when nothing is new."""
    if not isinstance(data, dict):
        raise EnvironmentSpecError(
            f"{where} must be a name (NAME[:VERSION]) or a mapping with pip_packages, "
            f"python, requirements or conda_file; got {data!r}"
        )
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise EnvironmentSpecError(
            f"{where}: unknown key(s) {', '.join(map(str, unknown))}; use {', '.join(KEYS)}"
        )
    definition = Definition(
        name=check_name(data["name"]) if data.get("name") else None,
        version=_version(data.get("version"), where),
        python=_python(data.get("python"), where),
        pip_packages=_string_list(data.get("pip_packages"), f"{where}.pip_packages"),
        conda_packages=_string_list(data.get("conda_packages"), f"{where}.conda_packages"),
        build_constraints=_string_list(data.get("build_constraints"), f"{where}.build_constraints"),
        strict_python=_flag(data.get("strict_python"), f"{where}.strict_python"),
    )
    if data.get("requirements"):
        definition.pip_packages += read_requirements_file(str(data["requirements"]))
    if data.get("conda_file"):
        merge_conda_file(definition, str(data["conda_file"]))
    if check:
        definition.requirements()  # every line checked now, before anything is written
        for line in definition.build_constraints:
            check_requirement(line, f"{where}.build_constraints")
    return definition


def merge_conda_file(definition: Definition, path: str) -> None:
    from harness.envs.conda import read_conda_file

    conda = read_conda_file(path)
    definition.conda_packages += conda["conda_packages"]
    definition.pip_packages += conda["pip_packages"]
    if conda.get("python") and not definition.python:
        definition.python = conda["python"]
    if conda.get("name") and not definition.name:
        definition.name = check_name(conda["name"])


def parse_reference(text: str) -> tuple[str, int | None]:
    """``NAME`` or ``NAME:VERSION``."""
    name, _, version = str(text).strip().partition(":")
    check_name(name)
    return name, _version(version or None, f"environment '{text}'")


def _version(value: Any, where: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not str(value).isdigit() or int(value) < 1:
        raise EnvironmentSpecError(f"{where}: version must be a positive integer, got {value!r}")
    return int(value)


def _python(value: Any, where: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):  # YAML reads `python: 3.10` as 3.1
        raise EnvironmentSpecError(f"{where}.python: quote the version, e.g. python: '3.11'")
    return str(value)


def _flag(value: Any, where: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise EnvironmentSpecError(f"{where} must be true or false, got {value!r}")
    return value


def _string_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value
    ):
        raise EnvironmentSpecError(f"{where} must be a list of strings, got {value!r}")
    return [str(v) for v in value]
