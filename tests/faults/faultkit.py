"""Helpers for the fault-injection suite: crafted workspaces and strict checks.

Every test here injects its fault and then drives the real ``harness`` command
(``run_cli``) against it. Fixtures are written directly in the on-disk formats
(a run folder is ``runs/<id>/run.json`` + ``outputs/``...), which is exactly what
an attacker or a crash would leave behind.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

from harness.testing import CliResult


def make_run(home: Path, status: str = "Completed", **fields: Any) -> Path:
    """A finished run made through the store (what `harness train` would leave)."""
    from harness.run.store import RunStore

    old = os.environ.get("HARNESS_HOME")
    os.environ["HARNESS_HOME"] = str(home)
    try:
        store = RunStore(home)
        record = store.create(experiment="faults", estimator="sklearn", compute="local")
        store.set_status(record.id, "Running", pid=os.getpid(), host=socket.gethostname())
        if status != "Running":
            store.set_status(record.id, status, **fields)
    finally:
        if old is None:
            os.environ.pop("HARNESS_HOME", None)
        else:
            os.environ["HARNESS_HOME"] = old
    assert record.path is not None
    return record.path


def craft_record(folder: Path, run_id: str, **fields: Any) -> Path:
    """A hand-written run.json (the attacker's or a crash's), anywhere."""
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("outputs", "logs", "metrics"):
        (folder / sub).mkdir(exist_ok=True)
    record = {
        "id": run_id,
        "experiment": "x",
        "status": "Completed",
        "created": "2026-01-01T00:00:00.000+00:00",
        "estimator": "sklearn",
        "compute": "local",
        **fields,
    }
    (folder / "run.json").write_text(json.dumps(record))
    return folder


def tree(*roots: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``roots`` with (size, mtime_ns): 'nothing written' checks."""
    found: dict[str, tuple[int, int]] = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                st = os.lstat(path)
                size = 0 if os.path.isdir(path) else st.st_size
                found[path] = (size, 0 if os.path.isdir(path) else st.st_mtime_ns)
    return found


def assert_user_error(result: CliResult, *needles: str) -> None:
    """Exit 2, exactly one line on stderr, no traceback, the line names the problem."""
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert result.returncode == 2, result.output
    assert "Traceback" not in result.stderr + result.stdout, result.output
    assert len(lines) == 1, result.output
    assert lines[0].startswith("harness: error: "), result.output
    for needle in needles:
        assert needle in lines[0], result.output
