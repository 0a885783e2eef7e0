"""``azureml.core.Environment``: maps onto the harness's environment config key
``estimator.environment`` (a name ``NAME[:VERSION]`` or an inline mapping).

Curated Azure ML environments (``AzureML-...``, matched case-insensitively as
Azure did: ``azureml-sklearn-1.5``) were Docker images. The ones the harness maps
(docs/environments.md: ``AzureML-PyTorch-1.3-CPU`` → ``harness-pytorch``, any
``AzureML-sklearn-*`` → ``harness-sklearn``, ...) run in that curated harness
environment, passed on by name; any other curated name runs in the current Python
environment, with one warning naming the mapped ones. ``user_managed_dependencies=True`` means the
current environment, without a warning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from azureml._compat import ignored, warn_once
from azureml.core.conda_dependencies import CondaDependencies


def _native() -> Any:
    """``harness.envs.Environment`` (the environments feature), if this install has it."""
    try:
        from harness.envs import Environment as Native
    except ImportError:
        return None
    return Native


def native_config(
    name: str,
    *,
    pip_packages: list[str] | None = None,
    conda_packages: list[str] | None = None,
    python: str | None = None,
    conda_file: str | None = None,
    requirements: str | None = None,
) -> Any:
    """The ``estimator.environment`` value for a v1 package list or file: built by
    ``harness.envs.Environment`` when available (conda names mapped by its table),
    else the plain mapping (conda names taken as pip names)."""
    native = _native()
    if native is not None:
        if conda_file:
            return native.from_conda_specification(name, conda_file).to_config()
        if requirements:
            return native.from_pip_requirements(name, requirements).to_config()
        if not (pip_packages or conda_packages or python):
            return None
        return native(
            name, pip_packages=pip_packages, python=python, conda_packages=conda_packages
        ).to_config()
    if conda_file:
        return {"conda_file": conda_file}
    if requirements:
        return {"requirements": requirements}
    config: dict[str, Any] = {}
    if pip_packages or conda_packages:
        config["pip_packages"] = [*(conda_packages or []), *(pip_packages or [])]
    if python:
        config["python"] = python
    return config or None


def curated_target(name: str) -> str | None:
    """The harness's curated environment a v1 curated name maps to, or None."""
    try:
        from harness.envs import registry
    except ImportError:
        return None
    found = registry.curated(name)
    return found.name if found is not None else None


def is_curated_name(name: str) -> bool:
    """An ``AzureML-...`` curated name, in any case."""
    return str(name).lower().startswith("azureml-")


def _mapped_v1_names() -> str:
    try:
        from harness.envs.registry import V1_FAMILIES
    except ImportError:
        return "none"
    words = ", ".join(dict.fromkeys(word for word, _ in V1_FAMILIES))
    return f"AzureML-* names with {words}; docs/environments.md"


class PythonSection:
    def __init__(self) -> None:
        self.user_managed_dependencies = False
        self.interpreter_path = "python"
        self.conda_dependencies: Any = None
        self.conda_dependencies_file: str | None = None


class DockerSection:
    def __init__(self) -> None:
        from azureml.core.runconfig import DEFAULT_CPU_IMAGE

        self.enabled = False
        #: v1's default image name (printed by the train-on-local sample); unused here.
        self.base_image: str | None = DEFAULT_CPU_IMAGE
        self.base_dockerfile: str | None = None
        self.shm_size: str | None = None
        self.arguments: list[str] = []


class Environment:
    def __init__(self, name: str = "harness-env", **_: Any) -> None:
        self.name = name
        self.version: str | None = None
        self.python = PythonSection()
        self.docker = DockerSection()
        self.environment_variables: dict[str, str] = {}
        self.inferencing_stack_version: Any = None
        self._requirements: str | None = None
        self._curated = is_curated_name(name)
        self._registered = False

    # -- constructors -----------------------------------------------------------
    @staticmethod
    def from_conda_specification(name: str, file_path: str) -> Environment:
        env = Environment(name)
        env.python.conda_dependencies = CondaDependencies(str(Path(file_path).resolve()))
        return env

    @staticmethod
    def from_pip_requirements(name: str, file_path: str, pip_version: Any = None) -> Environment:
        env = Environment(name)
        env._requirements = str(Path(file_path).resolve())
        return env

    @staticmethod
    def from_existing_conda_environment(name: str, conda_environment_name: str) -> Environment:
        warn_once(
            "conda-existing",
            "conda environments are not used here; the job runs in the current Python environment",
        )
        env = Environment(name)
        env.python.user_managed_dependencies = True
        return env

    @staticmethod
    def from_docker_image(name: str, image: str, **_: Any) -> Environment:
        env = Environment(name)
        env.docker.base_image = image
        return env

    @staticmethod
    def get(
        workspace: Any, name: str, version: str | None = None, label: Any = None
    ) -> Environment:
        return EnvironmentMap(workspace).get_environment(name, version)

    @staticmethod
    def list(workspace: Any) -> dict[str, Environment]:
        return dict(EnvironmentMap(workspace).items())

    def register(self, workspace: Any) -> Environment:
        native = _native()
        deps = self.python.conda_dependencies
        if self._curated:
            # v1 refused "AzureML-" names for user environments; curated ones exist already.
            warn_once(
                f"register:{self.name}",
                f"'{self.name}' is a curated environment; it is not registered again",
            )
            return self
        if native is None:
            warn_once(
                "env-register",
                "environment registration needs harness.envs; the "
                "environment is used inline instead",
            )
            return self
        if deps is not None and deps.file_path:
            made = native.from_conda_specification(self.name, deps.file_path)
        elif self._requirements:
            made = native.from_pip_requirements(self.name, self._requirements)
        else:
            made = native(
                self.name,
                pip_packages=list(getattr(deps, "pip_packages", []) or []),
                conda_packages=list(getattr(deps, "conda_packages", []) or []),
                python=getattr(deps, "python_version", None),
            )
        made.register(getattr(workspace, "home", None))
        self.version = str(made.version) if made.version is not None else None
        self._registered = True
        return self

    def add_private_pip_wheel(self, *args: Any, **kwargs: Any) -> Any:
        from azureml._compat import refuse

        raise refuse("Environment.add_private_pip_wheel", "add the wheel's path to pip_packages")

    # -- what a run gets -----------------------------------------------------------
    def to_config(self) -> Any:
        """The value of ``estimator.environment``; None: the current environment."""
        from azureml.core.runconfig import DEFAULT_CPU_IMAGE

        image = self.docker.base_image if self.docker.base_image != DEFAULT_CPU_IMAGE else None
        if self.docker.enabled or image or self.docker.base_dockerfile:
            ignored(
                "docker.base_image",
                image or self.docker.base_dockerfile or True,
                "jobs run as local processes, without Docker",
            )
        if self._curated:
            if curated_target(self.name) is not None:
                return self.name  # the harness resolves it through its v1 table
            warn_once(
                f"curated:{self.name}",
                f"curated environment '{self.name}' has no local counterpart; the job "
                f"runs in the current Python environment (mapped: {_mapped_v1_names()})",
            )
            return None
        if self.python.user_managed_dependencies:
            return None
        if self._registered:
            return f"{self.name}:{self.version}" if self.version else self.name
        if self._requirements:
            return native_config(self.name, requirements=self._requirements)
        deps = self.python.conda_dependencies
        if deps is not None:
            return deps.to_config(self.name)
        return None

    def __repr__(self) -> str:
        return f"Environment(name={self.name!r}, version={self.version!r})"


class EnvironmentMap(dict):
    """``ws.environments``: registered environments by name; a curated name
    (``AzureML-...``) always resolves (to its harness counterpart, or to the
    current Python environment when it has none)."""

    def __init__(self, workspace: Any) -> None:
        super().__init__()
        self.workspace = workspace
        native = _native()
        if native is not None:
            for name in native.list(getattr(workspace, "home", None)):
                if is_curated_name(name):
                    continue
                env = Environment(name)
                env._registered = True
                self[name] = env

    def get_environment(self, name: str, version: str | None = None) -> Environment:
        if name in self:
            env = self[name]
            env.version = version or env.version
            return env
        if is_curated_name(name):
            return Environment(name)
        from harness.errors import NotFoundError

        raise NotFoundError(
            f"no environment '{name}' in the workspace; build one with "
            "Environment(name) + CondaDependencies, or use a curated 'AzureML-...' name"
        )

    def __missing__(self, name: str) -> Environment:
        return self.get_environment(name)
