"""The typed config of the ``sklearn`` estimator: the one place its defaults live.

Registered as the option ``estimator=sklearn`` (``harness_config_schemas``). The
``estimator`` node stays open: every key other than name, model, data and
environment is a parameter of the model's constructor (``+estimator.solver=saga``,
``~estimator.C`` for a model without C), checked by scikit-learn in the job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar, Dict, Optional

# OmegaConf needs typing.Optional and typing.Dict in structured configs.
# ruff: noqa: UP006, UP035, UP045


class SklearnDataFormat(Enum):
    # shipped with scikit-learn
    digits = "digits"
    iris = "iris"
    wine = "wine"
    breast_cancer = "breast_cancer"
    diabetes = "diabetes"
    #: a file, with estimator.data.path
    csv = "csv"
    npz = "npz"


@dataclass
class SklearnData:
    #: digits | iris | wine | breast_cancer | diabetes, or csv | npz with `path`
    #: (csv: `target` names the label column, default the last; npz: arrays X and y).
    format: SklearnDataFormat = SklearnDataFormat.digits
    path: Optional[str] = None
    target: Optional[str] = None
    #: Held-out share for the reported metrics.
    test_size: float = 0.25


@dataclass
class SklearnOptions:
    #: Keys not declared here are the model's own parameters.
    other_keys: ClassVar[str] = "parameters of the model's constructor (+estimator.KEY=VALUE)"

    name: str = "sklearn"
    #: The model class (`_target_`); swap it with
    #: estimator.model._target_=sklearn.ensemble.RandomForestClassifier ~estimator.C
    model: Dict[str, Any] = field(
        default_factory=lambda: {"_target_": "sklearn.linear_model.LogisticRegression"}
    )
    C: float = 1.0
    max_iter: int = 1000
    data: SklearnData = field(default_factory=SklearnData)
    #: The Python environment the job runs in (docs/environments.md): None = the
    #: harness's own; a name (harness-chainer, NAME:VERSION) or a mapping
    #: (pip_packages, python, requirements, conda_file).
    environment: Any = None


@dataclass
class SklearnConfig:
    """Top level (package ``_global_``)."""

    estimator: SklearnOptions = field(default_factory=SklearnOptions)
