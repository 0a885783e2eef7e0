"""``azureml.core.Environment``: maps onto the harness's environment config key
``estimator.environment`` (a name ``NAME[:VERSION]`` or an inline mapping).

Curated Azure ML environments (``AzureML-...``) are Docker images; they have no
local counterpart, so a run with one uses the current Python environment, with
one warning. ``user_managed_dependencies=True`` means the same, without a warning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from azureml._compat import ignored, warn_once


class PythonSection:
    def __init__(self) -> None:
        self.user_managed_dependencies = False
        self.interpreter_path = "python"
        self.conda_dependencies: Any = None
        self.conda_dependencies_file: str | None = None


class DockerSection:
    def __init__(self) -> None:
        self.enabled = False
        self.base_image: str | None = None
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
        self._curated = name.startswith("AzureML-")
        self._registered = False

    # -- constructors -----------------------------------------------------------
    @staticmethod
    def from_conda_specification(name: str, file_path: str) -> Environment:
        env = Environment(name)
        from azureml.core.conda_dependencies import CondaDependencies

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
        try:
            from harness.envs import api as envs_api  # type: ignore[import-not-found]

            registered = envs_api.register(self.name, self.to_config() or {})
            self.version = str(getattr(registered, "version", "") or "") or None
            self._registered = True
        except ImportError:
            warn_once(
                "env-register",
                "environment registration needs harness.envs; the "
                "environment is used inline instead",
            )
        return self

    def add_private_pip_wheel(self, *args: Any, **kwargs: Any) -> Any:
        from azureml._compat import refuse

        raise refuse("Environment.add_private_pip_wheel", "add the wheel's path to pip_packages")

    # -- what a run gets -----------------------------------------------------------
    def to_config(self) -> Any:
        """The value of ``estimator.environment``; None: the current environment."""
        if self.docker.enabled or self.docker.base_image or self.docker.base_dockerfile:
            ignored(
                "docker.base_image",
                self.docker.base_image or self.docker.base_dockerfile or True,
                "jobs run as local processes, without Docker",
            )
        if self._curated:
            warn_once(
                f"curated:{self.name}",
                f"curated environment '{self.name}' is a Docker "
                "image; the job runs in the current Python environment",
            )
            return None
        if self.python.user_managed_dependencies:
            return None
        if self._registered:
            return f"{self.name}:{self.version}" if self.version else self.name
        if self._requirements:
            return {"requirements": self._requirements}
        deps = self.python.conda_dependencies
        if deps is not None:
            return deps.to_config()
        return None

    def __repr__(self) -> str:
        return f"Environment(name={self.name!r}, version={self.version!r})"


class EnvironmentMap(dict):
    """``ws.environments``: registered environments by name; a curated name
    (``AzureML-...``) always resolves (to the current Python environment)."""

    def __init__(self, workspace: Any) -> None:
        super().__init__()
        self.workspace = workspace
        try:
            from harness.envs import api as envs_api  # type: ignore[import-not-found]

            for name in envs_api.names():
                env = Environment(name)
                env._registered = True
                self[name] = env
        except ImportError:
            pass

    def get_environment(self, name: str, version: str | None = None) -> Environment:
        if name in self:
            env = self[name]
            env.version = version or env.version
            return env
        if name.startswith("AzureML-"):
            return Environment(name)
        from harness.errors import NotFoundError

        raise NotFoundError(
            f"no environment '{name}' in the workspace; build one with "
            "Environment(name) + CondaDependencies, or use a curated 'AzureML-...' name"
        )

    def __missing__(self, name: str) -> Environment:
        return self.get_environment(name)
