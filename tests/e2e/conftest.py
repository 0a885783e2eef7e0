"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def uv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One uv cache for the whole test session: each wheel an environment test
    installs is downloaded once (uv links the files from there)."""
    return tmp_path_factory.mktemp("uv-cache")
