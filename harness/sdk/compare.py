"""Several runs side by side: ``compare_runs`` (a table's data) and ``plot_runs``
(metric curves into a PNG). ``harness runs compare|plot`` and the dashboard call
these same functions."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.run.record import flatten
from harness.run.store import RunStore


def _store(workspace: Any) -> RunStore:
    from harness.sdk.workspace import home_of

    return RunStore(home_of(workspace))


def compare_json(store: RunStore, run_ids: list[str], all_params: bool = False) -> dict[str, Any]:
    """`harness runs compare --format json`: params that differ (all with
    ``all_params``), status and final numeric metrics of each run."""
    from harness.run.liveness import reconcile

    records = [reconcile(store, store.get(run_id)) for run_id in run_ids]
    flats = [flatten(r.params) for r in records]
    keys = sorted(set().union(*flats))
    _missing = object()
    differing = [
        k for k in keys if all_params or len({repr(f.get(k, _missing)) for f in flats}) > 1
    ]
    finals = [store.current_metrics(r) for r in records]
    metric_names = sorted({k for m in finals for k, v in m.items() if isinstance(v, (int, float))})
    return {
        "runs": [r.id for r in records],
        "status": {r.id: r.status for r in records},
        "params": {
            k: {r.id: f.get(k) for r, f in zip(records, flats, strict=False)} for k in differing
        },
        "metrics": {
            k: {r.id: m.get(k) for r, m in zip(records, finals, strict=False)} for k in metric_names
        },
        "goals": _goals(records, metric_names),
    }


def _goals(records: list[Any], metric_names: list[str]) -> dict[str, str]:
    """metric → ``maximize``/``minimize``, where the runs' records say (the metric
    each was judged by, ``extra.primary``) and agree; other metrics have no goal."""
    said: dict[str, set[str]] = {}
    for record in records:
        primary = record.extra.get("primary")
        if isinstance(primary, dict) and primary.get("goal") in ("maximize", "minimize"):
            said.setdefault(str(primary.get("metric")), set()).add(primary["goal"])
    return {k: next(iter(g)) for k, g in said.items() if k in metric_names and len(g) == 1}


def compare_runs(
    run_ids: list[str], all_params: bool = False, workspace: Any = None
) -> dict[str, Any]:
    """The same object as ``harness runs compare RUN... --format json``: ``runs``,
    ``status``, ``params`` (name → run → value), ``metrics`` (name → run → final)
    and ``goals`` (metric → ``maximize``/``minimize``, for the metric the runs were
    judged by)."""
    if isinstance(run_ids, str):
        run_ids = [run_ids]
    return compare_json(_store(workspace), [str(r) for r in run_ids], all_params)


def parse_size(size: str | tuple[int, int]) -> tuple[int, int]:
    """``"1000x600"`` or ``(1000, 600)`` → pixels, each at least 100."""
    try:
        if isinstance(size, str):
            width, height = (int(x) for x in size.lower().split("x"))
        else:
            width, height = (int(x) for x in size)
        if width < 100 or height < 100:
            raise ValueError
    except (ValueError, TypeError):
        shown = size if isinstance(size, str) else "x".join(map(str, size))
        raise ConfigError(f"--size '{shown}': write WIDTHxHEIGHT in pixels, each ≥ 100") from None
    return width, height


def plot_runs(
    run_ids: list[str],
    output: str | os.PathLike[str] = "harness-plot.png",
    metrics: list[str] | None = None,
    size: str | tuple[int, int] = "1000x600",
    workspace: Any = None,
) -> dict[str, Any]:
    """Draw the runs' metric curves (``metrics``, default every numeric one) into the
    PNG ``output``, as ``harness runs plot`` does. Returns ``{"path", "metrics"}``."""
    from harness.run.plotting import draw_runs

    if isinstance(run_ids, str):
        run_ids = [run_ids]
    pixels = parse_size(size)
    store = _store(workspace)
    records = [store.get(str(run_id)) for run_id in run_ids]
    path = Path(output).expanduser()
    if not path.parent.is_dir():
        raise ConfigError(f"no folder '{path.parent}' to write {path.name} into")
    drawn = draw_runs(records, list(metrics or []), path, pixels)
    return {"path": path, "metrics": drawn}
