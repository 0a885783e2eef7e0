"""``azureml.core.conda_dependencies.CondaDependencies``: a package list.

It maps onto the environment's ``pip_packages`` and ``conda_packages`` (conda names
through the harness's table). The Azure ML SDK's own packages (``azureml-defaults``)
stay in the list, as v1 printed them; the environments layer leaves them out of
every build, with one warning, as it does for a conda file's ``pip:`` section."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class CondaDependencies:
    def __init__(
        self, conda_dependencies_file_path: str | None = None, _underlying_structure: Any = None
    ) -> None:
        self.conda_packages: list[str] = []
        self.pip_packages: list[str] = []
        self.channels: list[str] = []
        self.python_version: str | None = None
        self.file_path = conda_dependencies_file_path

    @staticmethod
    def create(
        pip_packages: list[str] | None = None,
        conda_packages: list[str] | None = None,
        python_version: str | None = None,
        pin_sdk_version: bool = True,
        pip_indexurl: Any = None,
    ) -> CondaDependencies:
        deps = CondaDependencies()
        deps.pip_packages = [str(p) for p in (pip_packages or [])]
        deps.conda_packages = list(conda_packages or [])
        deps.python_version = python_version
        return deps

    def add_pip_package(self, pip_package: str) -> None:
        if pip_package not in self.pip_packages:
            self.pip_packages.append(pip_package)

    def add_conda_package(self, conda_package: str) -> None:
        if conda_package not in self.conda_packages:
            self.conda_packages.append(conda_package)

    def add_channel(self, channel: str) -> None:
        self.channels.append(channel)

    def set_python_version(self, version: str) -> None:
        self.python_version = version

    def serialize_to_string(self) -> str:
        lines = ["name: project_environment", "dependencies:"]
        if self.python_version:
            lines.append(f"  - python={self.python_version}")
        lines += [f"  - {p}" for p in self.conda_packages]
        if self.pip_packages:
            lines.append("  - pip:")
            lines += [f"    - {p}" for p in self.pip_packages]
        return "\n".join(lines) + "\n"

    def save(self, path: str | None = None) -> str:
        target = Path(path or "conda_dependencies.yml")
        target.write_text(self.serialize_to_string())
        return str(target)

    def save_to_file(self, base_directory: str, conda_file_path: str | None = None) -> str:
        """v1: ``base_directory/conda_file_path`` (default ``conda_dependencies.yml``)."""
        return self.save(str(Path(base_directory) / (conda_file_path or "conda_dependencies.yml")))

    def to_config(self, name: str = "conda-dependencies") -> dict[str, Any] | Any:
        from azureml.core.environment import native_config

        if self.file_path:
            return native_config(name, conda_file=str(Path(self.file_path).resolve()))
        pip = [p for p in self.pip_packages if p not in ("python", "pip")]
        conda = [p for p in self.conda_packages if p not in ("python", "pip")]
        return native_config(
            name, pip_packages=pip, conda_packages=conda, python=self.python_version
        )
