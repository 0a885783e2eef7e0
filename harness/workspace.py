"""Where the workspace lives: HARNESS_HOME, else ~/.harness.

The workspace plays the part of the Azure ML workspace: it holds run history
(runs/), and later registries and datastores, each in its own folder.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "HARNESS_HOME"
DEFAULT_HOME = Path("~/.harness")


def harness_home() -> Path:
    """The workspace folder, created on first use; always absolute."""
    raw = os.environ.get(HOME_ENV) or str(DEFAULT_HOME)
    home = Path(raw).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home
