"""The JSON API: the same objects as the CLI's ``--format json``, by the same code.

Reads: /api/runs, /api/runs/{id}, /api/runs/{id}/metrics[/{name}], /api/runs/{id}/models,
/api/runs/{id}/files/{path}, /api/compare?ids=…, /api/sweeps, /api/sweeps/{id},
/api/models, /api/models/{name}, /api/models/{name}/{version}[/files/{path}],
/api/datastores, /api/datastores/{name}?path=…, /api/bench, /api/bench/{id}.
Actions (token + CSRF): POST /api/runs/{id}/cancel, /api/runs/{id}/tags,
/api/runs/{id}/register. Live: /api/runs/{id}/events, /api/sweeps/{id}/events,
/api/events/runs (server-sent events, see ``harness.ui.events``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from harness.errors import DamagedRecordError, NotFoundError
from harness.run import metrics
from harness.run.liveness import reconcile
from harness.sdk import listing
from harness.sdk import run as run_api
from harness.sdk.model import model_json, model_list_item
from harness.sdk.sweep import sweep_item, sweep_summary
from harness.ui.ids import BadId, check_id, inside
from harness.ui.state import State

#: Rows per page unless ?limit= says otherwise (the table shows 50).
PAGE = 50
MAX_PAGE = 1000


def json_response(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, default=str, allow_nan=True)
    return Response(body, status_code=status, media_type="application/json")


def state(request: Request) -> State:
    return request.app.state.harness


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        raise BadId(f"?{name}= must be a whole number, not {raw!r}") from None
    return max(low, min(high, value))


# -- runs ------------------------------------------------------------------------
def runs_page(st: State, params: dict[str, Any]) -> dict[str, Any]:
    """One page of the runs list: the shared filters of `harness runs list`, a
    free-text search over ids, tags and params, facets for the filter menus."""
    entries, damaged = st.index.refresh()
    generation = st.index.generation  # what this page shows; the live list starts here
    records = [r for r, _ in entries]
    words = str(params.get("q") or "").lower().split()
    if words:
        records = [r for r, text in entries if all(w in text for w in words)]
    if params.get("sweep"):
        records = [r for r in records if r.sweep_id == params["sweep"]]
    records = listing.filter_runs(
        st.runs,
        records,
        experiment=params.get("experiment") or None,
        estimator=params.get("estimator") or None,
        tags=params.get("tags") or (),
        status=params.get("status") or None,
        sort=params.get("sort") or None,
        ascending=bool(params.get("asc")),
    )
    offset, limit = params.get("offset", 0), params.get("limit", PAGE)
    page = records[offset : offset + limit]
    return {
        "total": len(records),
        "offset": offset,
        "limit": limit,
        "runs": [run_api.summary_json(st.runs, r) for r in page],
        "damaged": [d.to_json() for d in damaged],
        "facets": st.index.facets(),
        "generation": generation,
    }


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
        "offset": _int(request, "offset", 0, 0, 10**9),
        "limit": _int(request, "limit", PAGE, 1, MAX_PAGE),
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


def run_detail(st: State, run_id: str) -> dict[str, Any]:
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
    return run_api.detail_json(st.runs, record)


async def get_run(request: Request) -> Response:
    run_id = request.path_params["run_id"]
    return json_response(await run_in_threadpool(run_detail, state(request), run_id))


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


def _send_file(path: Path, download: bool) -> Response:
    if not path.is_file():
        raise NotFoundError(f"no file '{path.name}'")
    return FileResponse(
        path,
        filename=path.name if download else None,
        content_disposition_type="attachment" if download else "inline",
    )


async def run_file(request: Request) -> Response:
    st = state(request)
    run_id = check_id("run id", request.path_params["run_id"])
    relative = request.path_params["path"]
    if relative.split("/", 1)[0] not in ("outputs", "logs"):
        raise BadId("only files under outputs/ and logs/ can be read")
    path = inside(run_folder(st, run_id), relative)
    return _send_file(path, request.query_params.get("download") == "1")


async def compare(request: Request) -> Response:
    from harness.sdk.compare import compare_json

    ids = [i for i in request.query_params.get("ids", "").split(",") if i]
    if len(ids) < 2:
        raise BadId("compare needs ?ids=RUN,RUN[,…]: two or more run ids")
    st = state(request)
    for run_id in ids:
        _run(st, run_id)
    data = await run_in_threadpool(compare_json, st.runs, ids)
    data["history"] = {
        run_id: await run_in_threadpool(metrics.history, st.runs.root / run_id) for run_id in ids
    }
    return json_response(data)


# -- actions (token + CSRF, checked by the app) -----------------------------------------
async def cancel_run(request: Request) -> Response:
    from harness.sdk.run import cancel_run as cancel

    st = state(request)
    run_id = check_id("run id", request.path_params["run_id"])
    # The one cancel of the harness; the page follows the run to its final status.
    record, signalled = await run_in_threadpool(
        lambda: cancel(st.runs, run_id, wait=False, start_grace_s=2.0)
    )
    return json_response({"id": record.id, "status": record.status, "signalled": signalled})


#: Bytes an action's JSON body may have (a tag, a model's name and path): 1 MiB.
MAX_BODY = 1 << 20


async def _body(request: Request) -> dict[str, Any]:
    size = request.headers.get("content-length", "")
    if not size.isdigit() or int(size) > MAX_BODY:
        raise BadId(f"the request body must be a JSON object of at most {MAX_BODY} bytes")
    try:
        data = await request.json()
    except ValueError:
        raise BadId("the request body must be a JSON object") from None
    if not isinstance(data, dict):
        raise BadId("the request body must be a JSON object")
    return data


async def tag_run(request: Request) -> Response:
    st = state(request)
    run_id = check_id("run id", request.path_params["run_id"])
    tags = (await _body(request)).get("tags")
    if not isinstance(tags, dict) or not tags or not all(isinstance(k, str) and k for k in tags):
        raise BadId('give {"tags": {"KEY": "VALUE", …}}')
    _run(st, run_id)
    record = await run_in_threadpool(st.runs.set_tags, run_id, tags)
    return json_response(run_api.summary_json(st.runs, record))


async def register_model(request: Request) -> Response:
    from harness.storage.model_registry import check_name

    st = state(request)
    run_id = check_id("run id", request.path_params["run_id"])
    body = await _body(request)
    name, path = body.get("name"), body.get("path")
    if not isinstance(name, str) or not isinstance(path, str):
        raise BadId('give {"name": MODEL_NAME, "path": "outputs/FILE"}')
    check_name(name)
    if not path.startswith("outputs/"):
        raise BadId("register a file or folder under outputs/")
    record = _run(st, run_id)
    inside(record.path, path)
    entry = await run_in_threadpool(
        lambda: st.models.register(
            name,
            record,
            path,
            metrics=st.runs.current_metrics(record),
            description=str(body.get("description") or ""),
        )
    )
    return json_response(model_json(entry))


# -- sweeps, models, datastores, bench ------------------------------------------------
async def list_sweeps(request: Request) -> Response:
    st = state(request)
    return json_response(
        await run_in_threadpool(lambda: [sweep_item(st.sweeps, s) for s in st.sweeps.list()])
    )


def sweep_detail(st: State, sweep_id: str) -> dict[str, Any]:
    check_id("sweep id", sweep_id)
    if not (st.sweeps.root / sweep_id).is_dir():
        raise NotFoundError(f"no sweep '{sweep_id}'")
    return sweep_summary(st.home, sweep_id)


async def get_sweep(request: Request) -> Response:
    sweep_id = request.path_params["sweep_id"]
    return json_response(await run_in_threadpool(sweep_detail, state(request), sweep_id))


async def list_models(request: Request) -> Response:
    reg = state(request).models
    return json_response([model_list_item(reg, n) for n in reg.names()])


def _model_name(st: State, request: Request) -> str:
    name = check_id("model name", request.path_params["name"])
    if name not in st.models.names():
        raise NotFoundError(f"no model '{name}'")
    return name


async def get_model(request: Request) -> Response:
    st = state(request)
    return json_response(model_list_item(st.models, _model_name(st, request)))


async def get_model_version(request: Request) -> Response:
    st = state(request)
    name = _model_name(st, request)
    version = request.path_params["version"]
    return json_response(model_json(st.models.get(f"{name}:{version}")))


async def model_file(request: Request) -> Response:
    st = state(request)
    name = _model_name(st, request)
    entry = st.models.get(f"{name}:{request.path_params['version']}")
    relative = request.path_params["path"]
    if relative not in entry.files:
        raise NotFoundError(f"model {name}:{entry.version} has no file '{relative}'")
    path = inside(Path(entry.path) / "files", relative)
    return _send_file(path, request.query_params.get("download") == "1")


async def list_datastores(request: Request) -> Response:
    from harness.sdk.datastore import list_datastores as datastore_items

    return json_response(await run_in_threadpool(datastore_items))


async def datastore_files(request: Request) -> Response:
    from harness.contract.datastore import get_datastore
    from harness.datastore.settings import configured

    name = check_id("datastore name", request.path_params["name"])
    if name not in configured()[1]:
        raise NotFoundError(f"no datastore '{name}'")
    prefix = request.query_params.get("path", "")
    if prefix.startswith("/") or ".." in prefix.split("/"):
        raise BadId(f"not a path inside the datastore: {prefix!r}")
    store = get_datastore(name)
    return json_response(await run_in_threadpool(store.list, prefix))


def _bench_docs(root: Path) -> list[dict[str, Any]]:
    docs = []
    if root.is_dir():
        for folder in sorted(root.iterdir(), reverse=True):
            try:
                doc = json.loads((folder / "results.json").read_text(encoding="utf-8"))
                docs.append(
                    {k: v for k, v in doc.items() if k != "cells"} | {"cells": len(doc["cells"])}
                )
            except (OSError, ValueError, KeyError, TypeError):
                continue
    return docs


async def list_bench(request: Request) -> Response:
    st = state(request)
    return json_response(await run_in_threadpool(_bench_docs, st.home / "bench"))


async def get_bench(request: Request) -> Response:
    st = state(request)
    bench_id = check_id("bench id", request.path_params["bench_id"])
    path = st.home / "bench" / bench_id / "results.json"
    if not path.is_file():
        raise NotFoundError(f"no bench results '{bench_id}'")
    try:
        return json_response(json.loads(path.read_text(encoding="utf-8")))
    except ValueError as exc:
        raise DamagedRecordError(f"bench {bench_id}: results.json is damaged ({exc})") from None


async def session(request: Request) -> Response:
    policy = request.app.state.policy
    authed = policy.authenticated(request)
    return JSONResponse(
        {
            "home": str(state(request).home),
            "authenticated": authed,
            "csrf": policy.csrf if authed else None,
        }
    )


ROUTES = [
    Route("/api/session", session),
    Route("/api/runs", list_runs),
    Route("/api/runs/{run_id}", get_run),
    Route("/api/runs/{run_id}/metrics", get_metrics),
    Route("/api/runs/{run_id}/metrics/{name}", get_metrics),
    Route("/api/runs/{run_id}/models", run_models),
    Route("/api/runs/{run_id}/files/{path:path}", run_file),
    Route("/api/runs/{run_id}/cancel", cancel_run, methods=["POST"]),
    Route("/api/runs/{run_id}/tags", tag_run, methods=["POST"]),
    Route("/api/runs/{run_id}/register", register_model, methods=["POST"]),
    Route("/api/compare", compare),
    Route("/api/sweeps", list_sweeps),
    Route("/api/sweeps/{sweep_id}", get_sweep),
    Route("/api/models", list_models),
    Route("/api/models/{name}", get_model),
    Route("/api/models/{name}/{version:int}", get_model_version),
    Route("/api/models/{name}/{version:int}/files/{path:path}", model_file),
    Route("/api/datastores", list_datastores),
    Route("/api/datastores/{name}", datastore_files),
    Route("/api/bench", list_bench),
    Route("/api/bench/{bench_id}", get_bench),
]
