"""Dashboard claims (issue 28, section 6), at 100,000 runs, with MLflow's figures
for the same runs beside them:

- the runs page with 3 metric columns, sorted by a metric and filtered by an MLflow
  expression: median server time <= 0.2 s, and <= 1 s in Chromium from navigation
  to the first rendered row;
- compare of 50 runs <= 1 s (server, and Chromium until every chart is drawn);
- a run with 1,000,000 points renders its charts in <= 2 s (downsampled on the
  server with MinMaxLTTB; the first look parses the file, later ones are cached):
  cold (a fresh server) and warm.

The runs are generated once (``_ui_workspace``) and written to a harness workspace
in the store's on-disk format and to an MLflow SQLite store (``_mlflow_ui``); both
answers are checked against the expected one before anything is timed. The real
`harness ui` and the real `mlflow server` are started on them and asked the same
questions over HTTP, the two sides alternated round by round, then in Debian's
Chromium driven by Playwright (each side's own pages). The machine's load average
is recorded beside the figures, which on a shared machine are provisional.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _mlflow_ui as mlf
from _common import alternate, parser, record, stats
from _ui_workspace import LONG_ID, Spec, expected_page, synthetic_runs, write_harness

COLUMNS = "metrics.accuracy,metrics.loss,metrics.f1"
FILTER = "metrics.accuracy > 0.5 and params.lr < 0.01"
RUNS_QUERY = f"columns={COLUMNS}&sort=metrics.accuracy&filter={urllib.parse.quote(FILTER)}"
#: The harness runs page's page size (harness.ui.api_runs.PAGE); MLflow is asked the same.
PAGE = 50
#: Points per curve: the harness run page's default (harness.ui.series.DEFAULT_POINTS)
#: and its compare's; MLflow's sampled history is asked the same.
RUN_POINTS, COMPARE_POINTS = 2000, 500
TIMEOUT = 300
BROWSER_TIMEOUT = 120


def request(url: str, body: dict[str, Any] | None = None) -> tuple[float, Any]:
    return mlf.request(url, body, timeout=TIMEOUT)


def fetch(url: str) -> float:
    return request(url)[0]


def start_harness(home: Path) -> tuple[subprocess.Popen[str], str, str]:
    exe = str(Path(sys.executable).with_name("harness"))
    env = {**os.environ, "HARNESS_HOME": str(home)}
    proc = subprocess.Popen(
        [exe, "ui", "--port", str(mlf.free_port())], env=env, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        found = re.search(r"(http://\S+?)/\?token=(\S+)", line)
        if found:
            return proc, found.group(1), found.group(2)
    raise RuntimeError("harness ui printed no URL")


def stop_harness(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def check_harness(base: str, specs: list[Spec], points: int, total: int, top: list[str]) -> None:
    """The harness answers are the expected ones: the runs page's count, order and
    values, the compare's runs, the long run's point count."""
    _, page = request(f"{base}/api/runs?{RUNS_QUERY}&facets=0&limit={PAGE}")
    got = [r["id"] for r in page["runs"]]
    assert page["total"] == total and got == top, (page["total"], total, got[:3], top[:3])
    by_id = {s.id: s for s in specs}
    for run_id in got:
        values = page["values"][run_id]
        assert values["metrics.accuracy"] == by_id[run_id].accuracy, values
        assert values["metrics.f1"] == by_id[run_id].f1, values
    ids = [s.id for s in specs[:50]]
    _, compared = request(
        f"{base}/api/compare?history=0&points={COMPARE_POINTS}&ids={','.join(ids)}"
    )
    assert set(compared["series"]) == set(ids), "compare lacks runs"
    assert all(compared["series"][i]["f1"]["value"] == [by_id[i].f1] for i in ids)
    _, series = request(f"{base}/api/runs/{LONG_ID}/series")
    assert series["metrics"]["loss"]["total"] == points, series["metrics"]["loss"]["total"]
    assert len(series["metrics"]["loss"]["value"]) <= RUN_POINTS


def check_mlflow_http(
    base: str, store: mlf.Store, specs: list[Spec], points: int, top: list[str]
) -> None:
    """The same answers from the MLflow server, over the requests that are timed."""
    _, page = request(base + "/api/2.0/mlflow/runs/search", mlf.runs_page_body(store, PAGE))
    names = [r["info"]["run_name"] for r in page["runs"]]
    assert names == top, (names[:3], top[:3])
    ids = [s.id for s in specs[:50]]
    (path, body), *histories = mlf.compare_requests(store, ids, COMPARE_POINTS)
    _, found = request(base + path, body)
    assert {r["info"]["run_name"] for r in found["runs"]} == set(ids)
    for path, body in histories:
        _, history = request(base + path, body)
        assert {m["run_id"] for m in history["metrics"]} == {store.uuids[i] for i in ids}
    _, sampled = request(base + long_sampled(store))
    assert 2 < len(sampled["metrics"]) <= RUN_POINTS, len(sampled["metrics"])
    _, zoomed = request(base + long_zoomed(store, points))
    assert len(zoomed["metrics"]) == 1501, len(zoomed["metrics"])


def long_sampled(store: mlf.Store) -> str:
    query = {"run_ids": store.long_uuid, "metric_key": "loss", "max_results": RUN_POINTS}
    return "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?" + urllib.parse.urlencode(query)


def zoom(points: int) -> tuple[int, int]:
    """A range of 1,501 steps in the middle of the long run (full resolution)."""
    return points // 2, points // 2 + 1500


def long_zoomed(store: mlf.Store, points: int) -> str:
    low, high = zoom(points)
    query = {"run_ids": store.long_uuid, "metric_key": "loss", "max_results": RUN_POINTS,
             "start_step": low, "end_step": high}  # fmt: skip
    return "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?" + urllib.parse.urlencode(query)


class Guarded:
    """A side that may fail (MLflow timing out or running out of memory): the first
    failure is recorded and the side is not asked again."""

    def __init__(self, call: Callable[[], float]) -> None:
        self.call = call
        self.error: str | None = None

    def __call__(self) -> float:
        if self.error is not None:
            return float("inf")
        try:
            return self.call()
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"[:300]
            return float("inf")


def summary(values: list[float], error: str | None = None) -> dict[str, Any]:
    done = [v for v in values if v != float("inf")]
    out: dict[str, Any] = stats(done) if done else {"n": 0}
    if error:
        out["failed"] = error
    return out


def browser_pages(
    base: str, store: mlf.Store | None, mlflow_base: str | None, specs: list[Spec], first: str
) -> dict[str, tuple[str, str]]:
    """(URL, the selector that says it is drawn) per page, both sides; the runs pages
    wait for ``first``, the expected first row, in the first row."""
    compare = ",".join(s.id for s in specs[:50])
    pages = {
        "harness: runs page, first row": (f"{base}/#/runs?cols={COLUMNS}&sort=metrics.accuracy&filter={urllib.parse.quote(FILTER)}", f"table.runs tbody tr[data-run]:first-child[data-run='{first}']"),
        "harness: compare 50, all charts": (f"{base}/#/compare?ids={compare}", "#compare-charts .chart[data-metric='f1'][data-points]"),
        "harness: 1M-point run, chart": (f"{base}/#/runs/{LONG_ID}", ".chart[data-metric='loss'][data-points]"),
    }  # fmt: skip
    if store is not None and mlflow_base is not None:
        q = urllib.parse.quote
        experiments = q(json.dumps(list(store.experiment_ids.values())))
        order = q("metrics.`accuracy`")
        uuids = q(json.dumps([store.uuids[s.id] for s in specs[:50]]))
        compared = q(json.dumps(sorted({store.experiment_ids[s.experiment] for s in specs[:50]})))
        long_experiment = store.experiment_ids["long"]
        pages |= {
            "mlflow: runs page, first row": (f"{mlflow_base}/#/compare-experiments/s?experiments={experiments}&workflowType=machine_learning&searchFilter={q(mlf.FILTER)}&orderByKey={order}&orderByAsc=false", f".ag-pinned-left-cols-container .ag-row-first a:has-text('{first}')"),
            "mlflow: compare 50, plot drawn": (f"{mlflow_base}/#/compare-runs?runs={uuids}&experiments={compared}", ".js-plotly-plot .parcoords"),
            "mlflow: 1M-point run, chart": (f"{mlflow_base}/#/experiments/{long_experiment}/runs/{store.long_uuid}/model-metrics", ".js-plotly-plot .scatterlayer .trace path.js-line"),
        }  # fmt: skip
    return pages


class Browser:
    """Debian's Chromium (Playwright), one page; ``time`` navigates from a blank page
    and waits for the selector."""

    def __init__(self, base: str, token: str) -> None:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self._browser = self._pw.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        self.page = self._browser.new_page(viewport={"width": 1280, "height": 900})
        # The session cookie, and the runs page it opens: waited for until it shows its
        # rows, so its requests (facets over every run) are done before a timed page.
        self.page.goto(f"{base}/?token={token}")
        self.page.wait_for_selector("table.runs tbody tr[data-run]", timeout=BROWSER_TIMEOUT * 1000)

    def time(self, url: str, selector: str) -> float:
        self.page.goto("about:blank")
        started = time.perf_counter()
        self.page.goto(url)
        self.page.wait_for_selector(selector, timeout=BROWSER_TIMEOUT * 1000)
        return time.perf_counter() - started

    def close(self) -> None:
        self._browser.close()
        self._pw.stop()


def harness_cold(home: Path, rounds: int, specs: list[Spec]) -> dict[str, list[float]]:
    """Each round on a fresh `harness ui`: the first request (it reads every
    `run.json`), then the long run's curves read for the first time, over HTTP on
    one fresh server and in Chromium on another."""
    out: dict[str, list[float]] = {"first request": [], "1M-point run: curves, cold": [],
                                   "chromium: 1M-point run, chart, cold": []}  # fmt: skip
    for _ in range(rounds):
        for kind in ("http", "chromium"):
            proc, base, token = start_harness(home)
            try:
                out["first request"].append(fetch(f"{base}/api/runs?facets=0&limit=1"))
                if kind == "http":
                    out["1M-point run: curves, cold"].append(
                        fetch(f"{base}/api/runs/{LONG_ID}/series")
                    )
                else:
                    browser = Browser(base, token)
                    try:
                        url, selector = browser_pages(base, None, None, specs, "")[
                            "harness: 1M-point run, chart"
                        ]
                        out["chromium: 1M-point run, chart, cold"].append(
                            browser.time(url, selector)
                        )
                    finally:
                        browser.close()
            finally:
                stop_harness(proc)
    return out


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--runs", type=int, default=None, help="runs in the workspace (default 100,000)")
    p.add_argument(
        "--points", type=int, default=None, help="points of the long run (default 1,000,000)"
    )
    p.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where the temporary workspaces go (deleted after)",
    )
    p.add_argument(
        "--no-mlflow",
        action="store_true",
        help="the harness side only (re-measuring a harness change; a full run with MLflow "
        "asks its runs search for minutes at 100,000 runs)",
    )
    opts = p.parse_args()
    # --quick (CI) checks that every side runs and answers correctly, at a size
    # where the MLflow side's runs search takes a second, not ten.
    runs = opts.runs or (500 if opts.quick else 100_000)
    points = opts.points or (20_000 if opts.quick else 1_000_000)
    http_rounds = opts.rounds or (2 if opts.quick else 11)
    browser_rounds = 1 if opts.quick else 5
    cold_rounds = 1 if opts.quick else 3
    history_rounds = 1 if opts.quick else 3
    specs = synthetic_runs(runs)
    total, top = expected_page(specs, PAGE)
    with tempfile.TemporaryDirectory(prefix="bench-ui-", dir=opts.workdir) as tmp:
        home = Path(tmp) / "home"
        print(f"writing {runs} runs and one of {points} points ...", file=sys.stderr)
        made_s = write_harness(home, specs, points)
        mlflow_figures: dict[str, Any] = {}
        store: mlf.Store | None = None
        if opts.no_mlflow:
            mlflow_figures["skipped"] = "--no-mlflow: the harness side only"
        else:
            try:
                store = mlf.write_store(Path(tmp) / "mlflow", specs, points)
                mlflow_figures["store_written_s"] = store.written_s
                started = time.perf_counter()
                mlf.check_store(store, specs, points, total, top)
                mlflow_figures["checked_through_MlflowClient_s"] = time.perf_counter() - started
            except Exception as exc:  # recorded plainly; the harness side is still measured
                mlflow_figures["store_failed"] = f"{type(exc).__name__}: {exc}"[:500]
                store = None
        print("cold rounds ...", file=sys.stderr)
        cold = harness_cold(home, cold_rounds, specs)
        load_before = os.getloadavg()
        proc, base, token = start_harness(home)
        mlflow_proc: subprocess.Popen[bytes] | None = None
        mlflow_base = None
        try:
            fetch(f"{base}/api/runs?facets=0&limit=1")
            check_harness(base, specs, points, total, top)
            if store is not None:
                try:
                    started = time.perf_counter()
                    mlflow_proc, mlflow_base = mlf.start_server(
                        store, Path(tmp) / "mlflow-server.log"
                    )
                    mlflow_figures["server_start_to_health_s"] = time.perf_counter() - started
                    mlflow_figures["first_request_s"] = request(
                        mlflow_base + "/api/2.0/mlflow/runs/search", mlf.runs_page_body(store, PAGE)
                    )[0]
                    check_mlflow_http(mlflow_base, store, specs, points, top)
                except Exception as exc:
                    mlflow_figures["server_failed"] = f"{type(exc).__name__}: {exc}"[:500]
                    mlflow_base = None
            compare = ",".join(s.id for s in specs[:50])
            sides: dict[str, Callable[[], float]] = {
                "harness: runs page (3 metric columns, sorted, expression filter)": lambda: fetch(f"{base}/api/runs?{RUNS_QUERY}&facets=0&limit={PAGE}"),
                "harness: runs page, newest 50": lambda: fetch(f"{base}/api/runs?columns={COLUMNS}&facets=0&limit={PAGE}"),
                "harness: compare 50 runs (curves downsampled)": lambda: fetch(f"{base}/api/compare?history=0&points={COMPARE_POINTS}&ids={compare}"),
                "harness: 1M-point run, curves (warm)": lambda: fetch(f"{base}/api/runs/{LONG_ID}/series"),
                "harness: 1M-point run, a zoomed range at full resolution": lambda: fetch(f"{base}/api/runs/{LONG_ID}/series?name=loss&xmin={zoom(points)[0]}&xmax={zoom(points)[1]}"),
            }  # fmt: skip
            if store is not None and mlflow_base is not None:
                mb, st = mlflow_base, store
                requests = mlf.compare_requests(st, [s.id for s in specs[:50]], COMPARE_POINTS)
                sides |= {
                    "mlflow: runs page (runs/search: filter, order by accuracy)": Guarded(lambda: request(mb + "/api/2.0/mlflow/runs/search", mlf.runs_page_body(st, PAGE))[0]),
                    "mlflow: runs page, newest 50": Guarded(lambda: request(mb + "/api/2.0/mlflow/runs/search", {"experiment_ids": list(st.experiment_ids.values()), "max_results": PAGE})[0]),
                    "mlflow: compare 50 runs (search by id + 3 sampled histories)": Guarded(lambda: sum(request(mb + path, body)[0] for path, body in requests)),
                    "mlflow: 1M-point run, sampled history": Guarded(lambda: fetch(mb + long_sampled(st))),
                    "mlflow: 1M-point run, a zoomed range at full resolution": Guarded(lambda: fetch(mb + long_zoomed(st, points))),
                }  # fmt: skip
            print("HTTP rounds ...", file=sys.stderr)
            samples = alternate(sides, http_rounds)
            server = {
                name: summary(values, getattr(sides[name], "error", None))
                for name, values in samples.items()
            }
            if store is not None and mlflow_base is not None:
                full = Guarded(
                    lambda: fetch(
                        mlflow_base
                        + "/api/2.0/mlflow/metrics/get-history?"
                        + urllib.parse.urlencode({"run_id": store.long_uuid, "metric_key": "loss"})
                    )
                )
                values = [full() for _ in range(history_rounds)]
                server["mlflow: 1M-point run, whole history (metrics/get-history)"] = summary(
                    values, full.error
                )
            print("Chromium rounds ...", file=sys.stderr)
            pages = browser_pages(base, store, mlflow_base, specs, top[0])
            browser = Browser(base, token)
            try:
                timers = {
                    name: Guarded(functools.partial(browser.time, *page))
                    for name, page in pages.items()
                }
                # one look first, recorded apart (workers and caches warm up); CI skips it
                first_visit = (
                    {}
                    if opts.quick
                    else {name: summary([timer()], timer.error) for name, timer in timers.items()}
                )
                calls: dict[str, Callable[[], float]] = dict(timers)
                shown = alternate(calls, browser_rounds)
            finally:
                browser.close()
        finally:
            stop_harness(proc)
            if mlflow_proc is not None:
                mlf.stop(mlflow_proc)
        load_after = os.getloadavg()
    chromium = {name: summary(values, timers[name].error) for name, values in shown.items()}
    chromium["harness: 1M-point run, chart, cold (fresh server)"] = summary(
        cold["chromium: 1M-point run, chart, cold"]
    )
    server["harness: 1M-point run, curves, cold (fresh server)"] = summary(
        cold["1M-point run: curves, cold"]
    )
    figures = {
        "runs": runs,
        "long_run_points": points,
        "runs_matching_filter": total,
        "workspace_written_s": made_s,
        "first_request_after_start_s": summary(cold["first request"]),
        "server_s": server,
        "chromium_s": chromium,
        "chromium_first_visit_s": first_visit,
        "mlflow": mlflow_figures,
        "targets_s": {
            "runs page server": 0.2,
            "runs page first row": 1.0,
            "compare 50": 1.0,
            "1M-point chart": 2.0,
        },
        "loadavg": {"before": load_before, "after": load_after},
        "cpus": os.cpu_count(),
    }
    record(opts.results, "ui_analysis_pages", figures, opts.quick)


if __name__ == "__main__":
    main()
