"""The typed options of the ``hgb`` estimator (``harness_config_schemas``).

The dataclass *is* the option ``estimator=hgb``: Hydra checks every value's type
while composing (``estimator.max_iter=abc`` and ``+estimator.typo=1`` are refused
before anything runs), it holds the only copy of each default, and each field's
``#:`` comment is its description in ``harness train --help``. No YAML file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Optional

# OmegaConf needs typing.Optional in structured configs.
# ruff: noqa: UP045


class HgbData(Enum):
    """Datasets shipped with scikit-learn (nothing is downloaded)."""

    digits = "digits"
    iris = "iris"
    wine = "wine"
    breast_cancer = "breast_cancer"


@dataclass
class HgbOptions:
    name: str = "hgb"
    #: Shrinkage of each tree's contribution (> 0).
    learning_rate: float = 0.1
    #: Boosting iterations (one tree per class each).
    max_iter: int = 30
    max_leaf_nodes: Optional[int] = 31
    #: None: unlimited.
    max_depth: Optional[int] = None
    l2_regularization: float = 0.0
    #: A dataset shipped with scikit-learn.
    data: HgbData = HgbData.digits
    #: Held-out share for the reported accuracy.
    test_size: float = 0.25


@dataclass
class HgbConfig:
    """``+estimator=hgb`` composes this at the top level: its ``estimator`` node."""

    estimator: HgbOptions = field(default_factory=HgbOptions)
