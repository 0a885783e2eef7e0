"""The JSON API: the same objects as the CLI's ``--format json``, by the same code.

Runs (``api_runs``): /api/runs, /api/runs/{id}, …/metrics[/{name}], …/series,
…/models, …/files/{path}, …/preview/{path}, /api/compare?ids=…. Actions
(``actions``; token + CSRF): POST /api/runs/{id}/cancel|tags|register|rerun,
/api/models/{name}/aliases. Here: /api/sweeps[/{id}], /api/models[/{name}[/{version}
[/files/{path}]]], /api/datastores[/{name}], /api/environments, /api/bench[/{id}],
/api/session. Live: server-sent events (``harness.ui.events``).
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from harness.errors import DamagedRecordError, NotFoundError
from harness.sdk.model import list_models as model_items
from harness.sdk.model import model_json, model_list_item
from harness.sdk.sweep_listing import list_sweeps as sweep_items
from harness.sdk.sweep_listing import sweep_summary
from harness.ui import actions, api_runs
from harness.ui.api_runs import _send
from harness.ui.common import json_response, state
from harness.ui.files import FILE_CSP
from harness.ui.ids import BadId, check_id, inside
from harness.ui.preview import HEAD_BYTES, preview
from harness.ui.state import State


# -- sweeps, models, datastores, bench ------------------------------------------------
async def list_sweeps(request: Request) -> Response:
    # The CLI's list: a damaged sweep is an item with "damaged": true.
    return json_response(await run_in_threadpool(sweep_items, state(request).home))


def sweep_detail(st: State, sweep_id: str) -> dict[str, Any]:
    check_id("sweep id", sweep_id)
    if not (st.sweeps.root / sweep_id).is_dir():
        raise NotFoundError(f"no sweep '{sweep_id}'")
    return sweep_summary(st.home, sweep_id)


async def get_sweep(request: Request) -> Response:
    sweep_id = request.path_params["sweep_id"]
    return json_response(await run_in_threadpool(sweep_detail, state(request), sweep_id))


async def list_models(request: Request) -> Response:
    # The CLI's list: a damaged version is an item with "damaged": true.
    return json_response(await run_in_threadpool(model_items, None, state(request).home))


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
    return _send(request, path)


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


async def datastore_file(request: Request) -> Response:
    """``GET /api/datastores/{name}/file?path=KEY[&download=1]`` and
    ``…/preview?path=KEY``: only a key the datastore lists, read through the
    datastore itself (any fsspec store), never a path built from the URL."""
    from harness.contract.datastore import get_datastore
    from harness.datastore.settings import configured

    name = check_id("datastore name", request.path_params["name"])
    if name not in configured()[1]:
        raise NotFoundError(f"no datastore '{name}'")
    key = request.query_params.get("path", "")
    store = get_datastore(name)
    listed = await run_in_threadpool(store.list, key)
    entry = next((f for f in listed if f.get("path") == key), None)
    if entry is None:
        raise NotFoundError(f"datastore {name} has no file '{key}'")
    size = int(entry.get("size") or 0)
    url = f"/api/datastores/{name}/file?path={quote(key)}"
    if request.url.path.endswith("/preview"):

        def head() -> bytes:
            with store.open_read(key) as handle:
                return handle.read(HEAD_BYTES)

        data = preview(key, await run_in_threadpool(head), size, url)
        data["download"] = url + "&download=1"
        if data["kind"] == "html":
            data["sandbox_url"] = url + "&view=sandbox"
        return json_response(data)
    local = store.local_path(key)
    if local is not None:
        return _send(request, Path(local))
    with store.open_read(key) as handle:  # a remote store: small files only here
        body = handle.read()
    return Response(
        body,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{quote(PurePosixPath(key).name)}"',
            "Content-Security-Policy": FILE_CSP,
        },
    )


async def list_environments(request: Request) -> Response:
    from harness.ui.environments import built_environments

    return json_response(await run_in_threadpool(built_environments, state(request)))


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
    *api_runs.ROUTES,
    *actions.ROUTES,
    Route("/api/sweeps", list_sweeps),
    Route("/api/sweeps/{sweep_id}", get_sweep),
    Route("/api/models", list_models),
    Route("/api/models/{name}", get_model),
    Route("/api/models/{name}/{version:int}", get_model_version),
    Route("/api/models/{name}/{version:int}/files/{path:path}", model_file),
    Route("/api/datastores", list_datastores),
    Route("/api/datastores/{name}", datastore_files),
    Route("/api/datastores/{name}/file", datastore_file),
    Route("/api/datastores/{name}/preview", datastore_file),
    Route("/api/environments", list_environments),
    Route("/api/bench", list_bench),
    Route("/api/bench/{bench_id}", get_bench),
]
