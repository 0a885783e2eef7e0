"""Run a suite: one ``harness train`` subprocess per cell, all linked to one sweep.

Each cell is an ordinary run (run history, ``harness runs``, plots, the registry all
apply). A subprocess per cell keeps cells apart: one cell's memory peak, imports or
crash cannot touch the next, and the wall time is what a user would see.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import envvars
from harness.bench import data, results
from harness.bench.suite import Cell, Suite, component_name
from harness.errors import NotFoundError
from harness.job import events
from harness.run.store import RunStore, now_iso

SWEEP_ENV = envvars.SWEEP_ID
FORMAT = "harness-bench/1"


class SuiteSweep:
    """The sweep the cells belong to: a sweep record when the sweeps feature is
    installed (``harness sweeps show``), else only the id the runs carry."""

    def __init__(self, suite: Suite, bench_id: str, argv: list[str]) -> None:
        self.record: Any = None
        self.store: Any = None
        try:
            from harness.sweeps.store import SweepStore
        except ImportError:
            self.id = f"bench-{bench_id}"
            return
        self.store = SweepStore()
        self.record = self.store.create(
            experiment=suite.experiment,
            sweeper="harness bench",
            launcher="sequential",
            metric="accuracy",
            goal="maximize",
            settings={"bench_suite": suite.name, "bench_id": bench_id},
            command=argv,
            started_at=time.time(),
        )
        self.id = self.record.id

    def finish(self, status: str) -> None:
        if self.record is None:
            return
        self.record.status, self.record.ended = status, now_iso()
        # The same summary `harness train -m` leaves, for `harness sweeps show/best`;
        # saved before the final status, so a reader that sees that status finds it.
        from harness.sweeps import summary as sweep_summary

        result = sweep_summary.build(self.store, self.record)
        code = 0 if status == "Completed" else 130 if status == "Canceled" else 1
        result.update(status=status, ended=self.record.ended, exit_code=code)
        self.store.save_summary(self.record.id, result)
        self.store.save(self.record)


def installed_estimators() -> set[str]:
    from harness.contract.manager import get_plugin_manager

    return set(get_plugin_manager().names("estimator"))


def cell_command(cell: Cell, overrides: list[str]) -> list[str]:
    return [sys.executable, "-m", "harness", "train", *cell.overrides, *overrides]


def run_suite(
    suite: Suite,
    out_dir: Path,
    bench_id: str,
    argv: list[str],
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run every cell; return the result document (also when interrupted: the
    cells so far, with ``interrupted: true``)."""
    paths = data.prepare(suite, out_dir / "data")
    sweep = SuiteSweep(suite, bench_id, argv)
    installed = installed_estimators()
    logs = out_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, SWEEP_ENV: sweep.id}
    env.pop(envvars.JOB_SPEC, None)
    doc: dict[str, Any] = {
        "format": FORMAT,
        "id": bench_id,
        "suite": suite.name,
        "suite_file": suite.source,
        "description": suite.description,
        "experiment": suite.experiment,
        "target_accuracy": suite.target_accuracy,
        "sweep_id": sweep.id,
        "sweep_record": sweep.record is not None,
        "created": now_iso(),
        "machine": results.machine(),
        "command": argv,
        "interrupted": False,
        "cells": [],
    }
    total = len(suite.cells)
    echo(f"suite {suite.name}: {total} cells, sweep {sweep.id}, output {out_dir}")
    try:
        for index, cell in enumerate(suite.cells, start=1):
            extra = [
                *data.data_overrides(suite, cell, paths, out_dir / "data"),
                f"experiment={suite.experiment}",
                f"+tags.bench={bench_id}",
                f"+tags.bench_cell={cell.key}",
            ]
            command = cell_command(cell, extra)
            shown = shlex.join(["harness", *command[3:]])
            echo(f"[{index}/{total}] {cell.key}: {shown}")
            name = component_name(cell.estimator, suite.estimators[cell.estimator])
            if name not in installed:
                entry = _cell_entry(cell, command, status="Skipped")
                entry["error"] = f"estimator '{name}' is not installed"
                echo(f"    skipped: {entry['error']}")
            else:
                entry = run_cell(cell, command, env, logs / f"{index:02d}-{_slug(cell.key)}.txt")
                entry.update(_figures(entry, suite.target_accuracy))
                echo("    " + _outcome_line(entry))
            doc["cells"].append(entry)
            if entry["exit_code"] == 130:  # the user stopped this cell: stop the suite
                raise KeyboardInterrupt
    except KeyboardInterrupt:
        doc["interrupted"] = True
    failed = any(cell["status"] not in ("Completed", "Skipped") for cell in doc["cells"])
    sweep.finish("Canceled" if doc["interrupted"] else "Failed" if failed else "Completed")
    doc["ended"] = now_iso()
    return doc


def run_cell(cell: Cell, command: list[str], env: dict[str, str], log: Path) -> dict[str, Any]:
    """Run one cell's ``harness train``; its output goes to ``log`` for people, what
    became of it comes back as events (``harness.job.events``) in a file beside it."""
    channel = log.with_suffix(".events.jsonl")
    channel.unlink(missing_ok=True)
    started = time.perf_counter()
    with open(log, "w", encoding="utf-8") as handle:
        proc = subprocess.Popen(
            command, env={**env, envvars.EVENTS: str(channel)}, stdout=handle,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        code = _wait(proc)
    wall = time.perf_counter() - started
    told, _ = events.read(channel)
    entry = _cell_entry(cell, command, status="Failed", exit_code=code)
    entry.update(wall_s=wall, log=str(log))
    created = [e.run_id for e in told if e.event == "run_created" and e.run_id]
    refused = [e.message for e in told if e.event == "refused"]
    if refused or not created:  # rejected (bad overrides: exit 2), or no run at all
        entry["error"] = (refused or [None])[-1] or f"harness train exited {proc.returncode}"
        return entry
    try:
        record = RunStore().get(created[-1])
    except NotFoundError:
        entry["error"] = f"run {created[-1]} not found"
        return entry
    entry.update(run_id=record.id, status=record.status, error=record.error)
    entry["run_dir"] = str(record.path)
    return entry


def _wait(proc: subprocess.Popen[bytes]) -> int:
    """The cell's exit status. On Ctrl-C the cell (same process group) got the SIGINT
    too and is canceling its run: let it finish recording, as `harness train` does."""
    try:
        return proc.wait()
    except KeyboardInterrupt:
        try:
            return proc.wait(timeout=60)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            proc.terminate()
            return proc.wait()


def _figures(entry: dict[str, Any], target: float) -> dict[str, Any]:
    if not entry.get("run_dir"):
        return {}
    return results.cell_figures(Path(entry["run_dir"]), target)


def _cell_entry(
    cell: Cell, command: list[str], status: str, exit_code: int | None = None
) -> dict[str, Any]:
    return {
        "key": cell.key,
        "estimator": cell.estimator,
        "dataset": cell.dataset,
        "setting": cell.setting,
        "overrides": command[4:],
        "status": status,
        "exit_code": exit_code,
        "run_id": None,
        "error": None,
        "wall_s": None,
    }


def _outcome_line(entry: dict[str, Any]) -> str:
    line = f"{entry['status']} in {entry['wall_s']:.1f} s"
    if entry.get("run_id"):
        line += f"  run {entry['run_id']}"
    if entry.get("final_accuracy") is not None:
        line += f"  accuracy {entry['final_accuracy']:.4f}"
    if entry.get("error"):
        line += f"  error: {entry['error']}"
    return line


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text)
