"""The sweeps of a workspace as the CLI, the dashboard and Python list them:
``list_sweeps`` (``harness sweeps list --format json``), ``sweep_item`` (one row),
``sweep_summary`` (``harness sweeps show --format json``): one code path for all.

A sweep whose ``sweep.json`` cannot be read is an item of its own,
``{"id", "status": "Damaged", "damaged": true, "path", "error"}``, and one warning
line; a damaged link, job record, run record or ``summary.json`` of a readable
sweep is a ``Damaged`` row of its table (harness/sweeps/summary.py). Never a
failed listing, never a sweep or a run silently missing.
"""

from __future__ import annotations

from typing import Any

from harness.errors import warn_once


def sweep_summary(home: Any, sweep_id: str) -> dict[str, Any]:
    """The saved table of a finished sweep; the live state of a running one
    (what ``harness sweeps show --format json`` prints)."""
    from harness.sweeps.store import SweepStore

    store = SweepStore(home)
    return _summary(store, store.get(sweep_id))


def _summary(store: Any, sweep: Any) -> dict[str, Any]:
    """summary.json once the sweep has ended; the live table while it runs (a
    summary.json then is the last attempt's, or about to be replaced)."""
    from harness.sweeps import summary as sweep_summary_mod
    from harness.sweeps.store import RUNNING

    saved = store.summary(sweep.id) if sweep.status != RUNNING else None
    return saved or sweep_summary_mod.build(store, sweep)


def sweep_item(store: Any, sweep: Any) -> dict[str, Any]:
    """One row of `harness sweeps list --format json` (and of the dashboard's list)
    for ``sweep`` (a ``SweepRecord``) of ``store`` (its ``SweepStore``)."""
    result = _summary(store, sweep)  # the record in hand: not read a second time
    best = result["best"]
    return {
        "id": sweep.id,
        "status": sweep.status,
        "experiment": sweep.experiment,
        "created": sweep.created,
        "sweeper": sweep.sweeper,
        "launcher": sweep.launcher,
        "metric": result["metric"],
        "goal": result["goal"],
        "counts": result["counts"],
        "best_run_id": best["run_id"] if best else None,
        "best_value": best["value"] if best else None,
    }


def list_sweeps(workspace: Any = None) -> list[dict[str, Any]]:
    """Every sweep of the workspace, newest first, then the damaged ones
    (``harness sweeps list --format json``); ``workspace`` a ``Workspace``, a
    path, or None (the current one)."""
    from harness.sdk.workspace import home_of
    from harness.sweeps.store import SweepStore

    store = SweepStore(home_of(workspace))
    found, damaged = store.scan()
    items = [sweep_item(store, sweep) for sweep in found]
    for problem in damaged:
        warn_once(str(problem))
        items.append({"id": problem.name, **problem.to_json()})
    return items
