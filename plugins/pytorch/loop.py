"""The training and validation passes: a plain PyTorch loop, kept lean on purpose.

Per step it does what a hand-written loop does (move the batch, forward, loss,
backward, step) plus one list append: the loss is kept on the device and turned
into a Python number only every ``log_every`` steps, so there is no per-step
``.item()`` sync on a GPU.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F


@dataclass
class StepSettings:
    device: torch.device
    log_every: int
    autocast: Callable[[], Any] = contextlib.nullcontext
    scaler: Any = None
    channels_last: bool = False

    @property
    def non_blocking(self) -> bool:
        return self.device.type == "cuda"


def amp_settings(enabled: bool, device: torch.device) -> tuple[Callable[[], Any], Any, str]:
    """(autocast factory, GradScaler or None, a note for the log)."""
    if not enabled:
        return contextlib.nullcontext, None, "off"
    if device.type == "cuda" and not torch.cuda.is_bf16_supported():
        scaler = torch.amp.GradScaler("cuda")
        return (
            functools.partial(torch.autocast, "cuda", dtype=torch.float16),
            scaler,
            "fp16+GradScaler",
        )
    if device.type not in ("cuda", "cpu"):
        return contextlib.nullcontext, None, f"off (no autocast on {device.type})"
    # bf16 needs no loss scaling. On CPU it runs too, but is only faster on CPUs
    # with native bf16 (AMX/AVX512-BF16); it is meant for GPUs.
    return functools.partial(torch.autocast, device.type, dtype=torch.bfloat16), None, "bf16"


def _to_device(
    x: torch.Tensor, y: torch.Tensor, s: StepSettings
) -> tuple[torch.Tensor, torch.Tensor]:
    x = x.to(s.device, non_blocking=s.non_blocking)
    y = y.to(s.device, non_blocking=s.non_blocking)
    if s.channels_last and x.dim() == 4:
        x = x.contiguous(memory_format=torch.channels_last)
    return x, y


def train_epoch(
    model: torch.nn.Module,
    loader: Any,
    optimizer: torch.optim.Optimizer,
    s: StepSettings,
    step: int,
    log: Callable[[str, float, int], None],
) -> tuple[int, float, int]:
    """One pass over ``loader``; returns (global step, mean batch loss, samples seen)."""
    model.train()
    losses: list[torch.Tensor] = []
    window_start = 0
    samples = 0
    for x, y in loader:
        x, y = _to_device(x, y, s)
        optimizer.zero_grad(set_to_none=True)
        with s.autocast():
            loss = F.cross_entropy(model(x), y)
        if s.scaler is not None:
            s.scaler.scale(loss).backward()
            s.scaler.step(optimizer)
            s.scaler.update()
        else:
            loss.backward()
            optimizer.step()
        losses.append(loss.detach())
        samples += len(y)
        step += 1
        if step % s.log_every == 0:
            log("loss", torch.stack(losses[window_start:]).float().mean().item(), step)
            window_start = len(losses)
    mean = torch.stack(losses).float().mean().item() if losses else float("nan")
    return step, mean, samples


@torch.no_grad()
def evaluate(model: torch.nn.Module, loader: Any, s: StepSettings) -> tuple[float, float, float]:
    """(summed loss, correct predictions, samples) over ``loader``."""
    model.eval()
    loss_sum = torch.zeros((), dtype=torch.float64, device=s.device)
    correct = torch.zeros((), dtype=torch.int64, device=s.device)
    count = 0
    for x, y in loader:
        x, y = _to_device(x, y, s)
        with s.autocast():
            out = model(x)
        loss_sum += F.cross_entropy(out.float(), y, reduction="sum").double()
        correct += (out.argmax(dim=1) == y).sum()
        count += len(y)
    return loss_sum.item(), float(correct.item()), float(count)
