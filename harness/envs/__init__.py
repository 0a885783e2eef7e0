"""Environments: each run in the Python environment it asks for.

Definitions (``spec``, ``conda``, ``registry``) are resolved against this machine
(``python``, ``resolve``), built once with uv into ``$HARNESS_HOME/envs/<hash>/``
(``build``, ``uv``) and handed to runs (``runtime``). ``Environment`` is the
Python API; ``harness envs`` (harness/commands/envs.py) the CLI. See
docs/environments.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.envs.environment import Environment

__all__ = ["Environment"]


def __getattr__(name: str) -> Any:
    if name == "Environment":
        from harness.envs.environment import Environment

        return Environment
    raise AttributeError(f"module 'harness.envs' has no attribute {name!r}")
