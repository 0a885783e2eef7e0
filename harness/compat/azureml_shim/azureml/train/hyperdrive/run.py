"""``HyperDriveRun`` and ``PrimaryMetricGoal``."""

from __future__ import annotations

from typing import Any

from harness.sdk.sweep import PrimaryMetricGoal  # noqa: F401


class HyperDriveRun:
    """The handle of a sweep (harness.sdk.SweepRun) with v1's names; children are
    ``azureml.core.Run`` objects."""

    def __init__(self, experiment: Any, sweep: Any, **_: Any) -> None:
        self.experiment = experiment
        self._sweep = sweep
        self.id = sweep.id
        self.type = "hyperdrive"

    def _run(self, handle: Any) -> Any:
        from azureml.core.run import Run

        return Run._from_handle(self.experiment, handle) if handle is not None else None

    def get_status(self) -> str:
        return self._sweep.get_status()

    @property
    def status(self) -> str:
        return self.get_status()

    def wait_for_completion(
        self,
        show_output: bool = False,
        wait_post_processing: bool = False,
        raise_on_error: bool = True,
    ) -> dict[str, Any]:
        from azureml.exceptions import ActivityFailedException
        from harness.sdk.run import RunFailedError

        try:
            return self._sweep.wait_for_completion(
                show_output=show_output, raise_on_error=raise_on_error
            )
        except RunFailedError as exc:  # v1 code catches ActivityFailedException
            raise ActivityFailedException(str(exc)) from None

    def get_children(
        self,
        recursive: bool = False,
        tags: Any = None,
        properties: Any = None,
        type: Any = None,
        status: Any = None,
        **_: Any,
    ) -> Any:
        for child in self._sweep.get_children():
            if status is None or child.get_status() == status:
                yield self._run(child)

    def get_children_sorted_by_primary_metric(
        self, top: int = 0, reverse: bool = False, discard_no_metric: bool = False
    ) -> list[dict[str, Any]]:
        return self._sweep.get_children_sorted_by_primary_metric(top, reverse, discard_no_metric)

    def get_best_run_by_primary_metric(
        self,
        include_failed: bool = True,
        include_canceled: bool = True,
        include_resume_from_runs: bool = True,
    ) -> Any:
        return self._run(self._sweep.get_best_run_by_primary_metric())

    def get_metrics(
        self, name: str | None = None, recursive: bool = False, **_: Any
    ) -> dict[str, Any]:
        return self._sweep.get_metrics(name)

    def get_hyperparameters(self) -> dict[str, Any]:
        return {
            row["run_id"]: row["hyperparameters"]
            for row in self._sweep.get_children_sorted_by_primary_metric()
        }

    def get_details(self) -> dict[str, Any]:
        return self._sweep.get_summary()

    def cancel(self) -> None:
        self._sweep.cancel()

    def get_portal_url(self) -> str:
        from azureml.core.run import portal_hint

        return portal_hint(f"sweep {self.id}")

    def __repr__(self) -> str:
        return f"HyperDriveRun(Experiment: {self.experiment.name}, Id: {self.id}, Status: {self.get_status()})"
