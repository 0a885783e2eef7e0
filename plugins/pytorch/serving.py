"""Serving a model the ``pytorch`` estimator saved (``outputs/model.pt``, a state dict).

The network is rebuilt from the run's config (``estimator.model``) with the input
shape and class count of its data format, then the weights are loaded with
``torch.load(weights_only=True)``: tensors only, no pickled code runs. A request's
rows are the model's inputs as it trained on them (digits: pixels / 16, MNIST and
CIFAR-10: / 255), flat or in the image shape; the answer is the class index per row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.errors import ConfigError

MODEL_FILE = "model.pt"
#: data format → (input shape, classes) of ``harness.datasets`` (what the trainer saw).
SHAPES: dict[str, tuple[tuple[int, ...], int]] = {
    "digits": ((1, 8, 8), 10),
    "mnist": ((1, 28, 28), 10),
    "cifar10": ((3, 32, 32), 10),
}


def _weights_file(path: Path) -> Path:
    if path.is_file():
        return path
    if (path / MODEL_FILE).is_file():
        return path / MODEL_FILE
    raise ConfigError(f"{path.name}: no {MODEL_FILE} in the registered folder")


def _last_bias_size(state: dict[str, Any]) -> int:
    """Classes of an image-folder model: the size of the last layer's bias."""
    biases = [v for k, v in state.items() if k.endswith("bias") and getattr(v, "ndim", 0) == 1]
    if not biases:
        raise ConfigError("cannot tell the number of classes from the saved weights")
    return int(biases[-1].shape[0])


def shape_of(params: dict[str, Any], state: dict[str, Any]) -> tuple[tuple[int, ...], int]:
    data = (params.get("estimator") or {}).get("data") or {}
    fmt = str(data.get("format") or "digits")
    if fmt in SHAPES:
        return SHAPES[fmt]
    if fmt == "imagefolder":
        size = int(data.get("image_size") or 32)
        return (3, size, size), _last_bias_size(state)
    raise ConfigError(f"cannot serve a pytorch model trained on data format '{fmt}'")


class TorchPredictor:
    def __init__(self, model: Any, in_shape: tuple[int, ...]) -> None:
        self.model = model
        self.in_shape = in_shape

    def predict(self, data: Any) -> Any:
        import numpy as np
        import torch

        array = np.asarray(data.to_numpy() if hasattr(data, "to_numpy") else data, np.float32)
        batch = torch.from_numpy(array.reshape(len(array), *self.in_shape))
        with torch.inference_mode():
            return self.model(batch).argmax(dim=1).numpy()


def load(path: Path, params: dict[str, Any]) -> TorchPredictor:
    import torch

    from harness.plugins.pytorch.models import build_model

    if not params:
        raise ConfigError(
            "a pytorch model.pt holds weights only: serve a model registered from its "
            "run (which records the network), or give an entry script"
        )
    state = torch.load(_weights_file(path), map_location="cpu", weights_only=True)
    in_shape, classes = shape_of(params, state)
    model = build_model(params["estimator"]["model"], in_shape, classes)
    model.load_state_dict(state)
    model.eval()
    torch.set_num_threads(1)  # one request at a time per worker: no spinning pool
    return TorchPredictor(model, in_shape)
