"""The dashboard's JSON API through Starlette's HTTP test client: the CLI's JSON
objects, filters, live events, damaged records, and the security rules."""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path

import pytest
from ui_helpers import TOKEN, write_run

from harness.run.record import FAILED, RUNNING
from harness.run.store import RunStore
from harness.storage.model_registry import ModelRegistry
from harness.testing import run_cli
from harness.ui.live import RunFollower

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from harness.ui.app import create_app
from harness.ui.security import Policy

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def client(home: Path, host: str = "127.0.0.1", token: bool = False) -> TestClient:
    app = create_app(home, Policy(token=TOKEN, host=host, port=5000))
    c = TestClient(app, base_url="http://127.0.0.1:5000")
    if token:
        assert c.get(f"/?token={TOKEN}", follow_redirects=False).status_code == 303
    return c


def cli_json(home: Path, *args: str):
    result = run_cli(*args, "--format", "json", home=home)
    assert result.returncode == 0, result.output
    return result.json()


def csrf(c: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": c.get("/api/session").json()["csrf"]}


# -- the same objects as the CLI -------------------------------------------------------
def test_run_objects_are_the_cli_json_objects(home):
    first = write_run(home, points={"loss": [3.0, 2.0], "acc": [0.1, 0.9]})
    second = write_run(home, experiment="other", tags={"team": "a"})
    ModelRegistry(home).register("m", RunStore(home).get(first), "outputs/model.bin", metrics={})
    c = client(home)
    listed = c.get("/api/runs").json()
    assert listed["runs"] == cli_json(home, "runs", "list")
    assert [r["id"] for r in listed["runs"]] == [second, first]  # newest first
    assert c.get(f"/api/runs/{first}").json() == cli_json(home, "runs", "show", first)
    assert c.get(f"/api/runs/{first}/metrics").json() == cli_json(home, "runs", "metrics", first)
    assert c.get(f"/api/runs/{first}/metrics/acc").json() == cli_json(
        home, "runs", "metrics", first, "acc"
    )
    assert c.get("/api/models").json() == cli_json(home, "models", "list")
    assert c.get("/api/models/m/1").json() == cli_json(home, "models", "show", "m:1")
    assert [m["version"] for m in c.get(f"/api/runs/{first}/models").json()] == [1]
    compared = c.get(f"/api/compare?ids={first},{second}").json()
    history = compared.pop("history")
    assert compared == cli_json(home, "runs", "compare", first, second)
    assert [p["value"] for p in history[first]["acc"]] == [0.1, 0.9]
    assert c.get("/api/datastores").json() == cli_json(home, "datastore", "ls")


def test_sweep_objects_are_the_cli_json_objects(home):
    result = run_cli(
        "train", "-m", "estimator.data.format=iris", "estimator.max_iter=200",
        "estimator.C=0.5,-1", home=home,
    )  # fmt: skip
    assert result.returncode == 1, result.output  # C=-1 fails
    c = client(home)
    (item,) = c.get("/api/sweeps").json()
    assert [item] == cli_json(home, "sweeps", "list")
    shown = c.get(f"/api/sweeps/{item['id']}").json()
    assert shown == cli_json(home, "sweeps", "show", item["id"])
    failed = [r for r in shown["runs"] if r["status"] == FAILED]
    assert failed and failed[0]["error"]  # the reason is there for the page to show


def test_filters_search_sort_and_pages(home):
    ids = [
        write_run(home, points={"acc": [v]}, params={"lr": v}, tags={"k": str(i)})
        for i, v in enumerate([0.3, 0.9, 0.1, 0.5])
    ]
    write_run(home, experiment="other", estimator="pytorch", points={"acc": [0.7]})
    c = client(home)
    page = c.get("/api/runs?experiment=exp&sort=acc&limit=2").json()
    assert page["total"] == 4 and [r["metrics"]["acc"] for r in page["runs"]] == [0.9, 0.5]
    page2 = c.get("/api/runs?experiment=exp&sort=acc&limit=2&offset=2").json()
    assert [r["metrics"]["acc"] for r in page2["runs"]] == [0.3, 0.1]
    asc = c.get("/api/runs?sort=acc&asc=1&limit=1").json()
    assert asc["runs"][0]["metrics"]["acc"] == 0.1
    assert c.get("/api/runs?estimator=pytorch").json()["total"] == 1
    assert [r["id"] for r in c.get("/api/runs?tag=k=2").json()["runs"]] == [ids[2]]
    assert [r["id"] for r in c.get("/api/runs?q=lr=0.9").json()["runs"]] == [ids[1]]
    assert c.get(f"/api/runs?q={ids[3][-6:]}").json()["total"] == 1
    assert c.get("/api/runs?status=failed").json()["total"] == 0
    assert set(page["facets"]["experiment"]) == {"exp", "other"}
    assert c.get("/api/runs?limit=abc").status_code == 400


# -- live ------------------------------------------------------------------------------
def test_follower_reads_only_appended_complete_lines(home):
    run_id = write_run(home, status=RUNNING, points={"loss": [1.0, 2.0]})
    folder = home / "runs" / run_id
    follower = RunFollower(folder)
    assert [p["value"] for p in follower.new_metrics()] == [1.0, 2.0]
    assert follower.new_metrics() == []
    with open(folder / "metrics" / "rank0-1.jsonl", "a") as handle:
        handle.write('{"name": "loss", "value": 3.0, "step": 2, "time": 9e9}\n{"name": "lo')
    assert [p["value"] for p in follower.new_metrics()] == [3.0]  # torn line waits
    with open(folder / "metrics" / "rank0-1.jsonl", "a") as handle:
        handle.write('ss", "value": 4.0, "step": 3, "time": 9e9}\n')
    assert [p["value"] for p in follower.new_metrics()] == [4.0]
    assert follower.new_logs() == {"stdout.txt": "hello from the job\n"}
    with open(folder / "logs" / "rank_1.txt", "w") as handle:
        handle.write("rank one\n")
    assert follower.new_logs() == {"rank_1.txt": "rank one\n"}


def test_event_stream_sends_status_points_and_logs_then_ends(home):
    run_id = write_run(home, points={"loss": [1.0, 0.5, 0.25]})
    with client(home).stream("GET", f"/api/runs/{run_id}/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    events = {}
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events[lines["event"]] = json.loads(lines["data"])
    assert events["run"]["status"] == "Completed" and events["run"]["id"] == run_id
    # the history first as curves (downsampled when long), later points as `metrics`
    assert events["series"]["metrics"]["loss"]["value"] == [1.0, 0.5, 0.25]
    assert events["series"]["metrics"]["loss"]["step"] == [0, 1, 2]
    assert events["logs"] == {"stdout.txt": "hello from the job\n"}
    assert events["end"] == {"id": run_id}


# -- damaged records -------------------------------------------------------------------
def test_damaged_records_are_shown_as_damaged_not_a_500(home):
    good = write_run(home)
    for name, content in [
        ("20260101-000000-aaaaaa", "{not json"),
        ("20260101-000000-bbbbbb", "[1, 2]"),
        ("20260101-000000-cccccc", None),
        ("20260101-000000-dddddd", "creating"),
    ]:
        (home / "runs" / name).mkdir()
        if content is None:  # no run.json for a minute: not a run being created
            os.utime(home / "runs" / name, (time.time() - 60, time.time() - 60))
        elif content != "creating":  # "creating": a fresh folder, run.json not yet written
            (home / "runs" / name / "run.json").write_text(content)
    c = client(home)
    listed = c.get("/api/runs").json()
    assert [r["id"] for r in listed["runs"]] == [good]
    assert {d["id"] for d in listed["damaged"]} == {
        "20260101-000000-aaaaaa",
        "20260101-000000-bbbbbb",
        "20260101-000000-cccccc",
    }
    for name in ("20260101-000000-aaaaaa", "20260101-000000-bbbbbb"):
        shown = c.get(f"/api/runs/{name}")
        assert shown.status_code == 200 and shown.json()["damaged"] is True
    with c.stream("GET", "/api/runs/20260101-000000-aaaaaa/events") as response:
        first = next(response.iter_lines())
    assert first == "event: run"
    damaged = "20260101-000000-aaaaaa"
    assert c.get(f"/api/runs/{damaged}/metrics").json() == {}
    assert c.get(f"/api/compare?ids={good},{damaged}").status_code == 409
    authed = client(home, token=True)
    tag = authed.post(f"/api/runs/{damaged}/tags", json={"tags": {"a": "1"}}, headers=csrf(authed))
    assert tag.status_code == 409 and "unreadable run record" in tag.json()["error"]
    assert c.get("/api/runs/20991231-000000-ffffff/events").status_code == 404
    assert c.get("/api/sweeps/20991231-000000-ffffff/events").status_code == 404
    assert c.get(f"/api/runs/{good[:9]}").status_code == 404  # never a prefix match
    # a torn metrics line in a good run is skipped, not an error
    with open(home / "runs" / good / "metrics" / "rank0-1.jsonl", "a") as handle:
        handle.write('{"name": "loss", "val')
    assert c.get(f"/api/runs/{good}").status_code == 200


# -- nothing outside HARNESS_HOME --------------------------------------------------------
def test_damaged_sweeps_and_model_versions_are_items_of_their_lists(home):
    from harness.sweeps.store import SweepStore

    runs = [write_run(home), write_run(home)]
    sweeps = SweepStore(home)
    good = sweeps.create(metric="loss", goal="minimize")
    for run_id in runs:
        sweeps.link_run(good.id, run_id, overrides=[f"x={run_id}"], metric="loss")
    link = home / "sweeps" / good.id / "runs" / f"{runs[1]}.json"
    link.write_text('{"run_id": 1}')
    bad = sweeps.create()
    (home / "sweeps" / bad.id / "sweep.json").write_text('{"id": "x"')
    registry = ModelRegistry(home)
    for name in ("a", "a", "c"):
        registry.register(name, RunStore(home).get(runs[0]), "outputs/model.bin", metrics={})
    for damaged in (home / "models" / "a" / "2", home / "models" / "c" / "1"):
        (damaged / "model.json").write_text("null")
    c = client(home)
    listed = c.get("/api/sweeps")
    assert listed.status_code == 200 and listed.json() == cli_json(home, "sweeps", "list")
    (item,) = [i for i in listed.json() if i["id"] == bad.id]
    assert item["damaged"] is True and str(home / "sweeps" / bad.id / "sweep.json") in item["error"]
    refused = c.get(f"/api/sweeps/{bad.id}")
    assert refused.status_code == 409 and "sweep.json" in refused.json()["error"]
    table = c.get(f"/api/sweeps/{good.id}").json()
    assert table == cli_json(home, "sweeps", "show", good.id)
    assert {(r["run_id"], r["status"]) for r in table["runs"]} == {
        (runs[0], "Completed"),
        (runs[1], "Damaged"),
    }
    models = c.get("/api/models")
    assert models.status_code == 200 and models.json() == cli_json(home, "models", "list")
    assert [[v.get("damaged", False) for v in m["versions"]] for m in models.json()] == [
        [False, True],
        [True],
    ]
    only_damaged = c.get("/api/models/c")
    assert only_damaged.status_code == 200 and only_damaged.json()["versions"][0]["damaged"]
    version = c.get("/api/models/a/2")
    assert version.status_code == 409 and "model.json" in version.json()["error"]
    assert c.get("/api/models/a/1").status_code == 200


def test_no_path_outside_the_workspace_is_readable(home, tmp_path):
    run_id = write_run(home)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    os.symlink(secret, home / "runs" / run_id / "outputs" / "link.txt")
    os.symlink(tmp_path, home / "runs" / run_id / "outputs" / "linkdir")
    c = client(home)
    bad = [
        f"/api/runs/{run_id}/files/outputs/../../../../secret.txt",
        f"/api/runs/{run_id}/files/outputs/%2e%2e/%2e%2e/%2e%2e/%2e%2e/secret.txt",
        f"/api/runs/{run_id}/files/outputs/link.txt",
        f"/api/runs/{run_id}/files/outputs/linkdir/secret.txt",
        f"/api/runs/{run_id}/files/run.json",
        f"/api/runs/{run_id}/files/job.json",
        "/api/runs/..%2F..%2Fsecret/metrics",
        "/api/runs/.index.json",
        "/api/runs/%2Fetc%2Fpasswd",
        "/api/sweeps/..",
        "/api/models/..%2F..",
        "/api/datastores/default?path=../../..",
        "/api/bench/..%2F..",
        f"/api/runs/{run_id[:8]}*",
    ]
    for url in bad:
        response = c.get(url)
        assert response.status_code in (400, 404), (url, response.status_code)
        assert "TOP SECRET" not in response.text
    ok = c.get(f"/api/runs/{run_id}/files/outputs/model.bin?download=1")
    assert ok.status_code == 200 and ok.content == b"\x00\x01model"
    assert "attachment" in ok.headers["content-disposition"]


# -- who may read and act --------------------------------------------------------------
def test_loopback_reads_need_no_token_but_actions_need_token_and_csrf(home):
    run_id = write_run(home)
    anonymous = client(home)
    assert anonymous.get("/api/runs").status_code == 200
    assert anonymous.get("/").status_code == 200
    assert anonymous.post(f"/api/runs/{run_id}/tags", json={"tags": {"a": "1"}}).status_code == 403
    assert anonymous.get("/api/session").json()["csrf"] is None
    # a DNS-rebinding page reaches the server under a foreign name: refused
    assert anonymous.get("/api/runs", headers={"Host": "evil.example:5000"}).status_code == 400
    assert anonymous.get(f"/?token={'x' * 26}", follow_redirects=False).status_code == 403

    c = client(home, token=True)
    url = f"/api/runs/{run_id}/tags"
    assert c.post(url, json={"tags": {"a": "1"}}).status_code == 403  # no CSRF token
    assert (
        c.post(url, json={"tags": {"a": "1"}}, headers={"X-CSRF-Token": "0" * 64}).status_code
        == 403
    )
    cross = {**csrf(c), "Origin": "http://evil.example"}
    assert c.post(url, json={"tags": {"a": "1"}}, headers=cross).status_code == 403
    assert RunStore(home).get(run_id).tags == {}  # nothing changed so far
    done = c.post(url, json={"tags": {"a": "1"}}, headers=csrf(c))
    assert done.status_code == 200 and done.json()["tags"] == {"a": "1"}
    assert RunStore(home).get(run_id).tags == {"a": "1"}
    bearer = client(home)
    headers = {"Authorization": f"Bearer {TOKEN}", "X-CSRF-Token": csrf(c)["X-CSRF-Token"]}
    assert bearer.post(url, json={"tags": {"b": "2"}}, headers=headers).status_code == 200


def test_other_binds_need_the_token_for_every_request(home):
    write_run(home)
    open_to_all = client(home, host="0.0.0.0")
    for url in ("/", "/api/runs", "/api/models", "/static/app.js"):
        assert open_to_all.get(url).status_code == 401, url
    assert open_to_all.get("/api/runs", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    with_cookie = client(home, host="0.0.0.0", token=True)
    assert with_cookie.get("/api/runs").status_code == 200


def test_register_and_cancel_through_the_api(home):
    run_id = write_run(home)
    c = client(home, token=True)
    made = c.post(
        f"/api/runs/{run_id}/register", json={"name": "net", "path": "outputs/model.bin"},
        headers=csrf(c),
    )  # fmt: skip
    assert made.status_code == 200, made.text
    assert made.json() == cli_json(home, "models", "show", "net:1")
    for body in (
        {"name": "../x", "path": "outputs/model.bin"},
        {"name": "net", "path": "outputs/../../../../etc/passwd"},
        {"name": "net", "path": "run.json"},
    ):
        response = c.post(f"/api/runs/{run_id}/register", json=body, headers=csrf(c))
        assert response.status_code == 400, body
    # cancel of a finished run: a clear refusal, the record untouched
    refused = c.post(f"/api/runs/{run_id}/cancel", headers=csrf(c))
    assert refused.status_code == 409 and "already Completed" in refused.json()["error"]


def test_run_index_sees_live_status_at_once_and_new_runs_within_a_full_scan(home):
    from harness.ui.runindex import RunIndex

    live = write_run(home, status=RUNNING)
    index = RunIndex(RunStore(home))
    records, _ = index.refresh()
    assert [(r.status, text.split()[0]) for r, text in records] == [(RUNNING, live)]
    generation = index.generation
    RunStore(home).set_status(live, FAILED, error="boom")
    newer = write_run(home)
    records, _ = index.refresh()  # quick path: the live run is re-read, no full scan
    assert [(r.id, r.status) for r, _ in records] == [(live, FAILED)]
    assert index.generation == generation + 1
    records, _ = index.refresh(full=True)
    assert [r.id for r, _ in records] == [newer, live]
    (home / "runs" / newer / "run.json").write_text("{torn")
    records, damaged = index.refresh(full=True)
    assert [r.id for r, _ in records] == [live] and [d.id for d in damaged] == [newer]


WRITER = """
import sys, time
from harness.run.metrics import MetricEvent, append_events
from harness.run.store import RunStore
store = RunStore()
record = store.create(experiment="busy", estimator="sklearn", compute="local")
store.set_status(record.id, "Running")
for step in range(150):  # ~3 s of writing: long enough to overlap the readers on a busy CI
    append_events(record.path / "metrics" / "rank0-1.jsonl",
                  [MetricEvent("loss", 1.0 / (step + 1), step, time.time())])
    if step % 10 == 0:
        store.set_tags(record.id, {"step": str(step)})
    time.sleep(0.02)
store.set_status(record.id, "Completed")
"""


def test_pages_keep_answering_while_16_runs_are_written_at_once(home):
    import subprocess
    import sys

    c = client(home)
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER], env={**os.environ}) for _ in range(16)
    ]
    answered = 0
    try:
        while any(w.poll() is None for w in writers):
            listed = c.get("/api/runs?limit=100")
            assert listed.status_code == 200
            assert listed.json()["damaged"] == []  # atomic replaces: never half a record
            for run in listed.json()["runs"][:4]:
                for url in (f"/api/runs/{run['id']}", f"/api/runs/{run['id']}/metrics"):
                    response = c.get(url)
                    assert response.status_code == 200, (url, response.text)
                    assert "damaged" not in response.json()
                    answered += 1
    finally:
        for writer in writers:
            writer.wait(120)
    assert [w.returncode for w in writers] == [0] * 16
    assert answered > 0
    final = c.get("/api/runs?limit=100").json()
    assert final["total"] == 16 and {r["status"] for r in final["runs"]} == {"Completed"}
    assert all(len(r["metrics"]) == 1 and r["tags"] == {"step": "140"} for r in final["runs"])


def test_bench_results_are_listed_and_served_whole(home):
    from harness.bench.report import write_all

    doc = {
        "id": "20260102-030405-abcdef",
        "suite": "ci",
        "target_accuracy": 0.8,
        "sweep_id": None,
        "interrupted": False,
        "machine": {"cpus": 2, "gpu": None, "platform": "Linux", "python": "3.11"},
        "description": "a hand-made suite result",
        "cells": [
            {
                "key": "sklearn/digits/default",
                "estimator": "sklearn",
                "dataset": "digits",
                "setting": "default",
                "status": "Completed",
                "final_accuracy": 0.95,
                "curve": [[0.5, 0.9], [1.0, 0.95]],
                "run_id": None,
            }
        ],
    }
    folder = home / "bench" / doc["id"]
    folder.mkdir(parents=True)
    write_all(doc, folder)  # the bench's own writer: results.json, .md, .png
    (home / "bench" / "20260102-000000-bbbbbb").mkdir()
    (home / "bench" / "20260102-000000-bbbbbb" / "results.json").write_text("{")
    c = client(home)
    listed = c.get("/api/bench").json()
    assert [(b["id"], b["cells"]) for b in listed] == [(doc["id"], 1)]  # the broken one left out
    assert c.get(f"/api/bench/{doc['id']}").json() == doc
    broken = c.get("/api/bench/20260102-000000-bbbbbb")
    assert broken.status_code == 409 and "damaged" in broken.json()["error"]
    assert c.get("/api/bench/20990101-000000-000000").status_code == 404


def test_a_datastore_file_is_previewed_and_downloaded_through_the_datastore(home, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "table.csv").write_text("a,b\n1,2\n3,4\n")
    uploaded = run_cli("datastore", "upload", str(folder), "--target", "sets/t", home=home)
    assert uploaded.returncode == 0, uploaded.output
    c = client(home)
    listed = c.get("/api/datastores/default?path=sets/t").json()
    assert "sets/t/table.csv" in [f["path"] for f in listed]
    shown = c.get("/api/datastores/default/preview?path=sets/t/table.csv")
    assert shown.status_code == 200, shown.text
    assert shown.json()["kind"] == "table"
    assert shown.json()["columns"] == ["a", "b"]
    assert shown.json()["rows"] == [["1", "2"], ["3", "4"]]
    got = c.get("/api/datastores/default/file?path=sets/t/table.csv&download=1")
    assert got.status_code == 200 and got.content == b"a,b\n1,2\n3,4\n"
    assert got.headers["content-disposition"].startswith("attachment")
    # only a key the datastore lists: no path built from the URL
    outside = c.get("/api/datastores/default/file?path=sets/t/../../../etc/passwd")
    assert outside.status_code == 400, outside.text
    assert "contains '..'" in outside.json()["error"]
    assert c.get("/api/datastores/default/file?path=sets/t/nothing.csv").status_code == 404
