"""``azureml.core.Experiment``: ``submit`` starts the job detached (harness.sdk)."""

from __future__ import annotations

from typing import Any

from azureml._compat import ignored


class Experiment:
    def __init__(
        self,
        workspace: Any,
        name: str,
        _skip_name_validation: bool = False,
        _id: Any = None,
        _archived_time: Any = None,
        _create_in_cloud: bool = True,
        **kwargs: Any,
    ) -> None:
        from harness.sdk.experiment import Experiment as Native

        self.workspace = workspace
        self.name = name
        self._native = Native(name, workspace=workspace._native)

    def submit(self, config: Any, tags: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        from azureml.core.run import Run
        from azureml.train.hyperdrive import HyperDriveRun

        ignored(
            "submit keyword arguments",
            {k: v for k, v in kwargs.items() if v is not None},
            "submit takes config and tags here",
        )
        from azureml.core.compute import submitting_to

        with submitting_to(self.workspace):  # compute_target='name' of this workspace
            handle = self._native.submit(config, tags=tags)
        if getattr(config, "is_sweep", False):
            return HyperDriveRun(self, handle)
        return Run._from_handle(self, handle)

    def start_logging(
        self, *args: Any, outputs: Any = None, snapshot_directory: Any = None, **kwargs: Any
    ) -> Any:
        """An interactive run recorded from this process (the v1 logging notebooks).

        As in v1, ``./outputs`` (or ``outputs=``; ``False`` for none) is created and
        tracked: what is in it when the run completes is kept in the run's outputs."""
        from pathlib import Path

        from azureml.core.run import Run
        from harness.sdk.interactive import start_interactive

        handle, context = start_interactive(self._native, snapshot_directory)
        run = Run._from_handle(self, handle, context=context)
        run._interactive = True
        if outputs is not False:
            run._tracked_outputs = Path(str(outputs or "./outputs"))
            run._tracked_outputs.mkdir(parents=True, exist_ok=True)
        return run

    def get_runs(
        self,
        type: Any = None,
        tags: Any = None,
        properties: Any = None,
        include_children: bool = False,
    ) -> Any:
        from azureml.core.run import Run

        for handle in self._native.get_runs(tags=tags):
            yield Run._from_handle(self, handle)

    @staticmethod
    def list(workspace: Any, experiment_name: str | None = None, **_: Any) -> list[Experiment]:
        names = workspace._native.experiments
        return [Experiment(workspace, n) for n in names if experiment_name in (None, n)]

    def get_portal_url(self) -> str:
        from azureml.core.run import portal_hint

        return portal_hint(f"experiment {self.name}")

    def __repr__(self) -> str:
        return f"Experiment(Name: {self.name}, Workspace: {self.workspace.name})"
