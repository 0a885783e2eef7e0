"""OmegaConf's refusal to resolve a composed config, as one line from its fields."""

from __future__ import annotations

from omegaconf.errors import OmegaConfBaseException

__all__ = ["explain_omegaconf"]


def explain_omegaconf(exc: OmegaConfBaseException) -> str:
    """``KEY: REASON`` from the exception's ``full_key`` and ``msg`` (OmegaConf's
    printed text adds ``full_key:``/``object_type=`` lines for people)."""
    lines = [ln.strip() for ln in str(exc.msg or "").splitlines() if ln.strip()]
    reason = lines[0] if lines else type(exc).__name__  # (the rest repeats the fields)
    key = exc.full_key
    return f"{key}: {reason}" if key else reason
