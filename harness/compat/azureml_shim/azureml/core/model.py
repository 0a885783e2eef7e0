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
        from harness.errors import NotFoundError

        native_ws = getattr(workspace, "_native", workspace)
        try:
            super().__init__(native_ws, name, id, tags, properties, version, run_id, **kwargs)
        except NotFoundError:
            # On Azure, MLflow's registry was the workspace's (Azure's quickstart:
            # mlflow.register_model, then Model(ws, name)); here it is a store of its own.
            if not name or not _import_from_mlflow(workspace, name, version):
                raise
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


def _import_from_mlflow(workspace: Any, name: str, version: int | None) -> bool:
    """A model registered with MLflow at the workspace's tracking URI
    (``ws.get_mlflow_tracking_uri()``), copied into the harness's registry under the
    same name (its files in a folder ``model/``, as Azure kept an MLflow model), with
    one warning. False when MLflow has no such model (or is not installed)."""
    import importlib.util
    import shutil
    import tempfile
    from pathlib import Path

    if importlib.util.find_spec("mlflow") is None or not hasattr(
        workspace, "get_mlflow_tracking_uri"
    ):
        return False
    from mlflow import MlflowClient
    from mlflow.artifacts import download_artifacts
    from mlflow.exceptions import MlflowException

    uri = workspace.get_mlflow_tracking_uri()
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    try:
        found = client.search_model_versions(f"name = '{name}'")
    except MlflowException:
        return False
    wanted = [v for v in found if version is None or int(v.version) == int(version)]
    if not wanted:
        return False
    chosen = max(wanted, key=lambda v: int(v.version))
    with tempfile.TemporaryDirectory() as temp:
        # The version's own source, read from this store (a models:/ URI would be
        # resolved against MLflow's process-wide registry URI instead).
        source = client.get_model_version_download_uri(name, chosen.version)
        download = Path(temp) / "download"
        download_artifacts(artifact_uri=source, dst_path=str(download), tracking_uri=uri)
        # The MLflow model is the folder holding its MLmodel file (a download may
        # nest it in a folder named after the source's last part).
        root = next((p.parent for p in sorted(download.rglob("MLmodel"))), download)
        folder = Path(temp) / "model"
        shutil.copytree(root, folder)
        registered = Model.register(
            workspace,
            str(folder),
            name,
            tags={"mlflow_model": f"models:/{name}/{chosen.version}"},
            description=f"imported from MLflow's registry ({uri})",
        )
    warn_once(
        f"mlflow-model:{name}",
        f"model '{name}' is registered with MLflow ({uri}), not in the harness's registry: "
        f"copied in as {registered.name}:{registered.version}",
    )
    return True
