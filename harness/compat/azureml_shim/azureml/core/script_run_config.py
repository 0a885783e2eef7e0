"""``azureml.core.ScriptRunConfig`` → the harness's script mode (``+estimator=script``)."""

from __future__ import annotations

from typing import Any

from azureml._compat import ignored


def time_limit(seconds: Any) -> list[str]:
    """v1's ``max_run_duration_seconds`` → ``compute.timeout`` (local and mpi computes:
    the job is stopped and the run fails with the reason)."""
    if seconds in (None, 0):
        return []
    from harness.sdk import overrides as ov

    return [ov.assign("compute.timeout", float(seconds))]


class ScriptRunConfig:
    def __init__(
        self,
        source_directory: str,
        script: str | None = None,
        arguments: list[Any] | None = None,
        run_config: Any = None,
        _telemetry_values: Any = None,
        compute_target: Any = None,
        environment: Any = None,
        distributed_job_config: Any = None,
        resume_from: Any = None,
        max_run_duration_seconds: Any = None,
        command: Any = None,
        docker_runtime_config: Any = None,
    ) -> None:
        from azureml.core.runconfig import RunConfiguration

        if command is not None:
            from azureml._compat import refuse

            raise refuse("ScriptRunConfig(command=...)", "give script= and arguments=")
        ignored("resume_from", resume_from, "pass the checkpoint path as a script argument")
        ignored("docker_runtime_config", docker_runtime_config, "jobs run without Docker")
        self.source_directory = source_directory
        self.script = script
        self.arguments = list(arguments or [])
        self.run_config = run_config or RunConfiguration()
        if compute_target is not None:
            self.run_config.target = compute_target
        if environment is not None:
            self.run_config.environment = environment
        self.distributed_job_config = distributed_job_config
        self.max_run_duration_seconds = max_run_duration_seconds

    @property
    def compute_target(self) -> Any:
        return self.run_config.target

    @property
    def environment(self) -> Any:
        return self.run_config.environment

    def _native(self, script_params: dict[str, Any] | None = None) -> Any:
        from azureml.core.compute import as_compute
        from harness.sdk.configs import ScriptRunConfig as Native

        return Native(
            source_directory=self.source_directory,
            script=self.script,
            arguments=[*self.run_config.arguments, *self.arguments],
            script_params=script_params,
            compute_target=as_compute(self.run_config.target),
            environment=self.run_config.environment,
            distributed_job_config=self.distributed_job_config or self.run_config.distributed(),
            azureml_compat=True,
        )

    def to_overrides(self) -> list[str]:
        seconds = self.max_run_duration_seconds or self.run_config.max_run_duration_seconds
        return [*self._native().to_overrides(), *time_limit(seconds)]

    def sweep_key(self, name: str) -> str:
        return self._native().sweep_key(name)
