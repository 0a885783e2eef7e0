"""Values as people read them, the same in every view: the CLI's tables and lines,
the notebook widget and its text form. Below both, so neither imports the other."""

from __future__ import annotations

from typing import Any

from harness.safetext import clean

__all__ = ["format_value"]


def format_value(value: Any) -> str:
    """A metric or figure for display: floats with 4 significant digits; anything
    else as text with its control characters escaped (it came from a run)."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return clean(value)
