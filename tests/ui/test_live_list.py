"""The runs page's live list against the real `harness ui` server: its event stream
starts from the generation the page was drawn from, so a run the server took in
between the page's read and the stream's start still redraws the list."""

from __future__ import annotations

import time

import httpx
import pytest
from ui_helpers import write_run

#: Comfortably under the stream's 15 s keep-alive, so a missing tick shows as a
#: read timeout rather than as the keep-alive comment.
TICK_WAIT_S = 8.0


def first_message(stream) -> str:
    """The first non-empty line the stream sends (an `event:` or a `:` comment)."""
    for line in stream.iter_lines():
        if line:
            return line
    raise AssertionError("the stream ended without a message")


def page_showing(server, run_id: str) -> dict:
    """/api/runs once the server's index holds the run (its background scan took it)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        page = httpx.get(f"{server.base}/api/runs").json()
        if run_id in {r["id"] for r in page["runs"]}:
            return page
        time.sleep(0.2)
    raise AssertionError(f"the dashboard never listed {run_id}")


def test_a_run_taken_before_the_stream_started_still_ticks(home, ui_server):
    first = write_run(home)
    drawn = page_showing(ui_server, first)  # what the page was drawn from
    second = write_run(home)
    now = page_showing(ui_server, second)  # the server has it before any stream began
    assert now["generation"] != drawn["generation"]
    url = f"{ui_server.base}/api/events/runs"
    timeout = httpx.Timeout(5.0, read=TICK_WAIT_S)
    with httpx.stream("GET", url, params={"since": drawn["generation"]}, timeout=timeout) as s:
        assert first_message(s) == "event: changed"  # the page learns it is behind
    # a page drawn from the current generation is not told to redraw for nothing...
    current = {"since": now["generation"]}
    quiet = httpx.Timeout(5.0, read=3.0)
    with (
        pytest.raises(httpx.ReadTimeout),
        httpx.stream("GET", url, params=current, timeout=quiet) as s,
    ):
        first_message(s)
    # ...and is told as soon as something changes
    with httpx.stream("GET", url, params=current, timeout=timeout) as s:
        write_run(home)
        assert first_message(s) == "event: changed"


def test_the_runs_page_shows_a_run_added_before_its_stream_opened(home, ui_server, browser_page):
    """The same window in a real browser: the page has drawn the list, and a run
    appears (and the server takes it) before the page's event stream is opened."""
    page = browser_page
    added: list[str] = []

    def add_a_run_first(route):
        if not added:
            added.append(write_run(home))
            page_showing(ui_server, added[0])
        route.continue_()

    page.route("**/api/events/runs*", add_a_run_first)
    page.goto(page.url.split("#")[0] + "#/runs")
    deadline = time.monotonic() + 60
    while not added and time.monotonic() < deadline:
        page.wait_for_timeout(100)  # lets Playwright call the handler
    assert added, "the runs page opened no live event stream"
    page.locator(f'tr[data-run="{added[0]}"]').wait_for(timeout=TICK_WAIT_S * 1000)
