"""What the faulty plugins share: a working estimator, and each one's config search path."""

from __future__ import annotations

from harness.contract import Estimator


class WorkingEstimator(Estimator):
    def train(self, run):
        run.log("accuracy", 1.0)


def searchpath(module: str) -> list[str]:
    return [f"pkg://{module}.conf"]
