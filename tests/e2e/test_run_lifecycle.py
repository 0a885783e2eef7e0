"""One run lifecycle: no state that can get stuck, and what `harness train` tells the
program that started it (JSON events, harness/job/events.py), through the real CLI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import textwrap
from pathlib import Path

from harness.run.processes import start_ticks
from harness.run.store import RunStore
from harness.testing import harness_executable, run_cli

FAST = ("estimator.max_iter=50",)


def show(run_id: str, home: Path) -> dict:
    result = run_cli("runs", "show", run_id, "--format", "json", home=home)
    assert result.returncode == 0, result.output
    return result.json()


def events_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_closed_stdout_fails_the_run_instead_of_leaving_it_queued(home):
    # `harness train | true`: the reader is gone before the driver prints `run id:`.
    read_end, write_end = os.pipe()
    os.close(read_end)
    proc = subprocess.run(
        [harness_executable(), "train", *FAST],
        env={**os.environ, "HARNESS_HOME": str(home)},
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
    )
    os.close(write_end)
    assert proc.returncode != 0
    [run_dir] = (home / "runs").iterdir()
    record = show(run_dir.name, home)
    assert record["status"] == "Failed", record
    assert record["error"].startswith("BrokenPipeError"), record["error"]
    # The record named its driver from its first write (it never reached Running).
    stored = json.loads((run_dir / "run.json").read_text())
    assert isinstance(stored["pid"], int) and stored["pid_start"] is not None
    assert stored["host"] == socket.gethostname() and stored["started"] is None


def _dead_queued_run(home: Path) -> str:
    """A Queued run whose driver is gone (killed between record and launch)."""
    driver = subprocess.Popen(["sleep", "0"])
    ticks = start_ticks(driver.pid)
    driver.wait()
    record = RunStore(home).create(
        experiment="stuck", estimator="sklearn", compute="local", params={}, overrides=[],
        tags={}, provenance={}, sweep_id=None,
        pid=driver.pid, pid_start=ticks, host=socket.gethostname(),
    )  # fmt: skip
    return record.id


def test_a_dead_queued_run_is_named_by_doctor_then_failed_canceled_and_deleted(home):
    seen_by_doctor = _dead_queued_run(home)
    doctor = run_cli("doctor", "--format", "json", home=home)
    assert doctor.returncode == 0, doctor.output  # fixed as found: marked Failed
    [finding] = doctor.json()
    assert Path(finding["path"]).name == seen_by_doctor and finding["fixed"]
    assert finding["problem"].startswith("was Queued: the driver process"), finding
    record = show(seen_by_doctor, home)
    assert record["status"] == "Failed" and "(the run was Queued)" in record["error"]

    canceled = _dead_queued_run(home)
    cancel = run_cli("runs", "cancel", canceled, home=home)
    assert cancel.returncode == 0, cancel.output
    assert f"run {canceled}: Failed (its driver was already gone)" in cancel.stdout

    deleted_at_once = _dead_queued_run(home)
    for run_id in (seen_by_doctor, canceled, deleted_at_once):
        deleted = run_cli("runs", "delete", run_id, "--yes", home=home)
        assert deleted.returncode == 0, deleted.output
    assert not [p for p in (home / "runs").iterdir() if not p.name.startswith(".")]


def test_the_caller_hears_created_accepted_and_finished(home, tmp_path):
    channel = tmp_path / "events.jsonl"
    result = run_cli("train", *FAST, home=home, env={"HARNESS_EVENTS": str(channel)})
    assert result.returncode == 0, result.output
    told = events_of(channel)
    assert [e["event"] for e in told] == ["run_created", "run_accepted", "finished"]
    run_id = told[0]["run_id"]
    assert run_id == result.run_id and all(e["run_id"] == run_id for e in told)
    assert told[-1]["status"] == "Completed" and told[-1]["exit_code"] == 0
    # The job's own processes do not write to the caller's channel.
    assert "HARNESS_EVENTS" not in (home / "runs" / run_id / "job.json").read_text()


def test_the_caller_hears_a_refusal_with_its_message_and_exit_code(home, tmp_path):
    channel = tmp_path / "events.jsonl"
    bad = run_cli("train", "lr=abc", home=home, env={"HARNESS_EVENTS": str(channel)})
    assert bad.returncode == 2
    [refused] = events_of(channel)
    assert refused["event"] == "refused" and refused["exit_code"] == 2
    assert f"harness: error: {refused['message']}" == bad.stderr.strip()

    channel.unlink()
    in_job = run_cli(
        "train", "+estimator.nosuchkey=1", home=home, env={"HARNESS_EVENTS": str(channel)}
    )
    assert in_job.returncode == 2
    told = events_of(channel)
    assert [e["event"] for e in told] == ["run_created", "refused"]
    assert "nosuchkey" in told[-1]["message"] and told[-1]["exit_code"] == 2


def test_a_job_that_refuses_its_config_raises_at_submit_and_leaves_no_run(home):
    code = textwrap.dedent(
        """
        import sys
        from harness import EstimatorConfig, Experiment, SubmitError, Workspace
        try:
            run = Experiment("api", workspace=Workspace(sys.argv[1])).submit(
                EstimatorConfig("sklearn", {"nosuchkey": 1})
            )
        except SubmitError as exc:
            print("refused:", exc)
        else:
            print("returned a run:", run.id, run.get_status())
        """
    )
    proc = subprocess.run(
        [str(Path(harness_executable()).with_name("python")), "-c", code, str(home)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("refused: LogisticRegression has no parameter"), proc.stdout
    assert "nosuchkey" in proc.stdout and len(proc.stdout.strip().splitlines()) == 1
    assert not [p for p in (home / "runs").iterdir() if not p.name.startswith(".")]


def test_a_script_that_raises_or_exits_non_zero_ends_failed_in_its_loggers(home, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "raises.py").write_text(
        "from harness import Run\nRun.get_context().log('loss', 1.0)\nraise ValueError('no')\n"
    )
    (src / "ends.py").write_text("from harness import Run\nRun.get_context().log('loss', 1.0)\n")
    # sys.exit(N) raises SystemExit, which no excepthook sees: the exit status counts
    (src / "exits.py").write_text(
        "import sys\nfrom harness import Run\nRun.get_context().log('loss', 1.0)\nsys.exit(3)\n"
    )
    (src / "exits_0.py").write_text(
        "import sys\nfrom harness import Run\nRun.get_context().log('loss', 1.0)\nsys.exit(0)\n"
    )
    ended = {}
    for entry in ("raises.py", "ends.py", "exits.py", "exits_0.py"):
        result = run_cli(
            "train", "+estimator=script", f"estimator.source_directory={src}",
            f"estimator.entry_script={entry}", "+logger=jsonl", home=home,
        )  # fmt: skip
        lines = (home / "runs" / result.run_id / "logs" / "metrics.jsonl").read_text()
        ended[entry] = [json.loads(ln) for ln in lines.splitlines()][-1].get("status")
    assert ended == {
        "raises.py": "Failed",
        "ends.py": "Completed",
        "exits.py": "Failed",
        "exits_0.py": "Completed",
    }
