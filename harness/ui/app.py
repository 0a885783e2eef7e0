"""The Starlette application: security checks, the API, the live events, the pages."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from harness.errors import ConfigError, HarnessError, NotFoundError
from harness.ui import api, events, services_api
from harness.ui.security import COOKIE, Policy
from harness.ui.state import State

STATIC = Path(__file__).parent / "static"
SAFE_METHODS = ("GET", "HEAD")


#: The pages' own policy: scripts, styles and data from this origin only, no
#: plugins, no framing by other sites. Files a job wrote get a stricter one
#: (``files.FILE_CSP``: sandboxed, no scripts at all).
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; frame-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class Guard(BaseHTTPMiddleware):
    """Applies ``security.Policy`` to every request before it reaches a route, and
    the security headers to every answer (a refusal and an error included)."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await self._checked(request, call_next)
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response

    async def _checked(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        policy: Policy = request.app.state.policy
        if not policy.host_allowed(request):
            return JSONResponse({"error": "unexpected Host header"}, status_code=400)
        token = request.query_params.get("token")
        if token is not None and request.url.path == "/":
            if token != policy.token:
                return JSONResponse({"error": "wrong token"}, status_code=403)
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
            return response
        if request.method in SAFE_METHODS:
            if not policy.may_read(request):
                return _refuse(
                    request,
                    401,
                    "this dashboard needs its token: open the URL that `harness ui` printed "
                    "(…/?token=…)",
                )
        else:
            allowed, reason = policy.may_act(request)
            if not allowed:
                return _refuse(request, 403, reason)
        return await call_next(request)


def _refuse(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=status)
    return Response(message + "\n", status_code=status, media_type="text/plain")


async def harness_error(request: Request, exc: Exception) -> Response:
    # ConfigError first: a malformed name (InvalidIdError is both) is a bad request,
    # not a missing thing; a damaged record or a refused action is a conflict.
    status = 400 if isinstance(exc, ConfigError) else 404 if isinstance(exc, NotFoundError) else 409
    return JSONResponse({"error": str(exc)}, status_code=status)


async def index(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Keep the run index fresh on a background thread, so no request pays for a
    full scan of a large workspace (``RunIndex`` docstring)."""
    index = app.state.harness.index
    stop = threading.Event()

    def rescan() -> None:
        while True:  # the first scan at once: the first page is then already warm
            index.refresh(full=True)
            if stop.wait(index.scan_interval):
                return

    thread = threading.Thread(target=rescan, name="harness-ui-index", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()


def create_app(home: Path, policy: Policy) -> Starlette:
    routes = [
        Route("/", index),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        *events.ROUTES,
        *api.ROUTES,
        *services_api.ROUTES,
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Guard)],
        exception_handlers={HarnessError: harness_error},
        lifespan=lifespan,
    )
    app.state.harness = State(home)
    app.state.policy = policy
    return app
