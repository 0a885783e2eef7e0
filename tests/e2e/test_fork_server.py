"""Sweep jobs run in children of a fork server (harness/contract/fork_server.py),
through the real CLI: each is the job process a fresh start would be, from inside
and in the run's records, and nothing is left behind."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from harness.testing import run_cli, workspace_processes

PROBE = {"HARNESS_PLUGINS": "harness.testing.probe"}
JOBLIB = ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]


def _runs(home: Path) -> list[dict]:
    return run_cli("runs", "list", "--format", "json", home=home).json()


def _facts(home: Path, run_id: str) -> dict:
    return json.loads((home / "runs" / run_id / "outputs" / "process.json").read_text())


def _record(home: Path, run_id: str) -> dict:
    return json.loads((home / "runs" / run_id / "run.json").read_text())


@pytest.mark.parametrize("launcher", [[], JOBLIB], ids=["basic", "joblib"])
def test_sweep_jobs_run_forked_and_look_like_fresh_processes(home, launcher):
    scores = ["0.1", "0.2", "0.3", "0.4"]
    result = run_cli(
        "train", "-m", "+estimator=probe", f"estimator.score={','.join(scores)}", *launcher,
        home=home, env=PROBE,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    runs = _runs(home)
    assert len(runs) == len(scores)
    parsed = []
    for run in runs:
        run_dir = home / "runs" / run["id"]
        got = _facts(home, run["id"])
        assert "harness.contract.fork_server" in got["cmdline"]  # a child of the server
        assert got["preloaded"] is True  # which imported the estimator before the job
        spec = str(run_dir / "job.json")
        assert got["cwd"] == str(run_dir) and got["sys_path0"] == str(run_dir)
        assert got["argv"][1:] == [spec] and got["job_spec_env"] == spec
        assert got["argv"][0].endswith("harness/worker.py")
        # its own session and process group, as the compute's fresh process has
        assert got["session"] == got["pid"] == got["process_group"]
        # what the job read from its config, and what the records hold of it
        parsed.append((run_dir / "outputs" / "probe.txt").read_text().strip())
        record = _record(home, run["id"])
        assert record["status"] == "Completed"
        assert record["metrics"]["probe_score"] == float(record["params"]["estimator"]["score"])
        assert record["system"]["cpu_time_s"] > 0  # the server's wait4, counted as ours
        assert "probe: trained" in (run_dir / "logs" / "stdout.txt").read_text()
    assert sorted(parsed) == [f"score={s}" for s in scores]
    assert workspace_processes(home) == []


def test_a_failing_forked_job_fails_its_run_with_its_exit_code(home):
    result = run_cli(
        "train", "-m", "+estimator=probe", "estimator.exit_code=3", "estimator.score=0.1,0.2",
        *JOBLIB, home=home, env=PROBE,
    )  # fmt: skip
    assert result.returncode == 1, result.output
    for run in _runs(home):
        record = _record(home, run["id"])
        assert record["status"] == "Failed"
        assert "3" in record["error"]
        stderr = (home / "runs" / run["id"] / "logs" / "stderr.txt").read_text()
        assert "failing on purpose with exit code 3" in stderr
    assert workspace_processes(home) == []


def test_without_early_workers_sweep_jobs_start_fresh(home):
    result = run_cli(
        "train", "-m", "+estimator=probe", "estimator.score=0.1,0.2",
        home=home, env={**PROBE, "HARNESS_EARLY_WORKER": "0"},
    )  # fmt: skip
    assert result.returncode == 0, result.output
    for run in _runs(home):
        got = _facts(home, run["id"])
        assert "harness.contract.fork_server" not in got["cmdline"]
        assert got["preloaded"] is False


def _started(record: dict) -> float:
    return datetime.fromisoformat(record["started"]).timestamp()


def test_the_next_jobs_process_is_made_while_a_job_runs(home):
    """The server forks the next job's process (a spare) as soon as it has started
    one: each job after the first began before its run was Running, at least most
    of the previous job's 0.4 s earlier. Each is still the job process it should be."""
    result = run_cli(
        "train", "-m", "+estimator=probe", "estimator.score=0.1,0.2,0.3", "estimator.seconds=0.4",
        home=home, env=PROBE,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    records = sorted((_record(home, run["id"]) for run in _runs(home)), key=_started)
    for record in records[1:]:
        got = _facts(home, record["id"])
        assert got["process_started_s"] < _started(record) - 0.2
        assert got["session"] == got["pid"] == got["process_group"]
        assert got["cwd"] == str(home / "runs" / record["id"])
        assert record["status"] == "Completed"
    assert workspace_processes(home) == []


def test_a_spare_that_died_is_replaced_by_a_fork_for_the_job(home):
    """Each job kills its server's spare (``kill_siblings``): every later job then
    gets a process forked for it after its run went Running, and runs as well."""
    result = run_cli(
        "train", "-m", "+estimator=probe", "estimator.score=0.1,0.2,0.3", "estimator.seconds=0.2",
        "+estimator.kill_siblings=true", home=home, env=PROBE,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    assert result.output.count("probe: killed sibling") >= 2
    records = sorted((_record(home, run["id"]) for run in _runs(home)), key=_started)
    assert [r["status"] for r in records] == ["Completed"] * 3
    for record in records[1:]:
        got = _facts(home, record["id"])
        assert got["process_started_s"] > _started(record) - 0.05  # forked on request
        assert (home / "runs" / record["id"] / "outputs" / "probe.txt").read_text() == (
            f"score={record['params']['estimator']['score']}\n"
        )
    assert workspace_processes(home) == []
