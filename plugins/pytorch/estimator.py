"""The ``pytorch`` estimator: train a classifier, checkpoint each epoch, resume.

The driver side (``validate``, ``prepare``) never imports torch; training lives in
``harness.plugins.pytorch.trainer``, imported only inside the job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.contract.components import Estimator
from harness.plugins.pytorch import checks


class PyTorchEstimator(Estimator):
    primary_metric = "accuracy"
    goal = "maximize"
    packages = ("torch", "torchvision", "numpy")

    @classmethod
    def preload(cls) -> None:
        import torch._dynamo  # noqa: F401 - the first optimizer step imports it (~1 s)

        import harness.plugins.pytorch.trainer  # noqa: F401 - torch and the loop

    def validate(self, config: Any) -> None:
        checks.validate(config)

    def validate_in_job(self, config: Any) -> None:
        from harness.plugins.pytorch.trainer import check_local_ranks

        check_local_ranks(config)

    def prepare(self, config: Any, job: Any) -> None:
        # Workers start in the run folder: make relative paths absolute here, and pin
        # `resume` to the checkpoint file it names now (job.json records which; run.json
        # keeps what the user wrote).
        job.absolute_path("estimator", "data", "path")
        if config.get("resume"):
            job.params["resume"] = str(checks.resolve_checkpoint(str(config.resume)))
            job.save()

    def primary(self, config: Any) -> tuple[str, str]:
        return "accuracy", "maximize"

    def train(self, run: Any) -> None:
        from harness.plugins.pytorch.trainer import train

        train(run)

    @classmethod
    def load_model(cls, path: Path, params: dict[str, Any]) -> Any:
        from harness.plugins.pytorch.serving import load

        return load(path, params)
