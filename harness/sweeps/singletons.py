"""Hydra's singletons in a job's process, restored without a new plugin scan.

A launcher hands each job the sweep's ``Singleton.get_state()``; Hydra's
``Singleton.set_state`` then scans every Hydra plugin package again (~50 ms a job)
because the state leaves the ``Plugins`` singleton out. The scan depends only on
the installed packages, which a sweep does not change, so a process that runs
several jobs (a loky or Ray worker) keeps the ``Plugins`` it scanned for its first.
Everything else is the sweep's state, as ``set_state`` sets it.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from hydra.core.singleton import Singleton
from omegaconf.basecontainer import BaseContainer


def restore(state: dict[str, Any]) -> None:
    """``Singleton.set_state``, keeping the plugins this process scanned already."""
    from hydra.core.plugins import Plugins

    scanned = Singleton._instances.get(Plugins)
    Singleton._instances = state["instances"]
    if scanned is not None:
        Singleton._instances[Plugins] = scanned
    Plugins.instance()  # scans only the first time in this process
    BaseContainer._resolvers = deepcopy(state["omegaconf_resolvers"])
