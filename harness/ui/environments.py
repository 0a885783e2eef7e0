"""The environments page's data: every built environment of the workspace
(``$HARNESS_HOME/envs/<hash>/``) with its packages, and the runs whose provenance
names it (a run records its environment's content hash as it starts)."""

from __future__ import annotations

import json
import os
from typing import Any

from harness.envs.build import BUILDING_PREFIX, LAST_USED, RECORD, envs_root
from harness.ui.state import State


def built_environments(st: State) -> list[dict[str, Any]]:
    """Newest build first; each with ``runs`` (ids, newest first) that used it."""
    root = envs_root(st.home)
    used: dict[str, list[str]] = {}
    entries, _ = st.index.refresh(full=True)  # a page seldom opened: exact, not quick
    for record, _text in entries:  # newest first already
        env = (record.provenance or {}).get("environment")
        if isinstance(env, dict) and isinstance(env.get("hash"), str):
            used.setdefault(env["hash"], []).append(record.id)
    found: list[dict[str, Any]] = []
    try:
        folders = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return found
    for folder in folders:
        if folder.name.startswith((".", BUILDING_PREFIX)) or not folder.is_dir():
            continue
        try:
            with open(os.path.join(folder.path, RECORD), encoding="utf-8") as handle:
                record = json.load(handle)
            last_used = os.stat(os.path.join(folder.path, LAST_USED)).st_mtime
        except (OSError, ValueError):
            continue
        if not isinstance(record, dict):
            continue
        found.append(
            {
                "hash": folder.name,
                "name": record.get("name"),
                "version": record.get("version"),
                "python": record.get("python"),
                "requirements": record.get("requirements") or [],
                "packages": record.get("packages") or [],
                "from_harness": record.get("from_harness") or [],
                "built": record.get("built"),
                "build_s": record.get("build_s"),
                "last_used": last_used,
                "path": folder.path,
                "runs": used.get(folder.name, []),
            }
        )
    found.sort(key=lambda e: str(e["built"] or ""), reverse=True)
    return found
