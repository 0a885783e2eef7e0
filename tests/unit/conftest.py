"""Fixtures the unit tests share."""

from __future__ import annotations

import pytest


@pytest.fixture
def train_loader(tmp_path, monkeypatch):
    """Hydra's config loader for `harness train`, with every schema, resolver and
    plugin config registered as the command does; cwd is a fresh folder."""
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra._internal.utils import create_config_search_path
    from hydra.core.plugins import Plugins

    from harness.contract.manager import get_plugin_manager
    from harness.job import config
    from harness.sweeps import config as sweep_config

    monkeypatch.chdir(tmp_path)
    sweep_config.register()
    config.register_schema()
    config.register_resolvers()
    config.register_plugin_schemas(get_plugin_manager().config_schemas())
    Plugins.instance()
    return ConfigLoaderImpl(config_search_path=create_config_search_path("pkg://harness.conf"))
