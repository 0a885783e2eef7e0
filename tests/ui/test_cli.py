"""`harness ui` as a user starts it: the printed URLs, the port choice, bad options."""

from __future__ import annotations

import socket
import urllib.request

from ui_helpers import UiServer, free_port

from harness.testing import run_cli


def test_prints_both_urls_and_serves_the_pages(home):
    server = UiServer(home, token=None)  # a token is generated
    try:
        text = "".join(server.lines)
        assert f"harness ui: serving {home}" in text
        assert f"read-only view: {server.base}/" in text
        assert len(server.token) >= 20
        with urllib.request.urlopen(server.base + "/") as page:
            assert b"/static/vendor/uplot/uPlot.iife.min.js" in page.read()
        with urllib.request.urlopen(server.base + "/static/vendor/uplot/uPlot.iife.min.js") as js:
            assert len(js.read()) > 40_000  # the vendored library, not a CDN link
    finally:
        server.stop()


def test_a_busy_default_port_moves_to_the_next_free_one(home):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        # the default (no --port) starts at 5000; exercise the same rule from `port`
        from harness.ui.server import listen

        sock = listen("127.0.0.1", port, fixed=False)
        try:
            assert sock.getsockname()[1] > port
        finally:
            sock.close()
        fixed = run_cli("ui", "--port", str(port), home=home, timeout=60)
    assert fixed.returncode == 2
    assert fixed.stderr.strip() == (
        f"harness: error: port {port} on 127.0.0.1 is in use; pick another --port"
    )


def test_bad_options_are_one_line_errors(home):
    for args, message in [
        (["--port", "70000"], "--port 70000: give a port between 1 and 65535"),
        (["--token", "short", "--port", str(free_port())], "--token must be at least 16"),
        (["--host", "203.0.113.7", "--port", str(free_port())], "--host 203.0.113.7: cannot"),
    ]:
        result = run_cli("ui", *args, home=home, timeout=60)
        assert result.returncode == 2, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, result.stderr)


def test_other_binds_print_that_the_token_is_needed(home):
    server = UiServer(home, host="0.0.0.0")
    try:
        assert "every request needs this token" in "".join(server.lines)
        port = server.base.rsplit(":", 1)[1]
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/runs")
            raise AssertionError("read without the token")
        except urllib.error.HTTPError as refused:
            assert refused.code == 401
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/runs",
            headers={"Authorization": f"Bearer {server.token}"},
        )
        with urllib.request.urlopen(request) as ok:
            assert ok.status == 200
    finally:
        server.stop()
