"""Benchmark suites from Python: ``list_bench_suites``, ``run_bench``,
``compare_bench``. ``harness bench list|run|compare`` call these same functions."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.ids import new_id


def list_bench_suites() -> list[dict[str, Any]]:
    """The built-in suites: ``{"name", "cells", "description"}`` each."""
    from harness.bench.suite import available_suites, load_suite

    suites = [(name, load_suite(name)) for name in available_suites()]
    return [
        {"name": name, "cells": len(suite.cells), "description": suite.description}
        for name, suite in suites
    ]


def run_bench(
    suite: str = "default",
    overrides: list[str] | tuple[str, ...] = (),
    out: str | os.PathLike[str] | None = None,
    echo: Callable[[str], None] | None = print,
    command: list[str] | None = None,
) -> dict[str, Any]:
    """Run a suite (a built-in name or a suite YAML file) with ``key=value``
    overrides; every cell is a harness run in one sweep. Blocks until the suite
    ends and returns its result document (the ``results.json`` it writes into
    ``out``, default ``$HARNESS_HOME/bench/<id>``), with ``files`` added: the paths
    of results.json/.md and the plot. ``echo`` gets one line per cell."""
    from harness.bench import report, runner
    from harness.bench.suite import load_suite
    from harness.storage.workspace import harness_home

    overrides = list(overrides)
    if "=" in suite:  # `bench run key=value`: the default suite, overridden
        overrides, suite = [suite, *overrides], "default"
    bad = [o for o in overrides if "=" not in o]
    if bad:
        raise ConfigError(f"suite overrides are key=value; got '{bad[0]}'")
    loaded = load_suite(suite, overrides)
    bench_id = new_id()
    out_dir = (Path(out) if out else harness_home() / "bench" / bench_id).expanduser().resolve()
    if (out_dir / "results.json").exists():
        raise ConfigError(f"{out_dir} already holds a results.json; choose another --out")
    out_dir.mkdir(parents=True, exist_ok=True)
    # What the sweep record shows as the command that started it.
    argv = command or ["harness", "bench", "run", suite, *overrides]
    doc = runner.run_suite(loaded, out_dir, bench_id, argv, echo or (lambda _line: None))
    files = report.write_all(doc, out_dir)
    return {**doc, "files": files}


def bench_exit_code(doc: dict[str, Any]) -> int:
    """``harness bench run``'s exit status: 130 interrupted, 1 a cell failed, else 0."""
    if doc["interrupted"]:
        return 130
    return 1 if any(c["status"] not in ("Completed", "Skipped") for c in doc["cells"]) else 0


def compare_bench(
    before: str | os.PathLike[str], after: str | os.PathLike[str], threshold: float = 0.05
) -> dict[str, Any]:
    """Compare two ``results.json`` cell by cell: ``{"threshold", "regressions",
    "rows"}`` (``harness bench compare --format json``); a relative change beyond
    ``threshold`` in the bad direction is a regression."""
    from harness.bench import compare

    if threshold < 0:
        raise ConfigError("--threshold must be >= 0 (a relative change, 0.05 = 5%)")
    rows = compare.compare(compare.load(str(before)), compare.load(str(after)), threshold)
    return {
        "threshold": threshold,
        "regressions": sum(1 for r in rows if r.regression),
        "rows": compare.to_json(rows),
    }
