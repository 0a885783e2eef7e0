"""The dashboard's security rules against the real `harness ui` server: a job's files
cannot run scripts on the dashboard's origin (Chromium), every answer carries the
security headers, and no encoding of ``..`` reaches outside outputs/ and logs/."""

from __future__ import annotations

import http.client
import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from ui_helpers import screenshot, write_run

from harness.run.metrics import MetricEvent, append_events
from harness.run.store import RunStore
from harness.testing import run_cli

#: What a hostile job writes: read the CSRF token, then tag the run through the API.
ATTACK = """
fetch('/api/session').then(r => r.json()).then(s => fetch('/api/runs/RUN/tags', {
  method: 'POST', headers: {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf},
  body: JSON.stringify({tags: {pwned: 'WHERE'}})}));
"""


def hostile_run(home: Path) -> str:
    run_id = write_run(home)
    folder = home / "runs" / run_id
    script = ATTACK.replace("RUN", run_id)
    html = f"<html><body><h1>report</h1><script>{script.replace('WHERE', 'html')}</script></body></html>"
    (folder / "outputs" / "report.html").write_text(html)
    (folder / "outputs" / "notes").write_text(html.replace("'html'", "'noext'"))
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
        '<rect width="40" height="40" fill="red"/>'
        f"<script>{script.replace('WHERE', 'svg')}</script></svg>"
    )
    (folder / "outputs" / "chart.svg").write_text(svg)
    (folder / "logs" / "images").mkdir()
    (folder / "logs" / "images" / "curve-0.svg").write_text(svg.replace("'svg'", "'log_image'"))
    append_events(
        folder / "metrics" / "rank0-2.jsonl",
        [MetricEvent("curve", {"image": "logs/images/curve-0.svg"}, 0, time.time())],
    )
    return run_id


def test_scripts_in_a_jobs_files_cannot_act_on_the_dashboard(home, browser_page, ui_server):
    page = browser_page
    run_id = hostile_run(home)
    files = f"{ui_server.base}/api/runs/{run_id}/files"
    # each file opened directly, as a link or a typed URL would open it
    for url in (
        f"{files}/outputs/report.html",
        f"{files}/outputs/report.html?view=sandbox",
        f"{files}/outputs/chart.svg",
        f"{files}/outputs/chart.svg?view=sandbox",
        f"{files}/outputs/notes",
        f"{files}/logs/images/curve-0.svg",
    ):
        try:
            page.goto(url)
        except Exception as exc:  # an attachment: Chromium downloads instead of showing
            assert "Download is starting" in str(exc), (url, exc)
        page.wait_for_timeout(800)
    page.goto(f"{ui_server.base}/#/runs/{run_id}")
    page.wait_for_timeout(500)
    assert RunStore(home).get(run_id).tags == {}, "a script in a run's file tagged the run"
    # the run page itself shows the logged SVG and the outputs
    page.goto(page.url.split("#")[0] + f"#/runs/{run_id}")
    page.locator('img[data-entry="curve"]').wait_for()
    for name in ("outputs/report.html", "outputs/chart.svg", "outputs/notes"):
        page.locator(f'[data-preview="{name}"]').click()
        page.locator("#preview [data-preview-of]").wait_for()
        page.wait_for_timeout(800)
    screenshot(page, "run-hostile-files")
    assert RunStore(home).get(run_id).tags == {}, "a previewed file tagged the run"


def test_every_answer_carries_the_security_headers(home, ui_server):
    run_id = hostile_run(home)
    with httpx.Client(base_url=ui_server.base) as client:
        for url in (
            "/",
            "/static/app.js",
            "/api/runs",
            f"/api/runs/{run_id}",
            "/api/runs/20991231-000000-ffffff",  # 404
            "/api/runs/..%2Fx",  # 400
            f"/api/runs/{run_id}/files/outputs/model.bin",
        ):
            response = client.get(url)
            assert response.headers["x-content-type-options"] == "nosniff", url
            assert "default-src 'none'" in response.headers["content-security-policy"], url
        page_csp = client.get("/").headers["content-security-policy"]
        assert "script-src 'self'" in page_csp and "frame-ancestors 'none'" in page_csp
        refused = client.post(f"/api/runs/{run_id}/tags", json={"tags": {"a": "1"}})
        assert refused.status_code == 403
        assert refused.headers["x-content-type-options"] == "nosniff"
        for name, disposition in (
            ("outputs/report.html", "attachment"),
            ("outputs/chart.svg", "attachment"),
            ("outputs/notes", "attachment"),
            ("logs/images/curve-0.svg", "attachment"),
            ("outputs/model.bin", "attachment"),
            ("logs/stdout.txt", "inline"),
        ):
            response = client.get(f"/api/runs/{run_id}/files/{name}")
            assert response.status_code == 200, name
            assert response.headers["content-disposition"].startswith(disposition), name
            assert response.headers["content-security-policy"].startswith("sandbox"), name
        text = client.get(f"/api/runs/{run_id}/files/logs/stdout.txt")
        assert text.headers["content-type"] == "text/plain; charset=utf-8"
        sandboxed = client.get(f"/api/runs/{run_id}/files/outputs/report.html?view=sandbox")
        assert sandboxed.headers["content-disposition"].startswith("inline")
        assert sandboxed.headers["content-security-policy"].startswith("sandbox;")
        assert "script-src" not in sandboxed.headers["content-security-policy"]


def raw_get(base: str, path: str) -> tuple[int, bytes]:
    """The request line exactly as written: no client normalises the dots away."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


ESCAPES = [
    "outputs/%2e%2e/snapshot/train.py",
    "outputs/%2E%2E/snapshot/train.py",
    "outputs/.%2e/snapshot/train.py",
    "outputs/%2e./snapshot/train.py",
    "outputs/%2e%2e/run.json",
    "outputs/%2e%2e/job.json",
    "logs/%2e%2e/run.json",
    "outputs/../run.json",
    "outputs/./../run.json",
    "outputs//../run.json",
    "outputs/..%2frun.json",
    "outputs/..%2Frun.json",
    "outputs/%2e%2e%2frun.json",
    "outputs/%2e%2e%2Fsnapshot%2Ftrain.py",
    "outputs%2f..%2frun.json",
    "outputs/..%5crun.json",
    "outputs/%252e%252e/run.json",
    "outputs/%25252e%25252e/run.json",
    "outputs/%c0%ae%c0%ae/run.json",
    "outputs/%e2%80%a4%e2%80%a4/run.json",
    "outputs/x/%2e%2e/%2e%2e/run.json",
    "outputs/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "outputs/%00/../run.json",
    "snapshot/train.py",
    "run.json",
    "%2e%2e/%2e%2e/secret.txt",
]


def test_no_encoding_of_dot_dot_leaves_outputs_and_logs(home, ui_server):
    run_id = write_run(home, params={"marker": "RUN-RECORD-MARKER"})
    snapshot = home / "runs" / run_id / "snapshot"
    snapshot.mkdir()
    (snapshot / "train.py").write_text("SECRET SOURCE")
    (home / "runs" / run_id / "job.json").write_text('{"SECRET": "JOB SPEC"}')
    (home / "secret.txt").write_text("SECRET FILE")
    for escape in ESCAPES:
        status, body = raw_get(ui_server.base, f"/api/runs/{run_id}/files/{escape}")
        assert status in (400, 404), (escape, status, body[:200])
        assert b"SECRET" not in body and b"RUN-RECORD-MARKER" not in body, escape
        json.loads(body)  # a one-line JSON error, not a file
    ok_status, ok_body = raw_get(ui_server.base, f"/api/runs/{run_id}/files/outputs/model.bin")
    assert (ok_status, ok_body) == (200, b"\x00\x01model")


def test_register_refuses_a_path_that_leaves_outputs(home, ui_server):
    run_id = write_run(home)
    with httpx.Client(base_url=ui_server.base) as client:
        client.get(f"/?token={ui_server.token}")
        csrf = client.get("/api/session").json()["csrf"]
        for path in ("outputs/../run.json", "outputs/./../job.json", "logs/stdout.txt"):
            response = client.post(
                f"/api/runs/{run_id}/register",
                json={"name": "net", "path": path},
                headers={"X-CSRF-Token": csrf},
            )
            assert response.status_code == 400, (path, response.text)
        made = client.post(
            f"/api/runs/{run_id}/register",
            json={"name": "net", "path": "outputs/./model.bin"},
            headers={"X-CSRF-Token": csrf},
        )
        assert made.status_code == 200, made.text
    shown = run_cli("models", "show", "net:1", "--format", "json", home=home).json()
    assert shown["source_path"] == "outputs/model.bin"
