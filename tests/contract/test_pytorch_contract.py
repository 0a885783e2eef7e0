"""The pytorch estimator passes the contract tests plugin authors use."""

from __future__ import annotations

from harness.testing.contracts import EstimatorContract


class TestPyTorchEstimator(EstimatorContract):
    name = "pytorch"
    overrides = ("epochs=1", "estimator.threads=1")
    invalid_overrides = ("epochs=0", "estimator.optimizer=rmsprop")
