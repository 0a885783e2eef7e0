"""``azureml.core.Model``: the harness model registry (``harness models ...``);
``Model.deploy`` and ``InferenceConfig``: local web services (``harness models serve``)."""

from __future__ import annotations

from typing import Any

from azureml._compat import ignored, warn_once
from harness.sdk.model import Model as _Native


class Framework:
    """v1's ``Model.Framework``: a model registered with one of the frameworks the
    harness's estimators load deploys without an entry script."""

    SCIKITLEARN = "ScikitLearn"
    PYTORCH = "PyTorch"
    CHAINER = "Chainer"
    ONNX = "Onnx"
    TENSORFLOW = "TensorFlow"
    CUSTOM = "Custom"


class Model(_Native):
    Framework = Framework

    def __init__(
        self,
        workspace: Any,
        name: str | None = None,
        id: str | None = None,
        tags: Any = None,
        properties: Any = None,
        version: int | None = None,
        run_id: str | None = None,
        model_framework: Any = None,
        **kwargs: Any,
    ) -> None:
        native_ws = getattr(workspace, "_native", workspace)
        super().__init__(native_ws, name, id, tags, properties, version, run_id, **kwargs)

    @staticmethod
    def register(
        workspace: Any,
        model_path: str,
        model_name: str,
        tags: Any = None,
        properties: Any = None,
        description: str | None = None,
        datasets: Any = None,
        model_framework: Any = None,
        model_framework_version: Any = None,
        child_paths: Any = None,
        sample_input_dataset: Any = None,
        sample_output_dataset: Any = None,
        resource_configuration: Any = None,
        **kwargs: Any,
    ) -> Model:
        ignored("child_paths", child_paths, "the whole model_path is registered")
        properties = dict(properties or {})
        if model_framework:  # what a no-code deployment loads it with
            properties.setdefault("model_framework", str(model_framework))
        native = _Native.register(
            getattr(workspace, "_native", workspace),
            model_path,
            model_name,
            tags=tags,
            properties=properties,
            description=description,
        )
        return Model(workspace, entry=native._entry)

    @staticmethod
    def get_model_path(model_name: str, version: int | None = None, _workspace: Any = None) -> str:
        return _Native.get_model_path(
            model_name, version, getattr(_workspace, "_native", _workspace)
        )

    @staticmethod
    def list(workspace: Any, name: str | None = None, **kwargs: Any) -> list[Model]:
        return [
            Model(workspace, entry=m._entry)
            for m in _Native.list(getattr(workspace, "_native", workspace), name)
        ]

    @staticmethod
    def deploy(
        workspace: Any,
        name: str,
        models: list[Any],
        inference_config: InferenceConfig | None = None,
        deployment_config: Any = None,
        deployment_target: Any = None,
        overwrite: bool = False,
        show_output: bool = False,
    ) -> Any:
        """A web service of ``models`` on this machine (every deployment config is
        deployed locally); returns at once, ``wait_for_deployment`` follows it."""
        from azureml.core.webservice import LocalWebservice, Webservice
        from azureml.exceptions import WebserviceException
        from harness.errors import HarnessError
        from harness.sdk.service import deploy

        config = deployment_config or LocalWebservice.deploy_configuration()
        if config.compute_type != "Local":
            warn_once(
                f"deploy:{config.compute_type}",
                f"{config.compute_type} has no local counterpart: the service is deployed as "
                "a local web service on this machine (harness models serve)",
            )
        ignored("deployment_target", deployment_target, "services run on this machine")
        token = config.primary_key
        if config.auth_enabled and token is None:
            import secrets

            token = secrets.token_urlsafe(24)
        spec = {"entry_script": None, "source_directory": None, "environment": None}
        if inference_config is not None:
            spec = inference_config.settings()
        try:
            deploy(
                name,
                [f"{m.name}:{m.version}" for m in models],
                workspace=getattr(workspace, "_native", workspace),
                port=config.port,
                token=token,
                deployment=config.deployment(),
                tags=config.tags,
                description=config.description,
                overwrite=overwrite,
                wait=False,
                **spec,
            )
        except HarnessError as exc:
            raise WebserviceException(str(exc)) from None
        service = Webservice(workspace, name)
        if show_output:
            service.wait_for_deployment(show_output=True)
        return service


class InferenceConfig:
    """v1's ``InferenceConfig``: the entry script, its folder and its environment.
    Docker settings (base image, extra steps, GPU, CUDA) are ignored with a warning."""

    def __init__(
        self,
        entry_script: str | None = None,
        runtime: str | None = None,
        conda_file: str | None = None,
        extra_docker_file_steps: str | None = None,
        source_directory: str | None = None,
        enable_gpu: bool | None = None,
        description: str | None = None,
        base_image: str | None = None,
        base_image_registry: Any = None,
        cuda_version: str | None = None,
        environment: Any = None,
    ) -> None:
        why = "services run as local processes, without Docker"
        for key, value in (
            ("extra_docker_file_steps", extra_docker_file_steps),
            ("base_image", base_image),
            ("base_image_registry", base_image_registry),
            ("enable_gpu", enable_gpu),
            ("cuda_version", cuda_version),
        ):
            ignored(key, value, why)
        ignored("runtime", runtime if runtime not in (None, "python") else None, "it is Python")
        self.entry_script = entry_script
        self.source_directory = source_directory
        self.description = description
        self.environment = environment
        self.conda_file = conda_file

    def _environment(self) -> Any:
        if self.environment is not None or not self.conda_file:
            return self.environment
        from pathlib import Path

        from azureml.core.environment import Environment

        path = Path(self.source_directory or ".") / self.conda_file
        return Environment.from_conda_specification("inference-env", str(path))

    def settings(self) -> dict[str, Any]:
        """The deployment's entry script, source folder and environment."""
        environment = self._environment()
        if environment is not None and hasattr(environment, "to_config"):
            environment = environment.to_config()
        return {
            "entry_script": self.entry_script,
            "source_directory": self.source_directory,
            "environment": environment,
        }


__all__ = ["InferenceConfig", "Model"]
