"""The joblib launcher's slots through the real `harness train -m`: as many jobs
run at once as n_jobs says, while the next ones wait ready; a stop reaches a run
that waits; a stopped sweep records its remaining jobs without handing them out."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest

from harness.testing import harness_executable, most_at_once, run_cli

pytest.importorskip("hydra_plugins.hydra_joblib_launcher")  # the `sweeps` extra

PROBE_ENV = {"HARNESS_PLUGINS": "harness.testing.probe"}
JOBLIB = ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]


def sweep_id_of(result) -> str:
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("sweep id:")]
    return line.split(":", 1)[1].strip()


def _stamp(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _runs(home: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in (home / "runs").glob("*/run.json")]


def _work(home: Path, run: dict) -> tuple[float, float]:
    """When the job's own code began (its first report) and ended (the probe writes
    outputs/probe.txt after its sleep), as the job process saw it."""
    folder = home / "runs" / run["id"]
    reports = [
        json.loads(x) for p in folder.glob("metrics/*.jsonl") for x in p.read_text().splitlines()
    ]
    return min(r["time"] for r in reports), (folder / "outputs" / "probe.txt").stat().st_mtime


def test_n_jobs_run_at_once_while_the_next_wait_ready(home):
    result = run_cli(
        "train", "-m", "+estimator=probe", "estimator.score=0.5", "estimator.seconds=0.4",
        "+estimator.n=range(0,8)", *JOBLIB, "sweep.prepare_ahead=2", home=home, env=PROBE_ENV,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    runs = _runs(home)
    assert len(runs) == 8 and all(r["status"] == "Completed" for r in runs)
    # What the jobs did: two at a time, never three (the job processes' own clocks).
    assert most_at_once([_work(home, r) for r in runs]) == 2
    # Four drivers (n_jobs plus as many ahead) made the runs; a run made ahead was
    # Queued while two others ran, and moved to Running when a slot came free.
    assert len({r["pid"] for r in runs}) == 4
    waited = [_stamp(r["started"]) - _stamp(r["created"]) for r in runs]
    assert max(waited) > 0.2, waited
    shown = run_cli("sweeps", "show", sweep_id_of(result), "--format", "json", home=home).json()
    assert shown["counts"]["completed"] == 8 and shown["counts"]["not_started"] == 0


def test_a_short_sweep_makes_no_job_ready_ahead_by_default(home):
    # 5 jobs on 2 slots: the extra workers would cost more than they save
    # (slots.WORTH_IT_JOBS_PER_SLOT); prepare_ahead=0 turns them off for any sweep.
    for extra in ([], ["sweep.prepare_ahead=0"]):
        result = run_cli(
            "train", "-m", "+estimator=probe", "estimator.score=0.5", "+estimator.n=range(0,5)",
            *JOBLIB, *extra, home=home, env=PROBE_ENV,
        )  # fmt: skip
        assert result.returncode == 0, result.output
    runs = _runs(home)
    assert len(runs) == 10
    by_sweep: dict[str, set[int]] = {}
    for run in runs:
        by_sweep.setdefault(run["sweep_id"], set()).add(run["pid"])
    assert sorted(len(pids) for pids in by_sweep.values()) == [2, 2]


def _by_exit_code(shown: dict) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {}
    for row in shown["runs"]:
        (code,) = [o.split("=", 1)[1] for o in row["overrides"] if "exit_code" in o]
        rows.setdefault(code, []).append(row)
    return rows


def test_a_cancel_reaches_a_run_waiting_for_its_slot(home, tmp_path):
    # One slot, one job made ready ahead: while one job runs (it would for 60 s),
    # the other's run waits Queued. `harness runs cancel` of the running one stops
    # the sweep; the waiting run never starts its job; the third job makes no run.
    env = {**os.environ, "HARNESS_HOME": str(home), **PROBE_ENV}
    env.pop("HARNESS_JOB_SPEC", None)
    proc = subprocess.Popen(
        [harness_executable(), "train", "-m", "+estimator=probe", "estimator.score=0.5",
         "estimator.seconds=60", "estimator.exit_code=0,1,2",
         "hydra/launcher=joblib", "hydra.launcher.n_jobs=1", "sweep.prepare_ahead=1"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 180
    while sorted(r["status"] for r in _runs(home)) != ["Queued", "Running"]:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("no run waited while another ran:\n" + "".join(proc.communicate()))
        time.sleep(0.1)
    (running,) = [r for r in _runs(home) if r["status"] == "Running"]
    canceled = run_cli("runs", "cancel", running["id"], home=home)
    assert canceled.returncode == 0, canceled.output
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out + err
    runs = {r["id"]: r for r in _runs(home)}
    assert len(runs) == 2 and runs[running["id"]]["status"] == "Canceled"
    (waited,) = [r for r in runs.values() if r["id"] != running["id"]]
    assert waited["status"] == "Canceled" and waited.get("started") is None
    assert waited["error"] == "not started: canceled by the user"
    assert not (home / "runs" / waited["id"] / "outputs" / "probe.txt").exists()
    (sweep_dir,) = (home / "sweeps").iterdir()
    shown = run_cli("sweeps", "show", sweep_dir.name, "--format", "json", home=home).json()
    assert shown["status"] == "Canceled"
    rows = {r["run_id"]: r for r in shown["runs"]}
    assert rows[waited["id"]]["error"] == "not started: canceled by the user"
    assert shown["counts"]["not_started"] == 2 and shown["counts"]["canceled"] == 3
    assert "1 canceled, 2 not started" in out


def _fail_fast_on_one_slot(home: Path, *jobs: str):
    """A fail_fast sweep of the probe's ``jobs`` on one slot with one job made
    ready ahead, which exits 1; (its result, `sweeps show`'s JSON)."""
    result = run_cli(
        "train", "-m", "+estimator=probe", "estimator.score=0.5", *jobs, "sweep.fail_fast=true",
        "hydra/launcher=joblib", "hydra.launcher.n_jobs=1", "sweep.prepare_ahead=1",
        home=home, env=PROBE_ENV,
    )  # fmt: skip
    assert result.returncode == 1, result.output
    shown = run_cli("sweeps", "show", sweep_id_of(result), "--format", "json", home=home).json()
    return result, shown


def test_a_stopped_sweep_hands_out_no_more_jobs(home):
    # One slot. Of the two jobs first handed out, the one that gets the slot fails
    # and fail_fast stops the sweep before the slot is handed on: the other never
    # starts (the slot goes to either first). The rest are never handed to
    # a worker past joblib's first dispatch: the launcher records them, one line.
    result, shown = _fail_fast_on_one_slot(
        home, "estimator.seconds=1", "estimator.exit_code=3,3,0,0,0,0,0,0,0,0"
    )
    rows = _by_exit_code(shown)
    assert sorted(r["status"] for r in rows["3"]) == ["Canceled", "Failed"]
    (canceled,) = [r for r in rows["3"] if r["status"] == "Canceled"]
    assert canceled["error"].startswith("not started: stopped by sweep.fail_fast")
    assert len(rows["0"]) == 8
    for row in rows["0"]:
        assert row["run_id"] is None and row["status"] == "Canceled"
        assert row["error"].startswith("not started: stopped by sweep.fail_fast")
    # No run for a job not started (the second job's run, if it got as far as
    # waiting for the slot, is the only other one).
    assert len(list((home / "runs").iterdir())) in (1, 2)
    assert re.search(r"^jobs #\d-#9 not started: stopped by sweep.fail_fast", result.stdout, re.M)


def _facts(home: Path, run: dict) -> dict:
    return json.loads((home / "runs" / run["id"] / "outputs" / "process.json").read_text())


def test_the_jobs_threads_are_sized_for_the_jobs_that_run_at_once(home, monkeypatch):
    # One job at a time, one made ready ahead: two workers, but each job may use
    # every core (joblib alone would size the pools for its two workers). A user's
    # own OMP_NUM_THREADS is kept.
    from joblib import cpu_count
    from joblib.parallel import BACKENDS

    for var in BACKENDS["loky"].MAX_NUM_THREADS_VARS:
        monkeypatch.delenv(var, raising=False)
    sweep = ["train", "-m", "+estimator=probe", "estimator.score=0.5", "+estimator.n=range(0,3)",
             "hydra/launcher=joblib", "hydra.launcher.n_jobs=1", "sweep.prepare_ahead=1"]  # fmt: skip
    result = run_cli(*sweep, home=home, env=PROBE_ENV)
    assert result.returncode == 0, result.output
    runs = _runs(home)
    assert len({r["pid"] for r in runs}) == 2  # the ahead worker made some of the runs
    assert {_facts(home, r)["omp_num_threads"] for r in runs} == {str(cpu_count())}
    for run in runs:
        shutil.rmtree(home / "runs" / run["id"])
    result = run_cli(*sweep, home=home, env={**PROBE_ENV, "OMP_NUM_THREADS": "3"})
    assert result.returncode == 0, result.output
    assert {_facts(home, r)["omp_num_threads"] for r in _runs(home)} == {"3"}


def test_every_batch_runs_as_many_jobs_at_once_as_n_jobs_says(home):
    # Batches of 3 (hydra.sweeper.max_batch_size): the first batch's extra worker
    # must not become a second slot for the next batch.
    result = run_cli(
        "train", "-m", "+estimator=probe", "estimator.score=0.5", "estimator.seconds=0.3",
        "+estimator.n=range(0,6)", "hydra.sweeper.max_batch_size=3",
        "hydra/launcher=joblib", "hydra.launcher.n_jobs=1", "sweep.prepare_ahead=1",
        home=home, env=PROBE_ENV,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    runs = _runs(home)
    assert len(runs) == 6 and all(r["status"] == "Completed" for r in runs)
    assert most_at_once([_work(home, r) for r in runs]) == 1


def test_a_config_the_job_refuses_stops_a_fail_fast_sweep_before_the_next_job_starts(home):
    # As a failed run does: of the two jobs first handed out (both refused in their
    # job), the one that gets the slot is refused and the sweep stops before the slot
    # is handed on, so the other never starts its job.
    result, shown = _fail_fast_on_one_slot(
        home, "+estimator.refuse_in_job=true,true,false,false,false,false"
    )
    assert result.stderr.count("the job refuses this config") == 1, result.stderr
    refusing = [r for r in shown["runs"] if "+estimator.refuse_in_job=True" in r["overrides"]]
    assert sorted(r["status"] for r in refusing) == ["Canceled", "Failed"], refusing
    (failed,) = [r for r in refusing if r["status"] == "Failed"]
    assert failed["run_id"] is None and "refuses this config" in failed["error"]
    (waited,) = [r for r in refusing if r["status"] == "Canceled"]
    assert waited["error"].startswith("not started: stopped by sweep.fail_fast: job #")
    # The refused run was discarded; the other's run waited and never started.
    (run,) = _runs(home)
    assert run["id"] == waited["run_id"] and run.get("started") is None
