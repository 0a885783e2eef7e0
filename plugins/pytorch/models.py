"""Built-in models and how ``estimator.model`` becomes a ``torch.nn.Module``.

``estimator.model`` is either a short name (``mlp``, ``cnn``, ``lenet``), or a node
whose ``_target_`` is a short name or the dotted path of any ``nn.Module`` class;
the node's other keys go to the constructor (through ``hydra.utils.instantiate``).
The data's shape is passed as ``in_shape=(C, H, W)`` and ``num_classes=N`` to
every constructor that accepts them (by name, or through ``**kwargs``).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from harness.errors import ConfigError
from harness.plugins.pytorch.checks import model_spec


class MLP(nn.Module):
    """Flatten → (Linear → ReLU) per hidden layer → Linear."""

    def __init__(
        self,
        in_shape: Sequence[int],
        num_classes: int,
        hidden: Sequence[int] = (128,),
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        width = 1
        for dim in in_shape:
            width *= int(dim)
        layers: list[nn.Module] = [nn.Flatten()]
        for units in hidden:
            layers += [nn.Linear(width, int(units)), nn.ReLU()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = int(units)
        layers.append(nn.Linear(width, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class SmallCNN(nn.Module):
    """Two 3×3 conv blocks and a small classifier; works from 8×8 images upwards."""

    def __init__(self, in_shape: Sequence[int], num_classes: int, width: int = 16) -> None:
        super().__init__()
        channels = int(in_shape[0])
        self.features = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(4),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(2 * width * 16, 64), nn.ReLU(), nn.Linear(64, num_classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class LeNet(nn.Module):
    """The PyTorch tutorial's CIFAR-10 network: conv(C,6,5)-pool-conv(6,16,5)-pool-
    fc120-fc84-fc(num_classes). On 3×32×32 input it is exactly the tutorial's net;
    smaller images (MNIST 28×28, digits 8×8) get padding 2 on the convolutions, as
    LeNet-5 had for MNIST, and the first fc layer is sized by a dry run.
    """

    def __init__(self, in_shape: Sequence[int], num_classes: int) -> None:
        super().__init__()
        channels, height = int(in_shape[0]), int(in_shape[1])
        padding = 0 if height >= 32 else 2
        self.features = nn.Sequential(
            nn.Conv2d(channels, 6, 5, padding=padding),
            nn.ReLU(),
            nn.MaxPool2d(2, 2),
            nn.Conv2d(6, 16, 5, padding=padding),
            nn.ReLU(),
            nn.MaxPool2d(2, 2),
            nn.Flatten(),
        )
        with torch.no_grad():
            flat = self.features(torch.zeros(1, *[int(d) for d in in_shape])).shape[1]
        self.classifier = nn.Sequential(
            nn.Linear(flat, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def build_model(node: Any, in_shape: Sequence[int], num_classes: int) -> nn.Module:
    from hydra.utils import get_class, instantiate

    target, kwargs = model_spec(node)
    try:
        cls = get_class(target)
    except Exception as exc:
        raise ConfigError(f"estimator.model._target_: cannot import '{target}': {exc}") from None
    accepted = inspect.signature(cls).parameters  # (its __init__'s, without self)
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
    for key, value in (("in_shape", tuple(in_shape)), ("num_classes", num_classes)):
        if takes_any or key in accepted:
            kwargs.setdefault(key, value)
    model = instantiate({"_target_": target, **kwargs}, _convert_="all")
    if not isinstance(model, nn.Module):
        raise ConfigError(f"estimator.model._target_ '{target}' is not a torch.nn.Module")
    return model
