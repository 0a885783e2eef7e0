"""Epoch checkpoints: everything needed to continue a run bit for bit.

A checkpoint holds the model and optimizer state, the epoch and step counters,
the global torch RNG state, the data-order generator's state (and the CUDA RNG
states when there are any). Files are written atomically: the whole checkpoint is
serialised in memory, then written to a temporary file and renamed, so a crash
mid-write never leaves a torn ``epoch_N.pt``.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch

from harness.contract.files import atomic_write_bytes
from harness.plugins.pytorch.checks import CHECKPOINT_GLOB

FORMAT_VERSION = 1


def atomic_torch_save(obj: Any, path: Path) -> None:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def save(
    folder: Path,
    *,
    epoch: int,
    step: int,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    scaler: Any = None,
    keep: int = 0,
) -> Path:
    """Write ``epoch_<epoch>.pt`` (epoch counts from 1) and prune to the last ``keep``."""
    state = {
        "version": FORMAT_VERSION,
        "epoch": epoch,
        "step": step,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "torch_rng": torch.get_rng_state(),
        "data_rng": generator.get_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else [],
        "scaler": scaler.state_dict() if scaler is not None else None,
    }
    path = folder / f"epoch_{epoch:04d}.pt"
    atomic_torch_save(state, path)
    if keep > 0:
        for old in sorted(folder.glob(CHECKPOINT_GLOB))[:-keep]:
            old.unlink(missing_ok=True)
    return path


def restore(
    path: Path,
    *,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    scaler: Any = None,
) -> tuple[int, int]:
    """Load ``path`` into the live objects; returns (epochs done, steps done)."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    torch.set_rng_state(state["torch_rng"])
    generator.set_state(state["data_rng"])
    if state.get("cuda_rng") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda_rng"])
    if scaler is not None and state.get("scaler"):
        scaler.load_state_dict(state["scaler"])
    return int(state["epoch"]), int(state["step"])
