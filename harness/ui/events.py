"""Server-sent events: a run's status, new metric points and log text as they are
written; a sweep's table when it changes; a signal when the runs list changed.

Each stream polls only the files it follows (``live.RunFollower`` reads appended
bytes), every ``POLL_S``, and ends when the run is final and drained, or when the
browser goes away.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from harness.ui.live import RunFollower
from harness.ui.series import DEFAULT_POINTS

POLL_S = 0.5
#: Comment lines keep proxies and the browser from timing a quiet stream out.
KEEPALIVE_S = 15.0


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, default=str)}\n\n"


def _stream(request: Request, body: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(
        body,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _run_snapshot(st: Any, follower: RunFollower, run_id: str, first: bool) -> list[str]:
    from harness.ui.api_runs import run_detail, series_json

    out: list[str] = []
    if follower.record_changed():
        # no history: the curves come below, downsampled first, then point by point
        out.append(sse("run", run_detail(st, run_id, history=False)))
    if first:
        curves = st.curves.get(follower.run_dir)
        out.append(sse("series", series_json(curves, DEFAULT_POINTS)))
        with curves.lock:  # the points after these come as `metrics` events
            follower.metric_offsets = dict(curves.offsets)
    points = follower.new_metrics()
    if points:
        out.append(sse("metrics", points))
    logs = follower.new_logs()
    if logs:
        out.append(sse("logs", logs))
    return out


async def run_events(request: Request) -> StreamingResponse:
    st = request.app.state.harness
    from harness.ui.api_runs import run_folder

    run_id = request.path_params["run_id"]
    follower = RunFollower(run_folder(st, run_id))  # a 404 for no such run

    async def body() -> AsyncIterator[str]:
        quiet = 0.0
        final_seen = 0
        first = True
        while not await request.is_disconnected():
            messages = await run_in_threadpool(_run_snapshot, st, follower, run_id, first)
            first = False
            for message in messages:
                yield message
            if messages:
                quiet = 0.0
            else:
                quiet += POLL_S
                if quiet >= KEEPALIVE_S:
                    quiet = 0.0
                    yield ": keep-alive\n\n"
            record = st.runs.root / run_id / "run.json"
            final = await run_in_threadpool(_is_final, record)
            final_seen = final_seen + 1 if final else 0
            if final_seen >= 2:  # one more look after the end drains the last lines
                yield sse("end", {"id": run_id})
                return
            await asyncio.sleep(POLL_S)

    return _stream(request, body())


def _is_final(path: Any) -> bool:
    from harness.run.record import FINAL_STATUSES

    try:
        return json.loads(path.read_text(encoding="utf-8")).get("status") in FINAL_STATUSES
    except (OSError, ValueError, AttributeError):
        return False


async def sweep_events(request: Request) -> StreamingResponse:
    from harness.ui.api import sweep_detail

    st = request.app.state.harness
    sweep_id = request.path_params["sweep_id"]
    sweep_detail(st, sweep_id)  # a 404 for no such sweep, before the stream starts

    async def body() -> AsyncIterator[str]:
        last = None
        while not await request.is_disconnected():
            summary = await run_in_threadpool(sweep_detail, st, sweep_id)
            text = json.dumps(summary, default=str, sort_keys=True)
            if text != last:
                last = text
                yield sse("sweep", summary)
            if summary.get("status") not in (None, "Running", "Queued") and last is not None:
                yield sse("end", {"id": sweep_id})
                return
            await asyncio.sleep(POLL_S * 4)

    return _stream(request, body())


async def runs_list_events(request: Request) -> StreamingResponse:
    """A tick whenever any run was added, removed or rewrote its record since
    ``?since=GENERATION`` (the one the page was drawn from: a change between that
    read and this stream's start is not missed), else since the stream began."""
    st = request.app.state.harness
    since = request.query_params.get("since", "")

    async def body() -> AsyncIterator[str]:
        await run_in_threadpool(st.index.refresh)
        seen = int(since) if since.isdigit() else st.index.generation
        if seen != st.index.generation:
            seen = st.index.generation
            yield sse("changed", {"generation": seen})
        waited = 0.0
        while not await request.is_disconnected():
            await asyncio.sleep(POLL_S * 2)
            await run_in_threadpool(st.index.refresh)
            if st.index.generation != seen:
                seen = st.index.generation
                waited = 0.0
                yield sse("changed", {"generation": seen})
            else:
                waited += POLL_S * 2
                if waited >= KEEPALIVE_S:
                    waited = 0.0
                    yield ": keep-alive\n\n"

    return _stream(request, body())


ROUTES = [
    Route("/api/runs/{run_id}/events", run_events),
    Route("/api/sweeps/{sweep_id}/events", sweep_events),
    Route("/api/events/runs", runs_list_events),
]
