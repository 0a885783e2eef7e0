"""``check_workspace``: ``harness doctor`` from Python (the same examination)."""

from __future__ import annotations

from typing import Any


def check_workspace(fix: bool = False, workspace: Any = None) -> list[dict[str, Any]]:
    """Damaged or stuck records of the workspace (``harness doctor --format json``):
    ``{"kind", "path", "problem", "fix", "fixed"}`` each; ``fix=True`` repairs them."""
    from harness.sdk.workspace import home_of
    from harness.sdk.workspace_doctor import examine

    return [finding.to_json() for finding in examine(home_of(workspace), fix=fix)]
