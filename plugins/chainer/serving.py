"""Serving a model the ``chainer`` estimator saved (``outputs/model.npz`` with
``outputs/model.json``).

A registered ``outputs`` folder carries ``model.json``, which says how to rebuild
the network; a registered ``model.npz`` alone is rebuilt from the run's config.
``load_npz`` reads arrays only (no pickled objects). Rows are the network's
inputs as it trained on them (digits: pixels / 16), flat or in the image shape;
the answer is the class index per row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.errors import ConfigError

#: data format → input shape of ``harness.datasets`` (all ten classes).
SHAPES: dict[str, tuple[int, ...]] = {
    "digits": (1, 8, 8),
    "mnist": (1, 28, 28),
    "cifar10": (3, 32, 32),
}


def _meta(path: Path, params: dict[str, Any]) -> tuple[Path, dict[str, Any]]:
    """(weights file, model.json's content) for a registered folder or file."""
    from harness.plugins.chainer.training import MODEL_FILE, MODEL_INFO_FILE

    folder = path if path.is_dir() else path.parent
    weights = path / MODEL_FILE if path.is_dir() else path
    info = folder / MODEL_INFO_FILE
    if info.is_file():
        import json

        return weights, json.loads(info.read_text())
    estimator = params.get("estimator") or {}
    fmt = str((estimator.get("data") or {}).get("format") or "digits")
    if not estimator or fmt not in SHAPES:
        raise ConfigError(
            "cannot rebuild this chainer network: register the run's outputs folder "
            "(model.npz with model.json), or give an entry script"
        )
    model = estimator.get("model") or {}
    return weights, {
        "model": str(model.get("name") or "mlp"),
        "n_units": int(model.get("n_units") or 100),
        "n_out": 10,
        "in_shape": list(SHAPES[fmt]),
    }


class ChainerPredictor:
    def __init__(self, model: Any, in_shape: tuple[int, ...]) -> None:
        self.model = model
        self.in_shape = in_shape

    def predict(self, data: Any) -> Any:
        import numpy as np

        from harness.plugins.chainer.compat import import_chainer

        chainer = import_chainer()
        array = np.asarray(data.to_numpy() if hasattr(data, "to_numpy") else data, np.float32)
        batch = array.reshape(len(array), *self.in_shape)
        with chainer.using_config("train", False), chainer.no_backprop_mode():
            return self.model.predictor(batch).array.argmax(axis=1)


def load(path: Path, params: dict[str, Any]) -> ChainerPredictor:
    from harness.plugins.chainer import models
    from harness.plugins.chainer.compat import import_chainer

    chainer = import_chainer()
    weights, meta = _meta(path, params)
    if not weights.is_file():
        raise ConfigError(f"{path.name}: no {weights.name} in the registered model")
    in_shape = tuple(int(d) for d in meta["in_shape"])
    model = models.build(meta["model"], int(meta["n_units"]), int(meta["n_out"]), in_shape)
    chainer.serializers.load_npz(str(weights), model)
    return ChainerPredictor(model, in_shape)
