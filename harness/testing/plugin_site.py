"""Make a plugin findable without installing it: a package plus a ``*.dist-info``
whose ``entry_points.txt`` names it in the ``harness`` group, in a folder that goes
on ``PYTHONPATH``. Entry-point discovery treats it exactly like an installed plugin.
"""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_plugin_site(
    site: Path, module: str, code: str, configs: dict[str, str], *, name: str
) -> Path:
    """Write package ``module`` (``__init__.py`` = ``code``) and its config files
    (``{"estimator/probe.yaml": text}`` under ``module/conf``) into ``site``, with
    the entry point ``harness: name = module``; returns ``site``."""
    package = site / module
    (package / "conf").mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(code))
    (package / "conf" / "__init__.py").write_text("")
    for relative, text in configs.items():
        path = package / "conf" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    dist = site / f"{module}-0.1.dist-info"
    dist.mkdir()
    dist_name = module.replace("_", "-")
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[harness]\n{name} = {module}\n")
    return site
