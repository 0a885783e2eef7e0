"""The typed config of the ``local`` compute: the one place its defaults live."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

# OmegaConf needs typing.Optional in structured configs.
# ruff: noqa: UP045


@dataclass
class LocalComputeConfig:
    """Run the job in one child process on this machine."""

    name: str = "local"
    #: Seconds before the job is stopped and marked Failed; None: no limit.
    timeout: Optional[float] = None
