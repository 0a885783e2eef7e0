"""``HyperDriveConfig`` → a harness sweep config (``harness train -m`` underneath)."""

from __future__ import annotations

from typing import Any

from azureml._compat import ignored, refuse
from harness.sdk.sweep import SweepConfig


class HyperDriveConfig(SweepConfig):
    def __init__(
        self,
        hyperparameter_sampling: Any,
        primary_metric_name: str,
        primary_metric_goal: Any,
        max_total_runs: int,
        max_concurrent_runs: int | None = None,
        max_duration_minutes: float = 10080,
        policy: Any = None,
        estimator: Any = None,
        run_config: Any = None,
        resume_from: Any = None,
        resume_child_runs: Any = None,
        pipeline: Any = None,
        debug_flag: Any = None,
        custom_run_id: Any = None,
    ) -> None:
        if pipeline is not None:
            raise refuse("HyperDriveConfig(pipeline=...)", "give run_config= (a ScriptRunConfig)")
        ignored("resume_from", resume_from or resume_child_runs, "a sweep starts fresh")
        ignored("debug_flag", debug_flag, "it has no local meaning")
        ignored("custom_run_id", custom_run_id, "sweep ids are the harness's own")
        config = run_config if run_config is not None else estimator
        if config is None:
            raise refuse(
                "a HyperDriveConfig without run_config or estimator",
                "give run_config=ScriptRunConfig(...)",
            )
        super().__init__(
            config,
            hyperparameter_sampling,
            primary_metric_name,
            primary_metric_goal,
            max_total_runs,
            max_concurrent_runs,
            max_duration_minutes,
            policy,
        )
