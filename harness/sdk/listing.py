"""The runs of a workspace, filtered and sorted: ``list_runs`` (handles) for
Python, ``find_runs`` (records) for ``harness runs list`` and ``filter_runs`` for
the dashboard — one selection for all three."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness import inputs
from harness.errors import ConfigError, NotFoundError
from harness.records import Damaged
from harness.run.liveness import reconcile
from harness.run.record import FINAL_STATUSES, RunRecord
from harness.run.store import RunStore

#: (expression, runs, the per-run predicate) → the runs it matches, in order.
Selector = Callable[[str, list[RunRecord], Callable[[RunRecord], bool]], list[RunRecord]]


def _tag_filter(specs: list[str]) -> list[tuple[str, str | None]]:
    wanted = []
    for spec in specs:
        key, sep, value = spec.partition("=")
        if not key:
            raise ConfigError(f"--tag '{spec}': give KEY or KEY=VALUE")
        wanted.append((key, value if sep else None))
    return wanted


def _metric_key(store: RunStore, name: str, ascending: bool):  # noqa: ANN202
    sign = 1.0 if ascending else -1.0

    def key(record: RunRecord) -> tuple[int, float]:
        # Called once per run (10,000 in a big listing): the final record's own
        # metrics without a method call, and plain type checks instead of isinstance.
        values = (
            record.metrics
            if record.status in FINAL_STATUSES and record.metrics
            else store.current_metrics(record)
        )
        value = values.get(name)
        if value.__class__ not in (int, float) or value != value:  # bools, None, NaN
            return (1, 0.0)  # runs without the metric go last either way
        return (0, sign * value)

    return key


def _last_metrics(store: RunStore, record: RunRecord) -> dict[str, Any]:
    if record.status in FINAL_STATUSES and record.metrics:
        return record.metrics
    return store.current_metrics(record)


def filter_runs(
    store: RunStore,
    records: list[RunRecord],
    *,
    experiment: str | None = None,
    estimator: str | None = None,
    tags: list[str] | tuple[str, ...] = (),
    status: str | None = None,
    sort: str | None = None,
    ascending: bool = False,
    where: str | None = None,
    params_of: Callable[[RunRecord], dict[str, Any]] | None = None,
    select_where: Selector | None = None,
) -> list[RunRecord]:
    """The runs `harness runs list` and the dashboard show: filtered, live status
    reconciled, optionally sorted by a metric's final value (newest first otherwise).
    A status that is not one of the five is refused (``harness.inputs``), here, for
    every surface.

    ``where`` is an MLflow filter expression (``harness.sdk.search``); it reads the
    runs' flattened params through ``params_of`` (the dashboard keeps them in
    memory; by default each record's own params, flattened). ``select_where``, if
    given, selects with the same expression faster (the dashboard's columns,
    ``harness.ui.runcolumns``), asking the per-run predicate it is handed for the
    runs it does not hold."""
    wanted = inputs.status_filter(status) if status else None
    if experiment:
        records = [r for r in records if r.experiment == experiment]
    if estimator:
        records = [r for r in records if r.estimator == estimator]
    for key, value in _tag_filter(list(tags)):
        records = [r for r in records if key in r.tags and (value is None or r.tags[key] == value)]
    # `r.status in FINAL_STATUSES`, not the property: this loop sees every run.
    records = [r if r.status in FINAL_STATUSES else reconcile(store, r) for r in records]
    if wanted is not None:
        records = [r for r in records if r.status == wanted]
    if where:
        from harness.run.record import flatten
        from harness.sdk.search import parse_filter

        predicate = parse_filter(where)
        flat = params_of or (lambda record: flatten(record.params))

        def matches(record: RunRecord) -> bool:
            return predicate(record, flat(record), _last_metrics(store, record))

        if select_where is not None:
            records = select_where(where, records, matches)
        else:
            records = [r for r in records if matches(r)]
    if sort:
        records.sort(key=_metric_key(store, sort, ascending))
    return records


def find_runs(
    store: RunStore, *, status: str | None = None, **filters: Any
) -> tuple[list[RunRecord], list[Damaged]]:
    """``harness runs list``'s selection (``filter_runs``'s filters, ``status``
    checked first): the records, and the problems (damaged records) met on the way,
    for the caller to report."""
    from harness.run.index import summaries

    if status:
        inputs.status_filter(status)  # before the listing's work
    records, problems = summaries(store.root)
    if filters.get("where") and "param" in filters["where"].lower():
        # the summary cache leaves params out; a filter on them reads each record
        filters["params_of"] = lambda record: _full_params(store, record)
    return filter_runs(store, records, status=status, **filters), problems


def _full_params(store: RunStore, record: RunRecord) -> dict[str, Any]:
    from harness.errors import DamagedRecordError
    from harness.run.record import flatten

    try:
        return flatten(store.get(record.id).params)
    except (DamagedRecordError, NotFoundError):
        return {}


def list_runs(
    experiment: str | None = None,
    status: str | None = None,
    estimator: str | None = None,
    tags: list[str] | tuple[str, ...] | dict[str, Any] = (),
    sort: str | None = None,
    ascending: bool = False,
    limit: int | None = None,
    workspace: Any = None,
    filter: str | None = None,  # noqa: A002  # MLflow's search_runs name
) -> list[Any]:
    """Run handles, newest first (``harness runs list``): only ``experiment``,
    ``status``, ``estimator``, ``tags`` (``KEY``/``KEY=VALUE`` strings, or a dict);
    ``sort`` by a metric's final value (largest first unless ``ascending``);
    at most ``limit``; ``filter``, an MLflow filter expression
    (``"metrics.accuracy > 0.9 and params.lr < 0.01"``). Damaged records are
    skipped with a warning."""
    from harness.errors import warn
    from harness.sdk.run import Run
    from harness.sdk.workspace import Workspace

    if isinstance(tags, dict):
        tags = [f"{k}={v}" for k, v in tags.items()]
    ws = workspace if isinstance(workspace, Workspace) else Workspace(home=workspace)
    store = RunStore(ws.home)
    records, problems = find_runs(
        store,
        experiment=experiment,
        estimator=estimator,
        tags=list(tags),
        status=status,
        sort=sort,
        ascending=ascending,
        where=filter,
    )
    for problem in problems:
        warn(str(problem))
    if limit:
        records = records[:limit]
    return [Run(None, r.id, workspace=ws) for r in records]
