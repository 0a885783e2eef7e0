"""Dashboard claims (issue 28, section 6), at 100,000 runs:

- the runs page with 3 metric columns, sorted by a metric and filtered by an MLflow
  expression: median server time <= 0.2 s, and <= 1 s in Chromium from navigation
  to the first rendered row;
- compare of 50 runs <= 1 s (server, and Chromium until every chart is drawn);
- a run with 1,000,000 points renders its charts in <= 2 s (downsampled on the
  server with MinMaxLTTB; the first look parses the file, later ones are cached).

The workspace is written in the store's on-disk format directly (`run.json`
through `RunRecord.to_json`, a metrics file per run), which is what the store
writes, without its per-run locks (100,000 runs through the store API take far
longer than the claim being measured). The real `harness ui` is started on it and
timed over HTTP, then in Debian's Chromium driven by Playwright. Server sides are
alternated; the machine's load average is recorded beside the figures, which on a
shared machine are provisional.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import alternate, parser, record, stats

COLUMNS = "metrics.accuracy,metrics.loss,metrics.f1"
FILTER = "metrics.accuracy > 0.5 and params.lr < 0.01"
RUNS_QUERY = f"columns={COLUMNS}&sort=metrics.accuracy&filter={urllib.request.quote(FILTER)}"


def make_workspace(home: Path, runs: int, long_points: int) -> tuple[float, list[str], str]:
    """``runs`` completed runs and one run with ``long_points`` points of `loss`."""
    from harness.run.metrics import MetricEvent, append_events
    from harness.run.record import RunRecord

    rng = random.Random(0)
    root = home / "runs"
    root.mkdir(parents=True)
    started = time.perf_counter()
    ids = []
    for i in range(runs):
        run_id = f"20260101-{i // 60000:02d}{(i // 1000) % 60:02d}{(i // 10) % 100:02d}-{i:06x}"
        folder = root / run_id
        (folder / "metrics").mkdir(parents=True)
        acc, loss, f1 = rng.random(), rng.random() * 2, rng.random()
        record = RunRecord(
            id=run_id, experiment=f"exp{i % 10}", status="Completed",
            created=f"2026-01-01T00:00:{i % 60:02d}+00:00", estimator="sklearn", compute="local",
            params={"lr": rng.choice([0.001, 0.005, 0.01, 0.05, 0.1]), "estimator": {"C": rng.random()}, "seed": i},
            started="2026-01-01T00:00:00+00:00", ended="2026-01-01T00:00:05+00:00",
            metrics={"accuracy": acc, "loss": loss, "f1": f1}, tags={"batch": str(i % 3)},
        )  # fmt: skip
        (folder / "run.json").write_text(json.dumps(record.to_json()))
        events = [
            MetricEvent(n, v, 0, 1.0) for n, v in (("accuracy", acc), ("loss", loss), ("f1", f1))
        ]
        append_events(folder / "metrics" / "rank0-1.jsonl", events)
        ids.append(run_id)
    long_id = "20991231-235959-ffffff"
    folder = root / long_id
    (folder / "metrics").mkdir(parents=True)
    record = RunRecord(
        id=long_id, experiment="long", status="Completed", created="2099-12-31T23:59:59+00:00",
        estimator="pytorch", compute="local", metrics={"loss": 0.0},
    )  # fmt: skip
    (folder / "run.json").write_text(json.dumps(record.to_json()))
    chunk = 100_000
    for start in range(0, long_points, chunk):
        append_events(
            folder / "metrics" / "rank0-1.jsonl",
            [MetricEvent("loss", 1.0 / (s + 1) + rng.random() * 0.01, s, 1e9 + s * 0.01)
             for s in range(start, min(long_points, start + chunk))],
        )  # fmt: skip
    return time.perf_counter() - started, ids, long_id


def fetch(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=300) as response:
        response.read()
    return time.perf_counter() - started


def start_server(home: Path) -> tuple[subprocess.Popen[str], str, str]:
    exe = str(Path(sys.executable).with_name("harness"))
    env = {**os.environ, "HARNESS_HOME": str(home)}
    proc = subprocess.Popen(
        [exe, "ui", "--port", "5990"], env=env, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        found = re.search(r"(http://\S+?)/\?token=(\S+)", line)
        if found:
            return proc, found.group(1), found.group(2)
    raise RuntimeError("harness ui printed no URL")


def browser_figures(base: str, token: str, ids: list[str], long_id: str, repeats: int) -> dict:
    from playwright.sync_api import sync_playwright

    figures: dict[str, list[float]] = {
        "runs page: first row": [],
        "compare 50: all charts": [],
        "1M-point run: chart": [],
    }
    compare = ",".join(ids[:50])
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/?token={token}")
        for _ in range(repeats):
            for name, hash_, selector in (
                ("runs page: first row", f"#/runs?cols={COLUMNS}&sort=metrics.accuracy&filter={urllib.request.quote(FILTER)}", "table.runs tbody tr[data-run]"),
                ("compare 50: all charts", f"#/compare?ids={compare}", "#compare-charts .chart[data-metric='f1'][data-points]"),
                ("1M-point run: chart", f"#/runs/{long_id}", ".chart[data-metric='loss'][data-points]"),
            ):  # fmt: skip
                page.goto("about:blank")
                started = time.perf_counter()
                page.goto(f"{base}/{hash_}")
                page.wait_for_selector(selector, timeout=120_000)
                figures[name].append(time.perf_counter() - started)
        browser.close()
    return {name: stats(values) for name, values in figures.items()}


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--runs", type=int, default=None, help="runs in the workspace (default 100,000)")
    p.add_argument(
        "--points", type=int, default=None, help="points of the long run (default 1,000,000)"
    )
    opts = p.parse_args()
    runs = opts.runs or (2_000 if opts.quick else 100_000)
    points = opts.points or (100_000 if opts.quick else 1_000_000)
    repeats = 3 if opts.quick else 11
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
        home = Path(tmp) / "home"
        print(f"writing {runs} runs and one of {points} points ...", file=sys.stderr)
        made_s, ids, long_id = make_workspace(home, runs, points)
        load_before = os.getloadavg()
        proc, base, token = start_server(home)
        try:
            cold = fetch(base + "/api/runs")
            series_cold = fetch(f"{base}/api/runs/{long_id}/series")
            compare = ",".join(ids[:50])
            sides = {
                "runs: 3 metric columns, sorted, expression filter": lambda: fetch(f"{base}/api/runs?{RUNS_QUERY}&facets=0"),
                "runs: 3 metric columns, newest 50": lambda: fetch(f"{base}/api/runs?columns={COLUMNS}&facets=0"),
                "compare 50 runs (curves downsampled)": lambda: fetch(f"{base}/api/compare?history=0&points=500&ids={compare}"),
                "1M-point run: curves (cached after the first look)": lambda: fetch(f"{base}/api/runs/{long_id}/series"),
                "1M-point run: a zoomed range at full resolution": lambda: fetch(f"{base}/api/runs/{long_id}/series?name=loss&xmin=500000&xmax=501500"),
            }  # fmt: skip
            samples = alternate(sides, repeats)
            chromium = browser_figures(base, token, ids, long_id, 3 if opts.quick else 5)
        finally:
            proc.terminate()
            proc.wait(10)
    figures = {
        "runs": runs,
        "long_run_points": points,
        "workspace_written_s": made_s,
        "first_request_after_start_s": cold,
        "long_run_first_series_s": series_cold,
        "server_s": {name: stats(values) for name, values in samples.items()},
        "chromium_s": chromium,
        "targets_s": {
            "runs page server": 0.2,
            "runs page first row": 1.0,
            "compare 50": 1.0,
            "1M-point chart": 2.0,
        },
        "loadavg": {"before": load_before, "after": os.getloadavg()},
        "cpus": os.cpu_count(),
        "mlflow": "not measured in this run (see benchmarks/README.md)",
    }
    print(json.dumps(figures, indent=2))
    record(opts.results, "ui_analysis_pages", figures, opts.quick)


if __name__ == "__main__":
    main()
