"""One cell's figures, read from its run's metric history, and the machine it ran on.

- final accuracy: the last ``accuracy`` the run logged;
- accuracy curve: (elapsed training time, accuracy) per epoch, the time being the
  running sum of ``epoch_time`` (each epoch's training + validation); a one-shot
  estimator (scikit-learn) gives one point at its ``train_time``;
- time to target: the elapsed time at the first point with accuracy >= target;
- throughput: the median of the per-epoch ``samples_per_s`` (PyTorch) or
  ``samples_per_sec`` (Chainer); scikit-learn: ``n_train / train_time``;
- peak memory: the run's system figures (``run.json`` ``system``, see
  harness/run/resources.py): ``peak_rss_mb``, the largest process of the job,
  measured by the driver for every job, and ``gpu_peak_mb`` (PyTorch on CUDA).
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

from harness.run import metrics

THROUGHPUT_KEYS = ("samples_per_s", "samples_per_sec")


def _series(history: dict[str, list[dict[str, Any]]], name: str) -> list[float]:
    points = sorted(history.get(name, []), key=lambda p: p["step"])
    return [float(p["value"]) for p in points if _finite(p["value"])]


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def accuracy_curve(history: dict[str, list[dict[str, Any]]]) -> list[tuple[float, float]]:
    accuracy = _series(history, "accuracy")
    epoch_times = _series(history, "epoch_time")
    if epoch_times:
        elapsed, curve = 0.0, []
        for acc, seconds in zip(accuracy, epoch_times, strict=False):
            elapsed += seconds
            curve.append((elapsed, acc))
        return curve
    train_time = _series(history, "train_time")
    if accuracy and train_time:
        return [(train_time[-1], accuracy[-1])]
    return []


def time_to_target(curve: list[tuple[float, float]], target: float) -> float | None:
    for elapsed, acc in curve:
        if acc >= target:
            return elapsed
    return None


def throughput(history: dict[str, list[dict[str, Any]]]) -> float | None:
    for key in THROUGHPUT_KEYS:
        values = _series(history, key)
        if values:
            return statistics.median(values)
    n_train, train_time = _series(history, "n_train"), _series(history, "train_time")
    if n_train and train_time and train_time[-1] > 0:
        return n_train[-1] / train_time[-1]
    return None


def _last(history: dict[str, list[dict[str, Any]]], name: str) -> float | None:
    values = _series(history, name)
    return values[-1] if values else None


def _system_figures(run_dir: Path) -> dict[str, Any]:
    """The run's ``system`` figures (run.json, written when the run ended)."""
    from harness.run.record import RECORD_FILE
    from harness.storage.workspace import read_json

    try:
        return dict(read_json(run_dir / RECORD_FILE).get("system") or {})
    except (OSError, ValueError):
        return {}


def cell_figures(run_dir: Path, target: float) -> dict[str, Any]:
    history = metrics.history(run_dir)
    system = _system_figures(run_dir)
    curve = accuracy_curve(history)
    return {
        "final_accuracy": _last(history, "accuracy"),
        "time_to_target_s": time_to_target(curve, target),
        "throughput_samples_per_s": throughput(history),
        "peak_rss_mb": system.get("peak_rss_mb"),
        "gpu_peak_mb": system.get("gpu_peak_mb"),
        "curve": [[t, a] for t, a in curve],
    }


def gpu_model() -> str | None:
    """The CUDA device's name; torch is imported only if it is installed."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return None
    try:
        import torch

        if torch.cuda.is_available():
            return str(torch.cuda.get_device_name(0))
    except Exception:  # a broken CUDA set-up must not stop the suite
        return None
    return None


def machine() -> dict[str, Any]:
    return {
        "host": platform.node(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "gpu": gpu_model(),
    }
