"""``azureml.train.estimator.Estimator`` → the harness's script mode.

``script_params`` become ``--key value`` arguments (v1's ``'--regularization': 0.8``
works as written); ``conda_packages``/``pip_packages`` become the run's
environment; ``node_count``/``process_count_per_node`` with
``distributed_backend='mpi'`` (or ``distributed_training=MpiConfiguration``)
become ``compute=mpi``. Docker settings are accepted and ignored with one warning.
"""

from __future__ import annotations

from typing import Any

from azureml._compat import ignored, refuse


class Estimator:
    _framework = "Python"

    def __init__(
        self,
        source_directory: str,
        *,
        compute_target: Any = None,
        vm_size: Any = None,
        vm_priority: Any = None,
        entry_script: str | None = None,
        script_params: dict[str, Any] | None = None,
        node_count: int = 1,
        process_count_per_node: int = 1,
        distributed_backend: str | None = None,
        distributed_training: Any = None,
        use_gpu: bool = False,
        use_docker: bool = True,
        custom_docker_base_image: str | None = None,
        custom_docker_image: str | None = None,
        image_registry_details: Any = None,
        user_managed: bool = False,
        conda_packages: list[str] | None = None,
        pip_packages: list[str] | None = None,
        conda_dependencies_file_path: str | None = None,
        pip_requirements_file_path: str | None = None,
        conda_dependencies_file: str | None = None,
        pip_requirements_file: str | None = None,
        environment_variables: dict[str, str] | None = None,
        environment_definition: Any = None,
        inputs: Any = None,
        source_directory_data_store: Any = None,
        shm_size: Any = None,
        resume_from: Any = None,
        max_run_duration_seconds: Any = None,
        framework_version: str | None = None,
        arguments: list[Any] | None = None,
        **kwargs: Any,
    ) -> None:
        from azureml.core.conda_dependencies import CondaDependencies
        from azureml.core.environment import Environment

        if not entry_script:
            raise refuse("an Estimator without entry_script", "give entry_script='train.py'")
        ignored(
            "custom_docker_base_image",
            custom_docker_base_image or custom_docker_image,
            "jobs run as local processes, without Docker",
        )
        ignored("vm_size", vm_size or vm_priority, "the job runs on this machine")
        ignored("image_registry_details", image_registry_details, "jobs run without Docker")
        ignored(
            "inputs",
            inputs or source_directory_data_store,
            "pass data references in script_params or arguments",
        )
        ignored(
            "framework_version", framework_version, "the job uses the framework its environment has"
        )
        ignored("shm_size", shm_size, "jobs run without Docker")
        ignored("resume_from", resume_from, "pass the checkpoint path as a script parameter")
        if use_gpu:
            from azureml._compat import warn_once

            warn_once("use_gpu", "use_gpu=True: the job sees this machine's GPUs, if it has any")
        self.source_directory = source_directory
        self.entry_script = entry_script
        self.script_params = dict(script_params or {})
        self.arguments = list(arguments or [])
        self.compute_target = compute_target
        self.node_count = node_count
        self.process_count_per_node = process_count_per_node
        self.distributed_backend = distributed_backend or distributed_training
        if environment_definition is not None:
            self.environment = environment_definition
        else:
            env = Environment(f"{type(self).__name__.lower()}-estimator")
            env.python.user_managed_dependencies = user_managed
            deps_file = conda_dependencies_file_path or conda_dependencies_file
            req_file = pip_requirements_file_path or pip_requirements_file
            if deps_file:
                env.python.conda_dependencies = CondaDependencies(deps_file)
            elif req_file:
                env._requirements = req_file
            elif conda_packages or pip_packages:
                env.python.conda_dependencies = CondaDependencies.create(
                    pip_packages=pip_packages, conda_packages=conda_packages
                )
            else:
                env.python.user_managed_dependencies = True
            env.environment_variables = dict(environment_variables or {})
            self.environment = env
        self.max_run_duration_seconds = max_run_duration_seconds
        self.run_config = self  # v1 code reads estimator.run_config.environment

    def _distributed(self) -> Any:
        backend = self.distributed_backend
        ranks = self.node_count * self.process_count_per_node
        if backend is None:
            if ranks > 1:
                raise refuse(
                    f"node_count={self.node_count} x process_count_per_node="
                    f"{self.process_count_per_node} without distributed_backend",
                    "set distributed_backend='mpi'",
                )
            return None
        if hasattr(backend, "to_overrides"):
            return backend
        if str(backend).lower() != "mpi":
            raise refuse(f"distributed_backend='{backend}'", "use distributed_backend='mpi'")
        from azureml.core.runconfig import MpiConfiguration

        return MpiConfiguration(self.process_count_per_node, self.node_count)

    def _native(self) -> Any:
        from azureml.core.compute import as_compute
        from harness.sdk.configs import ScriptRunConfig as Native

        return Native(
            source_directory=self.source_directory,
            script=self.entry_script,
            script_params=self.script_params,
            arguments=self.arguments,
            compute_target=as_compute(self.compute_target),
            environment=self.environment,
            distributed_job_config=self._distributed(),
            azureml_compat=True,
        )

    def to_overrides(self) -> list[str]:
        from azureml.core.script_run_config import time_limit

        return [*self._native().to_overrides(), *time_limit(self.max_run_duration_seconds)]

    def sweep_key(self, name: str) -> str:
        return self._native().sweep_key(name)
