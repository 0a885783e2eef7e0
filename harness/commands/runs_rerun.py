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
from pathlib import Path
from typing import Any

from harness.errors import NotFoundError
from harness.run.store import RunStore

# What to run again is the Python API's (run.rerun()): one code path for both doors.
from harness.sdk.rerun import hydra_literal, rerun_overrides  # noqa: F401


def add_parsers(sub: Any) -> None:
    rerun = sub.add_parser("rerun", help="run a recorded run again, in the same environment")
    rerun.add_argument("run_id", help="a run id, or a prefix naming one run")


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
