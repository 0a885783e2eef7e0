"""``harness runs rerun RUN``: run a recorded run again, in the same environment.

The new run is ``harness train`` with the recorded overrides, from the recorded
working directory, tagged ``rerun_of=RUN``. Its environment is pinned to what the
old run recorded (the definition with files inlined, and the exact Python
version), not to whatever a name means today: ``tab`` may have a version 2 by
now, but the rerun gets the packages of ``tab:1``, and the same content hash
reuses the same built folder.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import Any

from harness.errors import NotFoundError
from harness.run.store import RunStore

_ENV_OVERRIDE = re.compile(r"^[+~]*estimator\.environment(\.|=|$)")


def add_parsers(sub: Any) -> None:
    rerun = sub.add_parser("rerun", help="run a recorded run again, in the same environment")
    rerun.add_argument("run_id", help="a run id, or a prefix naming one run")


def rerun_overrides(record: Any) -> list[str]:
    """The recorded overrides, with the environment pinned to the recorded one."""
    overrides = [o for o in record.overrides if not _ENV_OVERRIDE.match(o)]
    environment = (record.provenance or {}).get("environment")
    if environment:
        definition = {
            k: v
            for k, v in (environment.get("definition") or {}).items()
            if v not in (None, [], "")
        }
        definition["python"] = environment.get("python") or definition.get("python")
        overrides.append(f"++estimator.environment={hydra_literal(definition)}")
    overrides.append(f"++tags.rerun_of={record.id}")
    return overrides


def hydra_literal(value: Any) -> str:
    """A JSON-like value in Hydra's override grammar, every string quoted."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{hydra_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(hydra_literal(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def cmd_rerun(store: RunStore, opts: argparse.Namespace) -> int:
    from harness.commands import train

    record = store.get(opts.run_id)
    if not record.overrides and not record.params:
        raise NotFoundError(f"run {record.id} has no recorded config to run again")
    cwd = (record.provenance or {}).get("cwd")
    if cwd and Path(cwd).is_dir():
        os.chdir(cwd)  # relative paths in the overrides meant this folder
    print(f"rerun of {record.id}", flush=True)
    return train.main(rerun_overrides(record))


ACTIONS = {"rerun": cmd_rerun}
