"""The actions (each needs the token and the CSRF header, checked by the app's
guard): cancel, tag, register, and the same objects back as the CLI's."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.sdk import run as run_api
from harness.sdk.model import model_json
from harness.ui.api_runs import RUN_FILE_ROOTS, _run
from harness.ui.common import json_body, json_response, state
from harness.ui.files import safe_relative
from harness.ui.ids import BadId, check_id, inside


async def cancel_run(request: Request) -> Response:
    from harness.sdk.run import cancel_run as cancel

    st = state(request)
    run_id = check_id("run id", request.path_params["run_id"])
    # The one cancel of the harness; the page follows the run to its final status.
    record, signalled = await run_in_threadpool(
        lambda: cancel(st.runs, run_id, wait=False, start_grace_s=2.0)
    )
    return json_response({"id": record.id, "status": record.status, "signalled": signalled})


async def tag_run(request: Request) -> Response:
    st = state(request)
    run_id = check_id("run id", request.path_params["run_id"])
    tags = (await json_body(request)).get("tags")
    if not isinstance(tags, dict) or not tags or not all(isinstance(k, str) and k for k in tags):
        raise BadId('give {"tags": {"KEY": "VALUE", …}}')
    _run(st, run_id)
    record = await run_in_threadpool(st.runs.set_tags, run_id, tags)
    return json_response(run_api.summary_json(st.runs, record))


async def register_model(request: Request) -> Response:
    from harness.storage.model_registry import check_name

    st = state(request)
    run_id = check_id("run id", request.path_params["run_id"])
    body = await json_body(request)
    name, path = body.get("name"), body.get("path")
    if not isinstance(name, str) or not isinstance(path, str):
        raise BadId('give {"name": MODEL_NAME, "path": "outputs/FILE"}')
    check_name(name)
    top, rest = safe_relative(path, RUN_FILE_ROOTS)
    if top != "outputs":
        raise BadId("register a file or folder under outputs/")
    path = f"{top}/{rest}"  # the normalised form is what the registry records
    record = _run(st, run_id)
    inside(record.path / top, rest)
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


async def rerun(request: Request) -> Response:
    """As ``harness runs rerun`` (``Run.rerun()``): the recorded config again, in the
    recorded environment; answers the new run's list item."""
    from harness.sdk.workspace import Workspace

    st = state(request)
    run_id = check_id("run id", request.path_params["run_id"])
    _run(st, run_id)

    def start() -> dict[str, object]:
        new = run_api.Run(None, run_id, workspace=Workspace(home=st.home)).rerun()
        return run_api.summary_json(st.runs, st.runs.get(new.id))

    return json_response(await run_in_threadpool(start))


async def set_alias(request: Request) -> Response:
    """``{"alias", "version"}`` points the alias at a version (``harness models
    alias``); ``{"alias", "version": null}`` removes it. Answers the model's entry."""
    from harness.sdk.model import model_list_item

    st = state(request)
    name = check_id("model name", request.path_params["name"])
    body = await json_body(request)
    alias, version = body.get("alias"), body.get("version")
    if not isinstance(alias, str) or not (version is None or isinstance(version, int)):
        raise BadId('give {"alias": NAME, "version": N} (or "version": null to remove it)')
    if version is None:
        await run_in_threadpool(st.models.remove_alias, name, alias)
    else:
        await run_in_threadpool(st.models.set_alias, name, version, alias)
    return json_response(model_list_item(st.models, name))


ROUTES = [
    Route("/api/runs/{run_id}/rerun", rerun, methods=["POST"]),
    Route("/api/models/{name}/aliases", set_alias, methods=["POST"]),
    Route("/api/runs/{run_id}/cancel", cancel_run, methods=["POST"]),
    Route("/api/runs/{run_id}/tags", tag_run, methods=["POST"]),
    Route("/api/runs/{run_id}/register", register_model, methods=["POST"]),
]
