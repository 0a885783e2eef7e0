"""The dashboard's services: the JSON of `harness services list|show --format json`.

Reads: /api/services, /api/services/{name}, /api/services/{name}/logs?tail=N.
Action (token + CSRF, as every POST): /api/services/{name}/stop. The objects come
from ``harness.sdk.service``, the code the CLI prints with.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.ids import check_service_name
from harness.ui.common import int_param, json_response

#: Log lines the page shows unless ?tail= says otherwise.
TAIL = 200


def _name(request: Request) -> str:
    return check_service_name(request.path_params["name"])


async def list_services(request: Request) -> Response:
    from harness.sdk.service import list_services as listing

    home = request.app.state.harness.home
    return json_response(await run_in_threadpool(listing, home))


async def get_service(request: Request) -> Response:
    from harness.sdk.service import Webservice

    home, name = request.app.state.harness.home, _name(request)
    return json_response(await run_in_threadpool(lambda: Webservice(name, home).serialize()))


async def service_logs(request: Request) -> Response:
    from harness.sdk.service import Webservice

    home, name = request.app.state.harness.home, _name(request)
    tail = int_param(request, "tail", TAIL, 1, 20_000)
    text = await run_in_threadpool(lambda: Webservice(name, home).get_logs(tail))
    return json_response({"name": name, "tail": tail, "text": text})


async def stop_service(request: Request) -> Response:
    from harness.sdk.service import Webservice

    home, name = request.app.state.harness.home, _name(request)

    def stop() -> dict[str, object]:
        service = Webservice(name, home)
        service.stop()
        return service.serialize()

    return json_response(await run_in_threadpool(stop))


ROUTES = [
    Route("/api/services", list_services),
    Route("/api/services/{name}", get_service),
    Route("/api/services/{name}/logs", service_logs),
    Route("/api/services/{name}/stop", stop_service, methods=["POST"]),
]
