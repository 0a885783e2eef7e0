"""``harness.Environment``: environments from Python, the same code path as
``harness envs`` and ``estimator.environment``.

    env = Environment("tab", pip_packages=["tabulate==0.9.0"])
    env = Environment.from_pip_requirements("tab", "requirements.txt")
    env = Environment.from_conda_specification("tab", "environment.yml")
    env.register()                      # workspace: HARNESS_HOME (or pass one)
    Environment.get(name="tab")         # latest version; version=N for another
    config["estimator"]["environment"] = env.to_config()
"""

from __future__ import annotations

import builtins
import os
from pathlib import Path
from typing import Any

from harness.envs import registry
from harness.envs.spec import Definition, from_mapping, merge_conda_file, read_requirements_file


def workspace_home(workspace: Any = None) -> Path:
    """A workspace given as None (HARNESS_HOME), a folder, or an object that
    carries one (``.home``, ``.path`` or ``.root``, as the SDK's Workspace does)."""
    from harness.storage.workspace import harness_home

    if workspace is None:
        return harness_home()
    if isinstance(workspace, (str, os.PathLike)):
        return Path(workspace).expanduser().resolve()
    for attribute in ("home", "path", "root"):
        value = getattr(workspace, attribute, None)
        if isinstance(value, (str, os.PathLike)):
            return Path(value).expanduser().resolve()
    raise TypeError(f"cannot find a workspace folder in {workspace!r}")


class Environment:
    """A named Python environment: pip packages, conda packages mapped to PyPI,
    an interpreter version; built with uv when a run first needs it."""

    def __init__(
        self,
        name: str | None = None,
        pip_packages: list[str] | None = None,
        python: str | None = None,
        conda_packages: list[str] | None = None,
        build_constraints: list[str] | None = None,
        strict_python: bool = False,
    ) -> None:
        definition = from_mapping(
            {
                "name": name,
                "python": python,
                "pip_packages": list(pip_packages or []),
                "conda_packages": list(conda_packages or []),
                "build_constraints": list(build_constraints or []),
                "strict_python": strict_python,
            },
            where=f"Environment({name!r})",
        )
        self._definition = definition

    # -- constructors --------------------------------------------------------
    @classmethod
    def _of(cls, definition: Definition) -> Environment:
        env = cls.__new__(cls)
        env._definition = definition
        return env

    @classmethod
    def from_pip_requirements(
        cls, name: str, file_path: str | os.PathLike[str], python: str | None = None
    ) -> Environment:
        return cls(name, pip_packages=read_requirements_file(file_path), python=python)

    @classmethod
    def from_conda_specification(cls, name: str, file_path: str | os.PathLike[str]) -> Environment:
        """An ``environment.yml``: conda packages through the documented name table,
        the ``pip:`` section as is, ``python=X.Y`` as the interpreter version."""
        env = cls(name)
        merge_conda_file(env._definition, str(file_path))
        env._definition.name = name
        env._definition.requirements()  # refuse a conda-only package now
        return env

    @classmethod
    def get(cls, workspace: Any = None, name: str = "", version: int | None = None) -> Environment:
        """A registered (or curated) environment, latest version unless given."""
        reference = f"{name}:{version}" if version is not None else name
        return cls._of(registry.get(workspace_home(workspace), reference))

    @classmethod
    def list(cls, workspace: Any = None) -> dict[str, Environment]:
        """Latest version of every registered environment, plus the curated ones."""
        home = workspace_home(workspace)
        found = {name: cls.get(home, name) for name in registry.curated_names()}
        for name in registry.registered_names(home):
            found[name] = cls.get(home, name)
        return found

    # -- actions ----------------------------------------------------------------
    def register(self, workspace: Any = None) -> Environment:
        """Store this definition as the next version of its name (or return the
        latest version when nothing changed)."""
        stored, _ = registry.register(workspace_home(workspace), self._definition)
        self._definition = stored
        return self

    def build(self, workspace: Any = None) -> dict[str, Any]:
        """Build (or find) this environment now; what a run would record."""
        from harness.envs.build import ensure_built
        from harness.envs.resolve import resolve

        built = ensure_built(resolve(self._definition), workspace_home(workspace), quiet=True)
        return built.provenance()

    def to_config(self) -> Any:
        """The value for ``estimator.environment``."""
        d = self._definition
        if d.name and d.version is not None:
            return d.name if registry.is_reserved(d.name) else f"{d.name}:{d.version}"
        return registry.to_mapping(d)

    # -- attributes ---------------------------------------------------------------
    @property
    def name(self) -> str | None:
        return self._definition.name

    @property
    def version(self) -> int | None:
        return self._definition.version

    @property
    def python(self) -> str | None:
        return self._definition.python

    @python.setter
    def python(self, value: str | None) -> None:
        self._definition.python = None if value is None else str(value)

    @property
    def pip_packages(self) -> builtins.list[str]:
        return self._definition.pip_packages

    @pip_packages.setter
    def pip_packages(self, value: builtins.list[str]) -> None:
        self._definition = from_mapping({**self._definition.to_json(), "pip_packages": value})

    @property
    def conda_packages(self) -> builtins.list[str]:
        return self._definition.conda_packages

    @conda_packages.setter
    def conda_packages(self, value: builtins.list[str]) -> None:
        self._definition = from_mapping({**self._definition.to_json(), "conda_packages": value})

    @property
    def build_constraints(self) -> builtins.list[str]:
        return self._definition.build_constraints

    @property
    def definition(self) -> Definition:
        return self._definition

    def __repr__(self) -> str:
        return (
            f"Environment(name={self.name!r}, version={self.version!r}, "
            f"python={self.python!r}, pip_packages={self.pip_packages!r})"
        )
