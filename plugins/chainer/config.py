"""The typed config of the ``chainer`` estimator: the one place its defaults live.

Registered as the option ``estimator=chainer`` (``harness_config_schemas``): types and
the choices of model, optimizer and data format are checked while composing;
``estimator.py`` keeps the ranges and the data files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Optional

# OmegaConf needs typing.Optional in structured configs.
# ruff: noqa: UP045


class ChainerModel(Enum):
    mlp = "mlp"
    cnn = "cnn"


class ChainerOptimizer(Enum):
    momentum_sgd = "momentum_sgd"
    #: lr is Adam's alpha
    adam = "adam"


class ChainerDataFormat(Enum):
    #: scikit-learn's digits (no download)
    digits = "digits"
    #: IDX files, with `path`
    mnist = "mnist"
    #: the cifar-10-batches-py folder, with `path`
    cifar10 = "cifar10"


@dataclass
class ChainerModelOptions:
    name: ChainerModel = ChainerModel.mlp
    #: Width of the hidden Linear layer(s).
    n_units: int = 100


@dataclass
class ChainerOptimizerOptions:
    name: ChainerOptimizer = ChainerOptimizer.momentum_sgd
    #: MomentumSGD only.
    momentum: float = 0.9
    weight_decay: float = 0.0


@dataclass
class ChainerData:
    format: ChainerDataFormat = ChainerDataFormat.digits
    path: Optional[str] = None
    #: Held-out share of digits for validation (mnist/cifar10 use their test split).
    test_size: float = 0.2


@dataclass
class ChainerOptions:
    name: str = "chainer"
    model: ChainerModelOptions = field(default_factory=ChainerModelOptions)
    optimizer: ChainerOptimizerOptions = field(default_factory=ChainerOptimizerOptions)
    data: ChainerData = field(default_factory=ChainerData)
    #: ChainerMN communicator under compute=mpi; 'naive' works on CPU.
    communicator: str = "naive"
    #: The Python environment the job runs in (docs/environments.md): None = the
    #: harness's own; a name (harness-chainer, NAME:VERSION) or a mapping
    #: (pip_packages, python, requirements, conda_file).
    environment: Any = None


@dataclass
class ChainerConfig:
    """Top level (package ``_global_``). Under compute=mpi it trains data-parallel
    with ChainerMN (batch_size is per rank)."""

    lr: float = 0.05
    epochs: int = 10
    batch_size: int = 32
    estimator: ChainerOptions = field(default_factory=ChainerOptions)
