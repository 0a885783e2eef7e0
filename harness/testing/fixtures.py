"""pytest fixtures for harness plugins: ``pytest_plugins = ["harness.testing.fixtures"]``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import envvars
from harness.contract.manager import HarnessPlugins, get_plugin_manager


@pytest.fixture
def harness_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty workspace as HARNESS_HOME for this test."""
    home = tmp_path / "harness-home"
    home.mkdir()
    monkeypatch.setenv(envvars.HOME, str(home))
    return home


@pytest.fixture
def plugin_manager() -> HarnessPlugins:
    return get_plugin_manager()


@pytest.fixture
def registered_plugin(plugin_manager: HarnessPlugins) -> Iterator[Callable[[Any, str], None]]:
    """Register plugin objects for one test; they are unregistered afterwards."""
    names: list[str] = []

    def register(plugin: Any, name: str) -> None:
        assert plugin_manager.register_plugin(plugin, name), plugin_manager.problems[-1:]
        names.append(name)

    yield register
    for name in names:
        plugin_manager.unregister_plugin(name)
