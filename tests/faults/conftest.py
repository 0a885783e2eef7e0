"""Fixtures of the fault-injection suite (helpers live in faultkit.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the workspace holding a victim file and folder."""
    folder = tmp_path / "outside"
    (folder / "victim").mkdir(parents=True)
    (folder / "victim" / "precious.txt").write_text("keep me")
    (folder / "secret.txt").write_text("top secret")
    return folder
