"""``azureml.core.Model``: the harness model registry (``harness models ...``)."""

from __future__ import annotations

from typing import Any

from azureml._compat import ignored
from harness.sdk.model import Model as _Native


class Model(_Native):
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

    def deploy(self, *args: Any, **kwargs: Any) -> Any:
        from azureml._compat import refuse

        raise refuse(
            "model deployment",
            "load the model with Model.get_model_path(...) and serve it yourself (e.g. FastAPI)",
        )


__all__ = ["Model"]
