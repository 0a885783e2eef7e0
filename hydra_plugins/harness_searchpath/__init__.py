"""Hydra discovers this module in the ``hydra_plugins`` namespace package; it adds
every harness plugin's config groups to the search path of ``harness train``."""

from hydra.core.config_search_path import ConfigSearchPath
from hydra.plugins.search_path_plugin import SearchPathPlugin


class HarnessSearchPathPlugin(SearchPathPlugin):
    def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
        from harness.job import session

        active = session.current()
        if active is None or not active.app_active:  # somebody else's Hydra app
            return
        from harness.contract.manager import get_plugin_manager

        for entry in get_plugin_manager().config_searchpath():
            search_path.append(provider="harness-plugin", path=entry)
