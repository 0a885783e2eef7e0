"""The dashboard's services: its API returns the CLI's JSON objects, and the page in a
real browser shows a real service's status, URL, requests and log, and stops it."""

from __future__ import annotations

import json
import time
import urllib.request
import warnings
from pathlib import Path

import pytest
from ui_helpers import TOKEN, screenshot, write_run

from harness.run.store import RunStore
from harness.testing import run_cli, workspace_processes

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from playwright.sync_api import expect

from harness.ui.app import create_app
from harness.ui.security import Policy

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
TIMEOUT_MS = 60_000


def served(home: Path) -> dict:
    """A digits classifier in a run, registered as `digits` and served."""
    import joblib
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression

    run_id = write_run(home, estimator="sklearn")
    features, labels = load_digits(return_X_y=True)
    model = LogisticRegression(max_iter=2000).fit(features, labels)
    joblib.dump(model, RunStore(home).get(run_id).path / "outputs" / "model.joblib")
    registered = run_cli(
        "models", "register", "digits", "--run", run_id, "--path", "outputs/model.joblib", home=home
    )
    assert registered.returncode == 0, registered.output
    started = run_cli("models", "serve", "digits", "--format", "json", home=home)
    assert started.returncode == 0, started.output
    return started.json()


def score(item: dict, count: int) -> None:
    body = json.dumps({"data": [[0.0] * 64]}).encode()
    for _ in range(count):
        request = urllib.request.Request(item["scoring_uri"], body, method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200


@pytest.fixture
def service(home: Path):
    item = served(home)
    yield item
    run_cli("services", "stop", "digits", home=home)
    deadline = time.monotonic() + 10
    while workspace_processes(home) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert workspace_processes(home) == []


def cli_json(home: Path, *args: str):
    result = run_cli(*args, "--format", "json", home=home)
    assert result.returncode == 0, result.output
    return result.json()


def test_services_api_is_the_cli_json_and_stop_needs_the_token(home: Path, service: dict):
    score(service, 2)
    time.sleep(1.5)  # counters are written once a second
    c = TestClient(create_app(home, Policy(token=TOKEN, host="127.0.0.1", port=5000)),
                   base_url="http://127.0.0.1:5000")  # fmt: skip
    assert c.get("/api/services").json() == cli_json(home, "services", "list")
    shown = c.get("/api/services/digits").json()
    assert shown == cli_json(home, "services", "show", "digits")
    assert shown["requests"]["requests"] == 2 and shown["status"] == "Healthy"
    logs = c.get("/api/services/digits/logs?tail=50").json()
    assert "Application startup complete" in logs["text"]
    assert c.get("/api/services/..%2fx").status_code in (400, 404)
    assert c.get("/api/services/nope").status_code == 404

    refused = c.post("/api/services/digits/stop")
    assert refused.status_code == 403 and service["pid"] in workspace_processes(home)
    assert c.get(f"/?token={TOKEN}", follow_redirects=False).status_code == 303
    token = {"X-CSRF-Token": c.get("/api/session").json()["csrf"]}
    stopped = c.post("/api/services/digits/stop", headers=token)
    assert stopped.status_code == 200 and stopped.json()["status"] == "Stopped"
    assert service["pid"] not in workspace_processes(home)


def test_services_page_shows_status_url_requests_and_log(home: Path, service: dict, browser_page):
    page = browser_page
    page.goto(page.url.split("#")[0] + "#/services")
    row = page.locator('tr[data-service="digits"]')
    row.wait_for(timeout=TIMEOUT_MS)
    assert "Healthy" in row.inner_text() and service["scoring_uri"] in row.inner_text()
    row.locator('a[href="#/services/digits"]').click()
    page.wait_for_selector("#scoring-uri", timeout=TIMEOUT_MS)
    assert page.inner_text("#scoring-uri") == service["scoring_uri"]
    score(service, 3)
    expect(page.locator("#requests")).to_have_text("3", timeout=TIMEOUT_MS)  # live: redrawn
    assert page.locator("table.recent tbody tr").count() == 3
    assert "Application startup complete" in page.inner_text("#service-log")
    screenshot(page, "services")
    page.click("#stop")
    expect(page.locator("h1 .status")).to_have_text("Stopped", timeout=TIMEOUT_MS)
    assert service["pid"] not in workspace_processes(home)
