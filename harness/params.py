"""Nested config → flat dotted keys: the form MLflow params, TensorBoard's hparams
text and ``harness runs compare`` tables want."""

from __future__ import annotations

from typing import Any


def flatten(params: Any, prefix: str = "") -> dict[str, Any]:
    """``{"estimator": {"C": 0.5}}`` → ``{"estimator.C": 0.5}``; empty dicts stay leaves."""
    if not isinstance(params, dict):
        return {prefix: params}
    flat: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            flat.update(flatten(value, name))
        else:
            flat[name] = value
    return flat
