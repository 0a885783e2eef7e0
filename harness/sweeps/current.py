"""The sweep this process drives (``harness train -m``), if any.

Hydra creates the sweep's launch inside ``@hydra.main``; the sweep layer's
callback records the sweep when the multirun starts, and the command summarises it
once Hydra returns. This is the one place that holds it between the two, typed,
in the layer that owns sweep records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (imported by every `harness train`: kept light)
    from harness.sweeps.store import SweepRecord

__all__ = ["driven", "drive", "reset"]

_driven: SweepRecord | None = None


def drive(sweep: SweepRecord) -> None:
    """This process drives ``sweep`` (the multirun started, or resumed)."""
    global _driven
    _driven = sweep


def driven() -> SweepRecord | None:
    """The sweep this process drives; None in a single run and in a launcher's
    worker process (a joblib or Ray worker runs jobs, not the sweep)."""
    return _driven


def reset() -> None:
    """A new ``harness train`` starts in this process."""
    global _driven
    _driven = None
