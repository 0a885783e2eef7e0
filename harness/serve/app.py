"""The Starlette app each worker process of a service runs.

Routes: ``GET /``, ``/ping``, ``/health`` (health: ``Healthy``), ``POST /score``
(v1: the body goes to ``run(raw_data)`` as a string; the return value, as JSON, is
the answer), ``POST /invocations`` (MLflow's request shapes, ``{"predictions": ...}``
back), ``GET /swagger.json`` (when score.py declares schemas).

Errors are one-line JSON objects, ``{"error": "..."}``: 400 for a body that is not
JSON or not a known shape, 401 without the token (a service bound to another
host than loopback), 413 over the body limit, 500 when ``run()``/``predict`` raises
(its traceback goes to the service's log and the service keeps serving).

``create_app`` is a factory that uvicorn calls in each worker (``HARNESS_SERVICE_DIR``
names the service); the model is loaded in the lifespan's startup, once per
worker, and a failure there records the service ``Failed`` with its line.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.hosts import LOOPBACK_NAMES
from harness.serve import inputs, scoring
from harness.serve.stats import Counter
from harness.serve.store import FAILED, STATS_DIR, ServiceRecord, ServiceStore, now_iso, read_token

#: The environment variable naming the service's folder in its processes.
SERVICE_DIR_ENV = "HARNESS_SERVICE_DIR"
HEALTH_PATHS = ("/", "/ping", "/health")

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


def _json(value: Any, status: int = 200) -> Response:
    return Response(inputs.to_json(value), status_code=status, media_type="application/json")


def _error(message: str, status: int) -> Response:
    return _json({"error": message}, status)


class TooLarge(Exception):
    pass


async def _body(request: Request, limit: int) -> bytes:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> Response:
    return _error(f"request body over the service's limit of {limit} bytes", 413)


def _failure(exc: BaseException) -> Response:
    traceback.print_exc()  # the whole story goes to the service's log
    return _error(scoring.one_line(exc), 500)


async def health(request: Request) -> Response:
    return Response("Healthy", media_type="text/plain")


async def _answer(request: Request, handle: Callable[[Service, bytes], Response]) -> Response:
    """Read the body (within the service's limit) and answer it with ``handle``; a
    body over the limit is 413, bad input 400, and whatever else the model raises
    500 with its one line (the service keeps serving)."""
    service: Service = request.app.state.service
    try:
        return handle(service, await _body(request, service.body_limit))
    except TooLarge:
        return _too_large(service.body_limit)
    except inputs.BadInput as exc:
        return _error(str(exc), 400)
    except Exception as exc:
        return _failure(exc)


async def score(request: Request) -> Response:
    """v1's shape: the body, as text, to score.py's ``run(raw_data)``."""
    return await _answer(request, lambda service, body: _json(service.scorer.score(body)))


async def invocations(request: Request) -> Response:
    """MLflow's shapes (``dataframe_split``/``dataframe_records``/``instances``/
    ``inputs``, or CSV) as one input for the model."""
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if kind == "text/csv":
        parse: Callable[[bytes], Any] = inputs.csv_input
    elif kind in ("application/json", ""):
        parse = lambda body: inputs.mlflow_input(inputs.parse_json(body))  # noqa: E731
    else:
        return _error(
            f"content type {kind} is not supported: use application/json or text/csv", 415
        )
    return await _answer(request, lambda service, body: _json(service.scorer.invoke(parse(body))))


async def swagger(request: Request) -> Response:
    from harness.serve.swagger import document

    service: Service = request.app.state.service
    if not service.scorer.schema:
        return _error(
            "this service declares no input/output schema (v1's inference_schema "
            "decorators on run() make one)",
            404,
        )
    return _json(document(service.record, service.scorer.schema))


class Service:
    """One worker's view of its service: the record, the scorer, the counters."""

    def __init__(self, folder: Path) -> None:
        self.store = ServiceStore(folder.parent.parent)
        self.record: ServiceRecord = self.store.get(folder.name)
        self.body_limit = self.record.body_limit
        self.token = read_token(self.record) if self.record.auth else None
        self.counter = Counter(folder / STATS_DIR)
        self.scorer: Any = None

    def start(self) -> None:
        try:
            self.scorer = scoring.build(self.record)
        except scoring.StartupError as exc:
            self._fail(str(exc))
            raise
        except Exception as exc:
            traceback.print_exc()
            self._fail(f"the service could not start: {scoring.one_line(exc)}")
            raise
        self.counter.start()

    def _fail(self, line: str) -> None:
        def mark(record: ServiceRecord) -> None:
            if record.status != FAILED:  # the first worker's line wins
                record.status, record.error, record.ended = FAILED, line, now_iso()

        self.store.update(self.record.name, mark)


class Guard:
    """Pure ASGI middleware: Host check on loopback, the token, request counting."""

    def __init__(self, app: ASGIApp, service: Service, loopback: bool) -> None:
        self.app, self.service, self.loopback = app, service, loopback

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        size = 0

        async def counting_send(message: MutableMapping[str, Any]) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        refusal = self._refusal(scope)
        try:
            if refusal is not None:
                await refusal(scope, receive, counting_send)
            else:
                await self.app(scope, receive, counting_send)
        finally:
            path = scope.get("path", "")
            if path not in HEALTH_PATHS:
                self.service.counter.record(
                    scope.get("method", ""), path, status, time.perf_counter() - started, size
                )

    def _refusal(self, scope: Scope) -> Response | None:
        headers = dict(scope.get("headers") or [])
        if self.loopback:
            host = headers.get(b"host", b"").decode("latin-1")
            name = host if host.endswith("]") else host.rsplit(":", 1)[0]
            if name not in LOOPBACK_NAMES:
                return _error("unexpected Host header", 400)
        if self.service.token and scope.get("path") not in HEALTH_PATHS:
            given = headers.get(b"authorization", b"").decode("latin-1")
            scheme, _, value = given.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                value.strip().encode(), self.service.token.encode()
            ):
                return _error("this service needs its key: Authorization: Bearer <key>", 401)
        return None


def create_app() -> ASGIApp:
    """The app of one worker (uvicorn's factory; ``HARNESS_SERVICE_DIR`` names the service)."""
    from harness.hosts import is_loopback
    from harness.serve.process import die_with_parent

    die_with_parent()
    service = Service(Path(os.environ[SERVICE_DIR_ENV]))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        service.start()
        try:
            yield
        finally:
            service.counter.stop()

    app = Starlette(
        routes=[
            *(Route(path, health, methods=["GET", "HEAD"]) for path in HEALTH_PATHS),
            Route("/score", score, methods=["POST"]),
            Route("/invocations", invocations, methods=["POST"]),
            Route("/swagger.json", swagger, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.service = service
    return Guard(app, service, is_loopback(service.record.host))
