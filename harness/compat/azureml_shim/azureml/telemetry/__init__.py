"""``azureml.telemetry``: diagnostics sent to Microsoft. Nothing is sent from here,
so ``set_diagnostics_collection`` is a silent no-op (the v1 notebooks call it first)."""

from __future__ import annotations

from typing import Any


def set_diagnostics_collection(send_diagnostics: bool = True, **_: Any) -> None:
    """Accepted and ignored: the harness sends nothing anywhere."""


def get_diagnostics_collection_info(*_: Any, **__: Any) -> dict[str, Any]:
    return {"send_diagnostics": False}


__all__ = ["get_diagnostics_collection_info", "set_diagnostics_collection"]
