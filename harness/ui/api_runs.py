"""The runs API: the list (filters, expression, columns, sort), one run, its
metrics and curves, its files and their previews, compare."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.errors import DamagedRecordError, NotFoundError
from harness.run import metrics
from harness.run.liveness import reconcile
from harness.run.record import FINAL_STATUSES
from harness.sdk import listing
from harness.sdk import run as run_api
from harness.sdk.model import model_json
from harness.sdk.search import ATTRIBUTES
from harness.ui.columns import parse_column, parse_columns, reader, sort_by
from harness.ui.common import float_param, int_param, json_response, state
from harness.ui.files import resolve_in, send_file
from harness.ui.ids import BadId, check_id
from harness.ui.preview import HEAD_BYTES, preview
from harness.ui.series import DEFAULT_POINTS, MAX_POINTS, RunCurves, view
from harness.ui.state import State

#: Rows per page unless ?limit= says otherwise (the table shows 50).
PAGE = 50
MAX_PAGE = 1000
#: The only folders of a run whose files the dashboard serves.
RUN_FILE_ROOTS = ("outputs", "logs")


# -- runs ------------------------------------------------------------------------
def _metrics_of(st: State) -> Any:
    def metrics_of(record: Any) -> dict[str, Any]:
        # a final record's own metrics: no file read for 100,000 finished runs
        if record.status in FINAL_STATUSES and record.metrics:
            return record.metrics
        return st.runs.current_metrics(record)

    return metrics_of


def runs_page(st: State, params: dict[str, Any]) -> dict[str, Any]:
    """One page of the runs list: the shared filters of `harness runs list`, a
    free-text search over ids, tags and params, an MLflow filter expression, a sort
    by any column, the values of the chosen columns, facets for the menus."""
    entries, damaged = st.index.refresh()
    generation = st.index.generation  # what this page shows; the live list starts here
    records = [r for r, _ in entries]
    words = str(params.get("q") or "").lower().split()
    if words:
        records = [r for r, text in entries if all(w in text for w in words)]
    if params.get("sweep"):
        records = [r for r in records if r.sweep_id == params["sweep"]]
    sort = params.get("sort") or None
    column_sort = parse_column(sort) if sort and _is_column(sort) else None
    records = listing.filter_runs(
        st.runs,
        records,
        experiment=params.get("experiment") or None,
        estimator=params.get("estimator") or None,
        tags=params.get("tags") or (),
        status=params.get("status") or None,
        sort=None if column_sort else sort,
        ascending=bool(params.get("asc")),
        where=params.get("filter") or None,
        params_of=st.index.params,
        select_where=st.filter_columns.select,
    )
    metrics_of = _metrics_of(st)
    if column_sort is not None:
        read = reader(column_sort, st.index.params, metrics_of, st.metric_stats)
        records = sort_by(records, read, bool(params.get("asc")))
    offset, limit = params.get("offset", 0), params.get("limit", PAGE)
    page = records[offset : offset + limit]
    columns = params.get("columns") or []
    readers = {c.spec: reader(c, st.index.params, metrics_of, st.metric_stats) for c in columns}
    answer = {
        "total": len(records),
        "offset": offset,
        "limit": limit,
        "runs": [run_api.summary_json(st.runs, r) for r in page],
        "values": {r.id: {spec: read(r) for spec, read in readers.items()} for r in page},
        "damaged": [d.to_json() for d in damaged],
        "generation": generation,
    }
    if params.get("facets", True):
        answer["facets"] = st.index.facets()
    return answer


def _is_column(sort: str) -> bool:
    """A column spec (``metrics.x``, ``params.y``, ``created``…) rather than the bare
    metric name `harness runs list --sort` takes."""
    return sort in ATTRIBUTES or sort.split(".", 1)[0] in (
        "metrics",
        "params",
        "tags",
        "attributes",
    )


async def list_runs(request: Request) -> Response:
    q = request.query_params
    params = {
        "q": q.get("q"),
        "experiment": q.get("experiment"),
        "estimator": q.get("estimator"),
        "status": q.get("status"),
        "sweep": q.get("sweep"),
        "tags": q.getlist("tag"),
        "sort": q.get("sort"),
        "asc": q.get("asc") in ("1", "true", "yes"),
        "filter": q.get("filter"),
        "columns": parse_columns(q.get("columns")),
        "facets": q.get("facets") != "0",
        "offset": int_param(request, "offset", 0, 0, 10**9),
        "limit": int_param(request, "limit", PAGE, 1, MAX_PAGE),
    }
    return json_response(await run_in_threadpool(runs_page, state(request), params))


def run_folder(st: State, run_id: str) -> Path:
    """The folder of exactly this run (never a prefix match), or a 404."""
    check_id("run id", run_id)
    folder = st.runs.root / run_id
    if not folder.is_dir():
        raise NotFoundError(f"no run '{run_id}'")
    return folder


def _run(st: State, run_id: str) -> Any:
    run_folder(st, run_id)
    try:
        return st.runs.get(run_id)
    except DamagedRecordError as exc:  # an action on a damaged record: 409, named
        raise DamagedRecordError(f"run {run_id}: unreadable run record ({exc})") from None


def run_detail(st: State, run_id: str, history: bool = True) -> dict[str, Any]:
    run_folder(st, run_id)
    try:
        record = reconcile(st.runs, st.runs.get(run_id))
    except DamagedRecordError as exc:  # damaged: say so, keep the files
        return {
            "id": run_id,
            "status": "Damaged",
            "damaged": True,
            "error": f"unreadable run record ({exc})",
        }
    return run_api.detail_json(st.runs, record, history=history)


async def get_run(request: Request) -> Response:
    run_id = request.path_params["run_id"]
    history = request.query_params.get("history") != "0"
    return json_response(await run_in_threadpool(run_detail, state(request), run_id, history))


def series_json(curves: RunCurves, points: int, x: str = "step") -> dict[str, Any]:
    """Every scalar curve of a run, downsampled, and its other entries whole."""
    with curves.lock:
        return {
            "metrics": {name: view(c, points, x) for name, c in sorted(curves.curves.items())},
            "entries": {name: list(points) for name, points in curves.entries.items()},
        }


async def run_series(request: Request) -> Response:
    """``GET /api/runs/{id}/series[?name=&x=step|time&xmin=&xmax=&points=]``: the
    run's curves for charts (see ``harness.ui.series``)."""
    st = state(request)
    folder = run_folder(st, request.path_params["run_id"])
    points = int_param(request, "points", DEFAULT_POINTS, 10, MAX_POINTS)
    x = request.query_params.get("x", "step")
    if x not in ("step", "time"):
        raise BadId("?x= is step or time")
    curves = await run_in_threadpool(st.curves.get, folder)
    name = request.query_params.get("name")
    if name is None:
        return json_response(await run_in_threadpool(series_json, curves, points, x))
    if name not in curves.curves:
        raise NotFoundError(f"run {folder.name} has no numeric metric '{name}'")
    low, high = float_param(request, "xmin"), float_param(request, "xmax")
    with curves.lock:
        data = view(curves.curves[name], points, x, low, high)
    return json_response(data)


async def get_metrics(request: Request) -> Response:
    st = state(request)
    run_id = request.path_params["run_id"]
    history = await run_in_threadpool(metrics.history, run_folder(st, run_id))
    name = request.path_params.get("name")
    if name is not None:
        if name not in history:
            raise NotFoundError(f"run {run_id} has no metric '{name}'")
        return json_response(history[name])
    return json_response(history)


async def run_models(request: Request) -> Response:
    st = state(request)
    run_id = check_id("run id", request.path_params["run_id"])
    found = [
        model_json(v)
        for name in st.models.names()
        for v in st.models.versions(name)
        if v.run_id == run_id
    ]
    return json_response(found)


def _send(request: Request, path: Path) -> Response:
    query = request.query_params
    return send_file(
        path, download=query.get("download") == "1", sandbox_view=query.get("view") == "sandbox"
    )


def _file_url(request: Request) -> str:
    return request.url.path.replace("/preview/", "/files/", 1)


def _preview_of(path: Path, name: str, url: str) -> dict[str, Any]:
    if not path.is_file():
        raise NotFoundError(f"no file '{name}'")
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    return preview(name, head, path.stat().st_size, url)


async def run_preview(request: Request) -> Response:
    """``GET /api/runs/{id}/preview/{outputs/…|logs/…}``: the file as the page shows it."""
    st = state(request)
    run_id = check_id("run id", request.path_params["run_id"])
    relative = request.path_params["path"]
    path = resolve_in(run_folder(st, run_id), relative, RUN_FILE_ROOTS)
    data = await run_in_threadpool(_preview_of, path, relative, _file_url(request))
    return json_response(data)


async def run_file(request: Request) -> Response:
    st = state(request)
    run_id = check_id("run id", request.path_params["run_id"])
    path = resolve_in(run_folder(st, run_id), request.path_params["path"], RUN_FILE_ROOTS)
    return _send(request, path)


#: Runs one compare shows at most.
MAX_COMPARE = 50


def _compare_extra(st: State, ids: list[str], points: int) -> dict[str, Any]:
    """Per run: its curves (downsampled) and its params flattened, for the charts,
    the scatter and the parallel coordinates."""
    series, params = {}, {}
    for run_id in ids:
        curves = st.curves.get(st.runs.root / run_id)
        series[run_id] = series_json(curves, points)["metrics"]
        params[run_id] = st.index.params(st.runs.get(run_id))
    return {"series": series, "all_params": params}


async def compare(request: Request) -> Response:
    """``harness runs compare A B … --format json`` plus each run's ``history``, or,
    with ``?points=N``, its downsampled curves (``series``) and all its params
    (``all_params``) instead (``?history=0`` leaves the history out)."""
    from harness.sdk.compare import compare_json

    ids = [i for i in request.query_params.get("ids", "").split(",") if i]
    if len(ids) < 2:
        raise BadId("compare needs ?ids=RUN,RUN[,…]: two or more run ids")
    if len(ids) > MAX_COMPARE:
        raise BadId(f"compare takes at most {MAX_COMPARE} runs, not {len(ids)}")
    st = state(request)
    for run_id in ids:
        _run(st, run_id)
    data = await run_in_threadpool(compare_json, st.runs, ids)
    if request.query_params.get("history") != "0":
        data["history"] = {
            run_id: await run_in_threadpool(metrics.history, st.runs.root / run_id)
            for run_id in ids
        }
    if request.query_params.get("points"):
        points = int_param(request, "points", DEFAULT_POINTS, 10, MAX_POINTS)
        data.update(await run_in_threadpool(_compare_extra, st, ids, points))
    return json_response(data)


ROUTES = [
    Route("/api/runs", list_runs),
    Route("/api/runs/{run_id}", get_run),
    Route("/api/runs/{run_id}/metrics", get_metrics),
    Route("/api/runs/{run_id}/metrics/{name}", get_metrics),
    Route("/api/runs/{run_id}/models", run_models),
    Route("/api/runs/{run_id}/series", run_series),
    Route("/api/runs/{run_id}/files/{path:path}", run_file),
    Route("/api/runs/{run_id}/preview/{path:path}", run_preview),
    Route("/api/compare", compare),
]
