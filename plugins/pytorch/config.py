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
    optimizer: Optimizer = Optimizer.adam
    #: sgd only.
    momentum: float = 0.9
    weight_decay: float = 0.0
    #: DataLoader workers; 0 keeps CPU runs bit-for-bit reproducible.
    num_workers: int = 0
    #: CPU threads per process: auto (CPU: torch's default, cores / local ranks under
    #: MPI; CUDA: at most 4 per rank) | N.
    threads: Any = "auto"
    #: auto (CUDA when present, else CPU) | cpu | cuda | cuda:N; under compute=mpi
    #: local rank N uses its own GPU.
    device: str = "auto"
    #: torch.distributed backend: auto (NCCL on CUDA, gloo on CPU) | nccl | gloo
    #: (gloo lets several ranks share one GPU).
    backend: str = "auto"
    #: Training loss every N steps.
    log_every: int = 10
    #: auto: true on CPU (bit-identical runs), false on CUDA (cuDNN autotuner + TF32)
    #: | true (torch.use_deterministic_algorithms, warn-only on CUDA) | false.
    deterministic: Any = "auto"
    #: Keep an in-memory data set (digits, mnist, cifar10) on the device and cut
    #: batches by index: auto (when it fits in half the free GPU memory; always on
    #: CPU) | true | false (a DataLoader; the same order).
    data_on_device: Any = "auto"
    #: torch.compile the model (the first epoch pays the compilation): false | true
    #: (torch's default backend, inductor) | a backend name: inductor, aot_eager
    #: (traced, no code generation), eager, cudagraphs.
    compile: Any = False
    #: bf16 autocast (CUDA with bf16 support, or CPU); fp16 + GradScaler on older GPUs.
    amp: bool = False
    #: channels_last memory format for 4-D inputs (CNNs).
    channels_last: bool = False
    #: Keep the last N epoch checkpoints; 0 keeps every one.
    keep_checkpoints: int = 0
    data: PyTorchData = field(default_factory=PyTorchData)
    #: The Python environment the job runs in (docs/environments.md): None = the
    #: harness's own; a name (harness-pytorch, NAME:VERSION) or a mapping
    #: (pip_packages, python, requirements, conda_file).
    environment: Any = None


@dataclass
class PyTorchConfig:
    """Top level (package ``_global_``): lr, epochs and batch_size are shared keys, so
    ``harness train +estimator=pytorch lr=0.003`` reaches the optimizer. batch_size
    is per process: under compute=mpi the global batch is batch_size × world_size."""

    #: Chosen to train a good model on the default data (digits: about 0.96).
    lr: float = 0.003
    epochs: int = 10
    batch_size: int = 64
    estimator: PyTorchOptions = field(default_factory=PyTorchOptions)
