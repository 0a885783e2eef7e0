"""The dashboard in a real headless Chromium (Debian's, driven by Playwright), against
the real `harness ui` server and real `harness train` jobs."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from blake3 import blake3
from playwright.sync_api import expect
from ui_helpers import screenshot, write_run

from harness.testing import harness_executable, run_cli

TIMEOUT_MS = 60_000


def start_job(home: Path, script_dir: Path, *script_args: str, experiment: str = "ui-test"):
    """`harness train` of the live script in the background; returns (process, run id)."""
    params = []
    for arg in script_args:
        key, value = arg.split("=", 1)
        params.append(f"+estimator.script_params.{key}={value}")
    env = dict(os.environ, HARNESS_HOME=str(home))
    env.pop("HARNESS_JOB_SPEC", None)
    proc = subprocess.Popen(
        [
            harness_executable(), "train", "+estimator=script",
            f"estimator.source_directory={script_dir}", "estimator.entry_script=train.py",
            f"experiment={experiment}", *params,
        ],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("run id:"):
            return proc, line.split(":", 1)[1].strip()
    proc.wait()
    raise AssertionError("harness train printed no run id:\n" + "".join(seen))


def finish(proc: subprocess.Popen, timeout: float = 120) -> int:
    try:
        proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return proc.returncode


def points_of(page, metric: str) -> int:
    return int(page.get_attribute(f'.chart[data-metric="{metric}"]', "data-points"))


def test_runs_page_finds_the_run_and_its_chart_has_every_point(home, script_dir, browser_page):
    page = browser_page
    proc, run_id = start_job(home, script_dir, "points=7")
    assert finish(proc) == 0
    page.goto(page.url.split("#")[0] + "#/runs")
    row = page.locator(f'tr[data-run="{run_id}"]')
    row.wait_for(timeout=TIMEOUT_MS)
    assert "Completed" in row.inner_text() and "ui-test" in row.inner_text()
    screenshot(page, "runs")
    row.locator(f'a[href="#/runs/{run_id}"]').click()
    page.wait_for_selector('.chart[data-metric="loss"][data-points="7"]', timeout=TIMEOUT_MS)
    assert page.locator('.chart[data-metric="loss"] canvas').count() == 1  # uPlot drew it
    expect(page.locator("#logtext")).to_contain_text("step 6", timeout=TIMEOUT_MS)
    assert page.locator("#run-status").inner_text() == "Completed"
    assert "outputs/model.bin" in page.locator("#files").inner_text()
    screenshot(page, "run")


def test_chart_grows_without_a_reload_while_the_run_logs(home, script_dir, tmp_path, browser_page):
    page = browser_page
    gate = tmp_path / "go"
    proc, run_id = start_job(home, script_dir, "points=5", "more=4", f"gate={gate}")
    try:
        page.goto(page.url.split("#")[0] + f"#/runs/{run_id}")
        page.wait_for_selector('.chart[data-metric="loss"][data-points="5"]', timeout=TIMEOUT_MS)
        assert page.locator("#run-status").inner_text() == "Running"
        page.evaluate("window.__sameDocument = 'still here'")
        gate.touch()
        page.wait_for_selector('.chart[data-metric="loss"][data-points="9"]', timeout=TIMEOUT_MS)
        assert page.evaluate("window.__sameDocument") == "still here"  # no reload happened
        expect(page.locator("#run-status")).to_have_text("Completed", timeout=TIMEOUT_MS)
    finally:
        gate.touch()
        assert finish(proc) == 0
    assert points_of(page, "loss") == 9


def test_cancel_a_running_job_from_the_page(home, script_dir, browser_page):
    page = browser_page
    proc, run_id = start_job(home, script_dir, "points=3", "hold=300")
    try:
        page.goto(page.url.split("#")[0] + f"#/runs/{run_id}")
        page.wait_for_selector('.chart[data-metric="loss"][data-points="3"]', timeout=TIMEOUT_MS)
        expect(page.locator("#run-status")).to_have_text("Running", timeout=TIMEOUT_MS)
        page.locator("#cancel").click()
        expect(page.locator("#run-status")).to_have_text("Canceled", timeout=TIMEOUT_MS)
    finally:
        if proc.poll() is None and page.locator("#run-status").inner_text() != "Canceled":
            proc.terminate()
        code = finish(proc, timeout=60)
    assert code == 130
    shown = run_cli("runs", "show", run_id, "--format", "json", home=home).json()
    assert shown["status"] == "Canceled"


def test_compare_two_runs(home, browser_page):
    page = browser_page
    first = write_run(home, points={"loss": [1.0, 0.6, 0.4]}, params={"lr": 0.1})
    second = write_run(home, points={"loss": [1.0, 0.8, 0.7, 0.65]}, params={"lr": 0.01})
    write_run(home, params={"lr": 0.5})  # not picked
    page.goto(page.url.split("#")[0] + "#/runs")
    for run_id in (first, second):
        page.locator(f'tr[data-run="{run_id}"] input.pick').check()
    # the list redraws live as runs appear; the ticks must survive that
    page.locator(f'tr[data-run="{first}"] input.pick').wait_for(timeout=TIMEOUT_MS)
    later = write_run(home, params={"lr": 0.9})
    page.locator(f'tr[data-run="{later}"]').wait_for(timeout=TIMEOUT_MS)
    assert page.locator("input.pick:checked").count() == 2
    page.locator("#compare").click()
    table = page.locator("table.compare")
    table.wait_for(timeout=TIMEOUT_MS)
    text = table.inner_text()
    assert first in text and second in text and "lr" in text
    assert "0.1" in text and "0.01" in text
    page.wait_for_selector('.chart[data-metric="loss"][data-points="7"]', timeout=TIMEOUT_MS)
    screenshot(page, "compare")


def test_sweep_page_marks_the_best_run_and_says_why_others_failed(home, browser_page):
    page = browser_page
    result = run_cli(
        "train", "-m", "estimator.data.format=iris", "estimator.max_iter=200",
        "estimator.C=0.01,1,-1", home=home,
    )  # fmt: skip
    assert result.returncode == 1, result.output  # C=-1 fails inside the job
    (sweep,) = run_cli("sweeps", "list", "--format", "json", home=home).json()
    best = run_cli("sweeps", "best", sweep["id"], "--format", "json", home=home).json()
    page.goto(page.url.split("#")[0] + f"#/sweeps/{sweep['id']}")
    marked = page.locator("tr.best")
    marked.wait_for(timeout=TIMEOUT_MS)
    assert marked.count() == 1 and marked.get_attribute("data-run") == best["run_id"]
    failed = page.locator("table.sweep tr", has_text="Failed")
    assert failed.count() == 1 and failed.locator("td.error").inner_text().strip()
    page.wait_for_selector('.chart[data-param="estimator.C"][data-points="2"]')
    assert page.get_attribute("#parallel", "data-points") == "2"  # completed runs only
    screenshot(page, "sweep")


def test_model_page_downloads_the_file(home, tmp_path, browser_page):
    page = browser_page
    run_id = write_run(home)
    made = run_cli(
        "models", "register", "digits-net", "--run", run_id, "--path", "outputs/model.bin",
        home=home,
    )  # fmt: skip
    assert made.returncode == 0, made.output
    page.goto(page.url.split("#")[0] + "#/models")
    page.locator('a[href="#/models/digits-net"]').click()
    link = page.locator("a.download")
    link.wait_for(timeout=TIMEOUT_MS)
    digest = hashlib.sha256(b"\x00\x01model").hexdigest()
    assert digest in page.locator("main").inner_text()
    assert run_id in page.locator("main").inner_text()
    with page.expect_download() as info:
        link.click()
    saved = tmp_path / "downloaded.bin"
    info.value.save_as(saved)
    assert saved.read_bytes() == b"\x00\x01model"
    screenshot(page, "model")


def test_datastore_page_lists_files_with_sizes_and_hashes(home, tmp_path, browser_page):
    page = browser_page
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.csv").write_text("a,b\n1,2\n")
    uploaded = run_cli("datastore", "upload", str(data), "--target", "csv", home=home)
    assert uploaded.returncode == 0, uploaded.output
    page.goto(page.url.split("#")[0] + "#/datastores")
    page.locator('a[href="#/datastores/default"]').click()
    row = page.locator("tr", has_text="csv/train.csv")
    row.wait_for(timeout=TIMEOUT_MS)
    # uploads hash with BLAKE3 by default; the page shows the entry's own algorithm
    assert "blake3:" + blake3(b"a,b\n1,2\n").hexdigest() in row.inner_text()
    assert "8" in row.locator("td.num").inner_text()
