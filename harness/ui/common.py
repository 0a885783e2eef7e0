"""What every API module needs: the JSON answer, the server's state, query
parameters checked into numbers, a JSON request body."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from harness.ui.ids import BadId
from harness.ui.state import State


def json_response(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, default=str, allow_nan=True)
    return Response(body, status_code=status, media_type="application/json")


def state(request: Request) -> State:
    return request.app.state.harness


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        raise BadId(f"?{name}= must be a whole number, not {raw!r}") from None
    return max(low, min(high, value))


def float_param(request: Request, name: str) -> float | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return float(raw)
    except ValueError:
        raise BadId(f"?{name}= must be a number, not {raw!r}") from None


#: Bytes an action's JSON body may have (a tag, a model's name and path): 1 MiB.
MAX_BODY = 1 << 20


async def json_body(request: Request) -> dict[str, Any]:
    size = request.headers.get("content-length", "")
    if not size.isdigit() or int(size) > MAX_BODY:  # a 20 MB tag is refused unread
        raise BadId(f"the request body must be a JSON object of at most {MAX_BODY} bytes")
    try:
        data = await request.json()
    except ValueError:
        raise BadId("the request body must be a JSON object") from None
    if not isinstance(data, dict):
        raise BadId("the request body must be a JSON object")
    return data
