"""The typed config of the ``pytorch`` estimator: the one place its defaults live.

Registered as the option ``estimator=pytorch`` (``harness_config_schemas``), so Hydra
checks types and the choices of ``optimizer`` and ``data.format`` while composing;
``checks.py`` keeps only what types cannot say (paths, files, ranges, combinations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Optional

# OmegaConf needs typing.Optional in structured configs.
# ruff: noqa: UP045


class Optimizer(Enum):
    sgd = "sgd"
    adam = "adam"
    adamw = "adamw"


class DataFormat(Enum):
    #: scikit-learn's digits (no download)
    digits = "digits"
    #: IDX files, plain or .gz
    mnist = "mnist"
    #: the cifar-10-batches-py folder
    cifar10 = "cifar10"
    #: one sub-folder per class
    imagefolder = "imagefolder"


@dataclass
class PyTorchData:
    format: DataFormat = DataFormat.digits
    path: Optional[str] = None
    #: Held-out share for digits and for an imagefolder without train/ and val/.
    test_size: float = 0.2
    #: imagefolder: images are resized to image_size × image_size.
    image_size: int = 32


@dataclass
class PyTorchOptions:
    name: str = "pytorch"
    #: mlp | cnn | lenet, or the dotted path of any torch.nn.Module class
    #: (mypkg.models.Net). Other keys go to its constructor; it also gets
    #: in_shape=(C, H, W) and num_classes when its __init__ accepts them.
    model: Any = field(default_factory=lambda: {"_target_": "mlp"})
    optimizer: Optimizer = Optimizer.sgd
    #: sgd only.
    momentum: float = 0.9
    weight_decay: float = 0.0
    #: DataLoader workers; 0 keeps CPU runs bit-for-bit reproducible.
    num_workers: int = 0
    #: CPU threads per process: auto (torch's default; cores / local ranks under MPI) | N.
    threads: Any = "auto"
    #: auto (CUDA when present, else CPU) | cpu | cuda | cuda:N
    device: str = "auto"
    #: Training loss every N steps.
    log_every: int = 10
    #: torch.use_deterministic_algorithms (warn-only on CUDA).
    deterministic: bool = True
    #: bf16 autocast (CUDA with bf16 support, or CPU); fp16 + GradScaler on older GPUs.
    amp: bool = False
    #: channels_last memory format for 4-D inputs (CNNs).
    channels_last: bool = False
    #: Keep the last N epoch checkpoints; 0 keeps every one.
    keep_checkpoints: int = 0
    data: PyTorchData = field(default_factory=PyTorchData)


@dataclass
class PyTorchConfig:
    """Top level (package ``_global_``): lr, epochs and batch_size are shared keys, so
    ``harness train +estimator=pytorch lr=0.003`` reaches the optimizer. batch_size
    is per process: under compute=mpi the global batch is batch_size × world_size."""

    lr: float = 0.05
    epochs: int = 3
    batch_size: int = 64
    estimator: PyTorchOptions = field(default_factory=PyTorchOptions)
