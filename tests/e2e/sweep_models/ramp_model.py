"""A scikit-learn-compatible model whose training curve is known in advance.

``fit`` reports ``score = quality * (step + 1)`` at every step through
``harness.Run``, as a user's own model would, so a policy test can construct a
run that is certain to fall behind. A worse run trains longer (``steps /
quality`` steps), so a parallel peer always catches up before it would end.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from harness import Run


class RampModel(ClassifierMixin, BaseEstimator):
    _parameter_constraints: dict = {}  # noqa: RUF012 - scikit-learn's own convention

    def __init__(self, quality: float = 1.0, steps: int = 20, step_s: float = 0.1) -> None:
        self.quality = quality
        self.steps = steps
        self.step_s = step_s

    def fit(self, x, y):
        run = Run.get_context()
        for step in range(round(self.steps / self.quality)):
            run.log("score", self.quality * (step + 1), step=step)
            time.sleep(self.step_s)
        self.classes_ = np.unique(y)
        return self

    def predict(self, x):
        return np.full(len(x), self.classes_[0])
