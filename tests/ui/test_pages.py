"""The dashboard's pages for analysis, in headless Chromium against the real
`harness ui`: the runs table, a run's numbers and previews, compare, models,
environments, bench, small screens, dark mode and accessibility (axe-core)."""

from __future__ import annotations

import json
import re
import struct
import threading
import time
import zlib
from datetime import datetime, timezone
from pathlib import Path

from playwright.sync_api import expect
from ui_helpers import screenshot, write_run

from harness.run.metrics import MetricEvent, append_events
from harness.run.record import COMPLETED, FAILED, RUNNING
from harness.run.store import RunStore
from harness.storage.model_registry import ModelRegistry
from harness.testing import run_cli

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


def open_page(page, hash_: str) -> None:
    page.goto(page.url.split("#")[0] + hash_)


def row_ids(page) -> list[str]:
    return page.locator("table.runs tbody tr[data-run]").evaluate_all(
        "rows => rows.map(r => r.dataset.run)"
    )


def png(width: int, height: int) -> bytes:
    """A real PNG (grey), written by hand so the test needs no imaging library."""
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_runs_table_columns_sort_filter_pages_and_live_rows(home, browser_page):
    page = browser_page
    store = RunStore(home)
    ids = {}
    for i, (acc, lr) in enumerate([(0.91, 0.001), (0.97, 0.1), (0.85, 0.005), (0.93, 0.05)]):
        ids[i] = write_run(
            home, points={"accuracy": [acc], "loss": [1.0, 0.5 - i / 10]}, params={"lr": lr}
        )
    live = write_run(home, status=RUNNING, points={"loss": [0.9]}, params={"lr": 0.2})
    started = datetime.fromtimestamp(time.time() - 5, timezone.utc).isoformat()
    store.update(live, lambda r: setattr(r, "started", started))
    open_page(page, "#/runs")
    expect(page.locator('th[data-col="metrics.accuracy"]')).to_be_visible()
    expect(page.locator('th[data-col="metrics.loss"]')).to_be_visible()
    # a column per param, chosen in the chooser and kept in the URL
    page.locator("#columns summary").click()
    page.locator('input[data-column="params.lr"]').check()
    expect(page.locator(f'tr[data-run="{ids[2]}"] td[data-col="params.lr"]')).to_have_text("0.005")
    assert "cols=" in page.url and "params.lr" in page.url
    page.reload()
    expect(page.locator('th[data-col="params.lr"]')).to_be_visible()
    # click a header to sort (keyboard: the header is a button)
    page.locator('th[data-col="metrics.accuracy"] button').focus()
    page.keyboard.press("Enter")
    expect(page.locator("table.runs tbody tr").first).to_have_attribute("data-run", ids[1])
    assert row_ids(page)[:4] == [ids[1], ids[3], ids[0], ids[2]]
    # the expression filter applies as you type, no Apply button
    page.locator("#filter").fill("metrics.accuracy > 0.9 and params.lr < 0.01")
    expect(page.locator("table.runs tbody tr[data-run]")).to_have_count(1)
    assert row_ids(page) == [ids[0]]
    page.locator("#filter").fill("metrics.accuracy >")
    expect(page.locator("#filter-error")).to_contain_text("filter:")
    page.locator("#filter").fill("")
    expect(page.locator("table.runs tbody tr[data-run]")).to_have_count(5)
    # fixed-height rows, and the page fits a 1280 px window
    heights = page.locator("table.runs tbody tr").evaluate_all(
        "rows => rows.map(r => Math.round(r.getBoundingClientRect().height))"
    )
    assert max(heights) - min(heights) <= 1 and max(heights) <= 36, heights
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    # a running row: its duration ticks, its latest metric and status follow the files
    cell = page.locator(f'tr[data-run="{live}"] td[data-col="duration"]')
    first = cell.inner_text()
    expect(cell).not_to_have_text(first, timeout=5000)
    append_events(
        home / "runs" / live / "metrics" / "rank0-9.jsonl",
        [MetricEvent("loss", 0.123, 1, time.time())],
    )
    expect(page.locator(f'tr[data-run="{live}"] td[data-col="metrics.loss"]')).to_have_text("0.123")
    store.set_status(live, COMPLETED)
    expect(page.locator(f'tr[data-run="{live}"] td[data-col="status"]')).to_have_text("Completed")
    screenshot(page, "runs")


def test_runs_table_pages_with_size_and_jump(home, browser_page):
    page = browser_page
    made = [write_run(home, points={"loss": [float(i)]}) for i in range(30)]
    open_page(page, "#/runs")
    expect(page.locator("table.runs tbody tr[data-run]")).to_have_count(30)
    page.locator("#page-size").select_option("25")
    expect(page.locator("table.runs tbody tr[data-run]")).to_have_count(25)
    page.locator("#page-jump").fill("2")
    page.locator("#page-jump").press("Enter")
    expect(page.locator("table.runs tbody tr[data-run]")).to_have_count(5)
    assert row_ids(page) == list(reversed(made))[25:]
    expect(page.locator("#pager-info")).to_contain_text("page 2 of 2")


def test_run_page_shows_numbers_first_and_charts_only_curves(home, browser_page):
    page = browser_page
    now = time.time()
    run_id = write_run(
        home,
        points={"loss": [1.0, 0.5, 0.25, 0.2], "accuracy": [0.93], "epoch": [0, 1, 2, 3]},
        params={"lr": 0.01, "estimator": {"C": 2.5, "solver": "saga"}},
    )
    append_events(
        home / "runs" / run_id / "metrics" / "rank0-7.jsonl",
        [MetricEvent("system/cpu_percent", 40.0 + i, i, now + i) for i in range(5)],
    )
    open_page(page, f"#/runs/{run_id}")
    row = page.locator('tr[data-metric-row="loss"]')
    expect(row).to_contain_text("0.2")  # last
    assert [c.strip() for c in row.locator("td").all_inner_texts()] == [
        "loss",
        "0.2",
        "0.2",
        "1",
        "4",
    ]
    expect(page.locator('tr[data-metric-row="accuracy"]')).to_contain_text("0.93")
    assert page.locator('.chart[data-metric="accuracy"]').count() == 0  # a number, not a chart
    expect(page.locator('.chart[data-metric="loss"]')).to_have_attribute("data-points", "4")
    expect(
        page.locator('#system-charts .chart[data-metric="system/cpu_percent"]')
    ).to_have_attribute("data-points", "5")
    # the searchable params table
    page.locator("#params-search").fill("solver")
    expect(page.locator("tr[data-param]:visible")).to_have_count(1)
    expect(page.locator("tr[data-param]:visible")).to_contain_text("saga")
    # hovering a chart shows the value under the cursor
    page.locator('.chart[data-metric="loss"] .u-over').hover()
    legend = page.locator('.chart[data-metric="loss"] .u-legend .u-series').nth(1)
    expect(legend.locator(".u-value")).to_have_text(re.compile(r"^[0-9.]+$"))
    # log scale, smoothing and the time axes redraw every chart
    page.locator("#log-y").check()
    page.locator("#x-axis").select_option("relative")
    expect(page.locator('.chart[data-metric="loss"] .u-axis').first).to_be_visible()
    expect(page.locator('.chart[data-metric="loss"]')).to_have_attribute("data-points", "4")
    expect(page.locator("#run-duration")).not_to_have_text("")
    assert page.locator("#cancel").count() == 0  # a finished run cannot be canceled
    screenshot(page, "run")


def test_failed_run_opens_stderr_and_a_tab_click_holds_while_logs_arrive(home, browser_page):
    page = browser_page
    failed = write_run(home, status=FAILED)
    (home / "runs" / failed / "logs" / "stderr.txt").write_text("Traceback: ValueError: bad C\n")
    open_page(page, f"#/runs/{failed}")
    expect(page.locator("#logtabs button.active")).to_have_text("stderr.txt")
    expect(page.locator("#logtext")).to_contain_text("ValueError")
    # a running run that logs all the time: a click on a tab is not lost
    running = write_run(home, status=RUNNING)
    log = home / "runs" / running / "logs" / "stdout.txt"
    (home / "runs" / running / "logs" / "stderr.txt").write_text("warning\n")
    stop = threading.Event()

    def chatter() -> None:
        n = 0
        while not stop.is_set():
            with open(log, "a") as handle:
                handle.write(f"line {n}\n")
            n += 1
            time.sleep(0.05)

    writer = threading.Thread(target=chatter, daemon=True)
    writer.start()
    try:
        open_page(page, f"#/runs/{running}")
        expect(page.locator("#logtabs button.active")).to_have_text("stdout.txt")
        expect(page.locator("#logtext")).to_contain_text("line 3")
        for _ in range(5):  # each click lands, though the text keeps changing
            page.locator('#logtabs button[data-log="stderr.txt"]').click()
            expect(page.locator("#logtabs button.active")).to_have_text("stderr.txt")
            page.locator('#logtabs button[data-log="stdout.txt"]').click()
            expect(page.locator("#logtabs button.active")).to_have_text("stdout.txt")
        page.wait_for_timeout(1500)
        expect(page.locator("#logtabs button.active")).to_have_text("stdout.txt")
    finally:
        stop.set()
        writer.join()


def test_output_previews(home, browser_page):
    page = browser_page
    run_id = write_run(home)
    out = home / "runs" / run_id / "outputs"
    (out / "scores.csv").write_text("label,recall\n0,0.97\n1,0.95\n")
    (out / "summary.json").write_text('{"best": {"C": 1.0, "acc": 0.97}}')
    (out / "notes.txt").write_text("first line\nsecond line\n")
    (out / "big.png").write_bytes(png(3000, 40))
    open_page(page, f"#/runs/{run_id}")
    page.locator('[data-preview="outputs/scores.csv"]').click()
    table = page.locator('table[data-preview-of="outputs/scores.csv"]')
    expect(table.locator("th")).to_have_text(["label", "recall"])
    expect(table.locator("tbody tr")).to_have_count(2)
    page.locator('[data-preview="outputs/summary.json"]').click()
    expect(page.locator('pre[data-preview-of="outputs/summary.json"]')).to_contain_text('"best": {')
    page.locator('[data-preview="outputs/notes.txt"]').click()
    expect(page.locator('ol[data-preview-of="outputs/notes.txt"] li')).to_have_text(
        ["first line", "second line"]
    )
    page.locator('[data-preview="outputs/big.png"]').click()
    image = page.locator('img[data-preview-of="outputs/big.png"]')
    expect(image).to_be_visible()
    assert image.evaluate("i => i.naturalWidth") == 3000
    assert image.bounding_box()["width"] <= 1280  # fitted; a click shows it at size
    image.click()
    expect(image).to_have_class(re.compile("actual"))
    assert image.bounding_box()["width"] == 3000
    page.locator('[data-preview="outputs/model.bin"]').click()
    expect(page.locator('[data-preview-of="outputs/model.bin"]')).to_contain_text("download")
    screenshot(page, "run-preview")


def test_rerun_button_runs_the_recorded_config_again(home, browser_page):
    page = browser_page
    trained = run_cli("train", "estimator.data.format=iris", "estimator.max_iter=200", home=home)
    assert trained.returncode == 0, trained.output
    (first,) = run_cli("runs", "list", "--format", "json", home=home).json()
    open_page(page, f"#/runs/{first['id']}")
    page.locator("#rerun").click()
    expect(page.locator("h1 .mono")).not_to_have_text(first["id"])
    expect(page.locator("#run-status")).to_have_text("Completed", timeout=120_000)
    runs = run_cli("runs", "list", "--format", "json", home=home).json()
    assert len(runs) == 2
    again = next(r for r in runs if r["id"] != first["id"])
    assert again["tags"].get("rerun_of") == first["id"]
    assert again["metrics"]["accuracy"] == first["metrics"]["accuracy"]


def test_compare_one_colour_per_run_diff_scatter_and_parallel(home, browser_page):
    page = browser_page
    ids = [
        write_run(home, points={"loss": loss, "accuracy": [acc]}, params={"lr": lr, "seed": 1})
        for loss, acc, lr in (
            ([1.0, 0.6, 0.4], 0.9, 0.1),
            ([1.0, 0.8, 0.7], 0.8, 0.01),
            ([1.0, 0.5, 0.3], 0.95, 0.05),
        )
    ]
    open_page(page, "#/compare?ids=" + ",".join(ids))
    expect(page.locator('.chart[data-metric="loss"]')).to_have_attribute("data-points", "9")
    colours = [
        json.loads(el.get_attribute("data-colors"))
        for el in page.locator("#compare-charts .chart[data-metric]").all()
    ]
    colours.append(json.loads(page.locator("#scatter").get_attribute("data-colors")))
    for run_id in ids:
        assert len({c[run_id] for c in colours if run_id in c}) == 1, colours
    assert len({colours[0][i] for i in ids}) == 3
    best = page.locator('tr.metric-row[data-metric="accuracy"] td.better')
    expect(best).to_have_text("0.95")
    expect(page.locator('tr.metric-row[data-metric="loss"] td.better')).to_have_text("0.3")
    expect(page.locator("#scatter")).to_have_attribute("data-points", "3")
    # a goal the runs' records say wins over the name's guess ("loss" reads as lower)
    store = RunStore(home)
    for run_id in ids:
        store.update(
            run_id, lambda r: r.extra.update(primary={"metric": "loss", "goal": "maximize"})
        )
    page.reload()
    row = page.locator('tr.metric-row[data-metric="loss"]')
    expect(row.locator("td.better")).to_have_text("0.7")
    expect(row.locator("th")).to_contain_text("higher is better")
    page.locator("#scatter-x").select_option("params.lr")
    page.locator("#scatter-y").select_option("metrics.accuracy")
    assert "x=params.lr" in page.url and "y=metrics.accuracy" in page.url
    expect(page.locator("#parallel")).to_have_attribute("data-points", "3")
    shared = page.url
    page.goto(shared)
    expect(page.locator("#scatter-x")).to_have_value("params.lr")
    screenshot(page, "compare")


def test_model_aliases_edit_and_versions_diff(home, browser_page):
    page = browser_page
    registry = ModelRegistry(home)
    store = RunStore(home)
    first, second = write_run(home), write_run(home)
    (home / "runs" / second / "outputs" / "model.bin").write_bytes(b"other model")
    registry.register("net", store.get(first), "outputs/model.bin", metrics={"accuracy": 0.9})
    registry.register("net", store.get(second), "outputs/model.bin", metrics={"accuracy": 0.95})
    open_page(page, "#/models/net")
    page.locator('#alias-form input[name="alias"]').fill("production")
    page.locator('#alias-form select[name="version"]').select_option("1")
    page.locator("#alias-form button").click()
    expect(page.locator('#aliases .alias[data-alias="production"]')).to_contain_text("→ 1")
    assert registry.get("net@production").version == 1
    page.locator('button.remove-alias[data-alias="production"]').click()
    expect(page.locator('#aliases .alias[data-alias="production"]')).to_have_count(0)
    assert run_cli("models", "show", "net@production", home=home).returncode == 2
    diff = page.locator("table.version-diff")
    expect(diff.locator("tr.changed", has_text="sha256")).to_have_count(1)
    expect(diff.locator("tr.changed", has_text="metric accuracy")).to_contain_text("0.95")
    expect(page.locator(".model-env").first).to_contain_text("harness's own environment")
    screenshot(page, "model")


def test_damaged_sweeps_and_model_versions_are_rows_on_their_pages(home, browser_page):
    from harness.sweeps.store import SweepStore

    page = browser_page
    runs = [write_run(home, points={"loss": [0.5]}), write_run(home, points={"loss": [0.25]})]
    sweeps = SweepStore(home)
    good = sweeps.create(metric="loss", goal="minimize")
    for run_id in runs:
        sweeps.link_run(good.id, run_id, overrides=[f"x={run_id[-2:]}"], metric="loss")
    (home / "sweeps" / good.id / "runs" / f"{runs[1]}.json").write_text("[]")
    bad = sweeps.create()
    (home / "sweeps" / bad.id / "sweep.json").write_text("{")
    registry = ModelRegistry(home)
    for name in ("net", "net", "old"):
        registry.register(name, RunStore(home).get(runs[0]), "outputs/model.bin", metrics={})
    (home / "models" / "net" / "2" / "model.json").write_text("{")
    (home / "models" / "old" / "1" / "model.json").write_text("{")
    open_page(page, "#/sweeps")
    damaged = page.locator(f'table.sweeps tr.damaged[data-sweep="{bad.id}"]')
    expect(damaged).to_contain_text("Damaged")
    expect(damaged).to_contain_text("sweep.json")
    expect(page.locator(f'table.sweeps tr[data-sweep="{good.id}"]')).to_contain_text("1 damaged")
    open_page(page, f"#/sweeps/{good.id}")
    expect(page.locator(f'table.sweep tr.damaged[data-run="{runs[1]}"]')).to_contain_text("Damaged")
    expect(page.locator(f'table.sweep tr[data-run="{runs[0]}"]')).to_contain_text("Completed")
    open_page(page, f"#/sweeps/{bad.id}")
    expect(page.locator("main p.error")).to_contain_text("sweep.json")
    open_page(page, "#/models")
    expect(page.locator('table.models tr.damaged[data-version="2"]')).to_contain_text("net")
    expect(page.locator("table.models tr.damaged")).to_have_count(2)  # net:2, old:1
    expect(page.locator("table.models tr", has_text="net").first).to_contain_text("1")
    open_page(page, "#/models/net")
    expect(page.locator('section.version.damaged[data-version="2"]')).to_contain_text("Damaged")
    expect(page.locator('#alias-form select[name="version"] option')).to_have_count(1)
    screenshot(page, "damaged-model")


def test_environments_page_lists_packages_and_runs(home, browser_page):
    page = browser_page
    env_hash = "a" * 16
    folder = home / "envs" / env_hash
    folder.mkdir(parents=True)
    record = {"hash": env_hash, "name": "tab", "version": 1, "python": "3.11.2",
              "requirements": ["tabulate==0.9.0"], "packages": ["tabulate==0.9.0"],
              "built": "2026-12-01T10:00:00+0000", "build_s": 2.5}  # fmt: skip
    (folder / "harness-env.json").write_text(json.dumps(record))
    (folder / ".last-used").touch()
    user = write_run(home)
    RunStore(home).update(
        user, lambda r: r.provenance.update(environment={"hash": env_hash, "name": "tab"})
    )
    open_page(page, "#/environments")
    card = page.locator(f'section.env[data-hash="{env_hash}"]')
    expect(card).to_contain_text("tab:1")
    expect(card.locator(".packages")).to_contain_text("tabulate==0.9.0")
    expect(card.locator(f'.env-runs a[href="#/runs/{user}"]')).to_have_count(1)
    open_page(page, "#/bench")  # and the bench page says how to make results
    expect(page.locator(".empty")).to_contain_text("harness bench run")


def test_small_screen_resize_and_dark_mode(home, browser_page):
    page = browser_page
    run_id = write_run(home, points={"loss": [1.0, 0.5, 0.2, 0.1]}, tags={"a": "b" * 60})
    other = write_run(home, points={"loss": [1.0, 0.7]})
    for hash_ in ("#/runs", f"#/runs/{run_id}", f"#/compare?ids={run_id},{other}", "#/models"):
        page.set_viewport_size({"width": 390, "height": 844})
        open_page(page, hash_)
        page.locator("main h1").wait_for()
        page.wait_for_timeout(300)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (hash_, width)
    screenshot(page, "compare-390px")
    page.set_viewport_size({"width": 1280, "height": 900})
    open_page(page, f"#/runs/{run_id}")
    canvas = page.locator('.chart[data-metric="loss"] canvas')
    canvas.wait_for()
    chart = page.locator('.chart[data-metric="loss"]')

    def fits() -> bool:  # the drawing is as wide as its box
        return abs(canvas.bounding_box()["width"] - chart.bounding_box()["width"]) <= 4

    wide = canvas.bounding_box()["width"]
    assert fits()
    page.set_viewport_size({"width": 700, "height": 900})  # one column: the box changes
    deadline = time.monotonic() + 10
    while not (fits() and abs(canvas.bounding_box()["width"] - wide) > 20):
        assert time.monotonic() < deadline, (wide, canvas.bounding_box(), chart.bounding_box())
        page.wait_for_timeout(100)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(color_scheme="dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    channels = [int(x) for x in re.findall(r"\d+", background)[:3]]
    assert sum(channels) < 150, background
    screenshot(page, "run-dark")
    page.emulate_media(color_scheme="light")


def test_axe_finds_no_serious_accessibility_violations(home, browser_page):
    page = browser_page
    run_id = write_run(home, points={"loss": [1.0, 0.5]})
    other = write_run(home, points={"loss": [1.0, 0.7]})
    ModelRegistry(home).register("net", RunStore(home).get(run_id), "outputs/model.bin", metrics={})
    found = {}
    for name, hash_ in (
        ("runs", "#/runs"),
        ("run", f"#/runs/{run_id}"),
        ("compare", f"#/compare?ids={run_id},{other}"),
        ("sweeps", "#/sweeps"),
        ("models", "#/models"),
        ("model", "#/models/net"),
        ("datastores", "#/datastores"),
        ("environments", "#/environments"),
        ("bench", "#/bench"),
    ):
        open_page(page, hash_)
        page.locator(f'body[data-page^="{hash_[2:].split("/")[0].split("?")[0]}"]').wait_for()
        page.wait_for_timeout(300)
        page.evaluate(AXE.read_text())  # the page's CSP allows no inline script tag
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        serious = [
            f"{v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['html'][:120]})"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if serious:
            found[name] = serious
    assert not found, found


def test_a_late_answer_never_draws_over_the_next_page(home, browser_page):
    """Every page draws into a view of its own (app.js): the models list's answer,
    held back until the datastores page has been drawn, lands in a view that is no
    longer in the document, whatever the page, live parts or not."""
    page = browser_page
    write_run(home)
    held = []
    page.route("**/api/models", lambda route: held.append(route))
    open_page(page, "#/models")
    expect(page.locator("main")).to_contain_text("loading")
    open_page(page, "#/datastores")
    page.locator('body[data-page="datastores"]').wait_for()
    page.locator("main h1").wait_for()
    assert len(held) == 1, "the models request was not held"
    held[0].continue_()
    page.wait_for_timeout(1000)  # the models answer arrives and its page code runs
    expect(page.locator("main h1")).not_to_contain_text("Models")
    assert page.evaluate("document.body.dataset.page") == "datastores"
    assert page.locator("main > .view").count() == 1
