"""One check per input kind (harness/inputs.py): the CLI, the Python API and the
dashboard accept and refuse the same things, in one line; and the data file a job
reads is checked before training (exit 2, the run discarded), not deep inside it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest
from faultkit import assert_user_error, make_run, tree

from harness.testing import harness_executable, run_cli

CSV_HEADER = "a,b,label\n"
BAD_DATA = {
    "csv-text-cell": ("data.csv", CSV_HEADER + "1,2,0\n1,x,1\n3,4,0\n", "line 3, column 'b'"),
    "csv-ragged": ("data.csv", CSV_HEADER + "1,2,0\n1,2\n3,4,0\n", "not a readable CSV"),
    "csv-header-only": ("data.csv", CSV_HEADER, "at least two rows"),
    "csv-binary": ("data.csv", b"\xff\xfe\x00garbage\n", "not a readable CSV"),
    "csv-no-target": ("data.csv", CSV_HEADER + "1,2,0\n3,4,1\n", "no column 'target'"),
    "npz-not-a-zip": ("data.npz", b"not a zip at all", "not a readable npz"),
    "npz-missing-y": ("data.npz", "X-only", "arrays named X and y"),
    "npz-length-mismatch": ("data.npz", "mismatch", "X has 4 rows and y 3"),
    "npz-pickled-objects": ("data.npz", "objects", "not a readable npz"),
}


def _write(path, content) -> None:
    import numpy as np

    if content == "X-only":
        np.savez(path, X=np.zeros((4, 2)))
    elif content == "mismatch":
        np.savez(path, X=np.zeros((4, 2)), y=np.zeros(3))
    elif content == "objects":
        np.savez(path, X=np.array([{"a": 1}] * 4, dtype=object), y=np.zeros(4))
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)


@pytest.mark.parametrize("case", sorted(BAD_DATA))
def test_a_bad_data_file_is_exit_2_before_training(home, tmp_path, case):
    name, content, words = BAD_DATA[case]
    data = tmp_path / name
    _write(data, content)
    extra = ["estimator.data.target=target"] if case == "csv-no-target" else []
    before_runs = sorted(p.name for p in (home / "runs").glob("*")) if home.exists() else []
    result = run_cli("train", f"estimator.data.path={data}", *extra, home=home, cwd=tmp_path)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert result.returncode == 2, result.output
    assert "Traceback" not in result.output, result.output
    assert lines[-1].startswith("harness: error: ") and str(data) in lines[-1], result.output
    assert words in lines[-1], result.output
    after = sorted(p.name for p in (home / "runs").glob("2*"))
    assert after == [r for r in before_runs if r.startswith("2")], "the refused run is discarded"


def test_a_good_csv_still_trains(home, tmp_path):
    rows = "".join(f"{i % 7},{(i * 3) % 5},{i % 2}\n" for i in range(40))
    (tmp_path / "data.csv").write_text(CSV_HEADER + rows)
    result = run_cli("train", f"estimator.data.path={tmp_path / 'data.csv'}", home=home)
    assert result.returncode == 0, result.output


# -- the same answers from the CLI and the Python API ------------------------------------
def _api(home, code: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HARNESS_HOME=str(home))
    env.pop("HARNESS_JOB_SPEC", None)
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )


API_CASES = {
    "empty-experiment": (
        "from harness import Experiment\nExperiment('')",
        ["train", "experiment="],
        "experiment name",
    ),
    "empty-tag-key": (
        "from harness.sdk.run import Run\nRun.get('{run}').set_tags({{'': 'v'}})",
        ["runs", "tag", "{run}", "=v"],
        "",
    ),
    "bogus-status": (
        "from harness.sdk.listing import list_runs\nlist_runs(status='Bogus')",
        ["runs", "list", "--status", "Bogus"],
        "Bogus",
    ),
    "huge-tag": (
        "from harness.sdk.run import Run\nRun.get('{run}').set_tags({{'k': 'x' * 20_000_000}})",
        ["runs", "tag", "{run}", "k=" + "x" * 6000],
        "5,000",
    ),
    "huge-property": (
        "from harness.sdk.run import Run\nRun.get('{run}').add_properties({{'p': 'x' * 6000}})",
        None,
        "5,000",
    ),
}


@pytest.mark.parametrize("case", sorted(API_CASES))
def test_the_python_api_refuses_what_the_cli_refuses(home, tmp_path, case):
    run_dir = make_run(home)
    code, cli_args, words = API_CASES[case]
    before = tree(home)
    result = _api(home, code.format(run=run_dir.name))
    assert result.returncode != 0, result.stdout + result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("harness.errors.ConfigError: "), result.stderr
    assert words in last, last
    if cli_args is not None:
        cli = run_cli(*[a.replace("{run}", run_dir.name) for a in cli_args], home=home)
        assert_user_error(cli, words)
    before.pop(str(home / "runs" / ".index.json"), None)
    after = tree(home)
    after.pop(str(home / "runs" / ".index.json"), None)
    assert after == before, sorted(set(after) ^ set(before))
    assert json.loads((run_dir / "run.json").read_text())["tags"] == {}


# -- and from the dashboard: HTTP 400 with a one-line JSON error ---------------------------
@pytest.fixture
def dashboard(home):
    import re
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, HARNESS_HOME=str(home))
    proc = subprocess.Popen(
        [harness_executable(), "ui", "--port", str(port), "--token", "t0ken-of-the-fault-suite"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        base = None
        while time.monotonic() < deadline and base is None:
            line = proc.stdout.readline()
            found = re.search(r"(http://\S+?)/\?token=", line or "")
            base = found.group(1) if found else base
            if not line and proc.poll() is not None:
                break
        assert base, "harness ui did not start"
        client = httpx.Client(base_url=base, headers={"Origin": base})
        client.get("/?token=t0ken-of-the-fault-suite")
        client.headers["X-CSRF-Token"] = client.get("/api/session").json()["csrf"]
        yield client
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_dashboard_refuses_the_same_inputs_in_one_line(home, dashboard):
    run_dir = make_run(home)
    for response in (
        dashboard.get("/api/runs", params={"status": "Bogus"}),
        dashboard.post(f"/api/runs/{run_dir.name}/tags", json={"tags": {"k": "x" * 6000}}),
        dashboard.post(
            f"/api/runs/{run_dir.name}/tags",
            content=json.dumps({"tags": {"k": "x" * (20 << 20)}}),
            headers={"Content-Type": "application/json"},
        ),
        dashboard.post(f"/api/runs/{run_dir.name}/tags", json={"tags": {"a\x1bb": "v"}}),
    ):
        assert response.status_code == 400, (response.status_code, response.text[:200])
        error = response.json()["error"]
        assert error and "\n" not in error, error
    assert json.loads((run_dir / "run.json").read_text())["tags"] == {}
    assert dashboard.get("/api/runs", params={"status": "completed"}).status_code == 200
