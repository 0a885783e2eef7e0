"""Nothing a job logs is lost or written wrong: a bad step is refused at the call,
and SIGTERM (a cancel, a stop, a killed driver's PDEATHSIG) flushes the last
second of metrics before the process dies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

from harness.testing import harness_executable


def _script_job(home, tmp_path, script: str) -> subprocess.Popen[str]:
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "train.py").write_text(script)
    env = dict(os.environ, HARNESS_HOME=str(home))
    env.pop("HARNESS_JOB_SPEC", None)
    return subprocess.Popen(
        [
            harness_executable(),
            "train",
            "+estimator=script",
            f"estimator.source_directory={src}",
            "estimator.entry_script=train.py",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(home) -> tuple[dict, list[dict]]:
    (run_dir,) = (home / "runs").glob("2*")
    record = json.loads((run_dir / "run.json").read_text())
    lines = [
        json.loads(line)
        for file in (run_dir / "metrics").glob("*.jsonl")
        for line in file.read_text().splitlines()
    ]
    return record, lines


def test_a_step_that_is_not_an_int_is_refused_at_the_call(home, tmp_path):
    job = _script_job(
        home,
        tmp_path,
        "from harness import Run\n"
        "run = Run.get_context()\n"
        "run.log('loss', 0.5, step=0)\n"
        "import numpy\n"
        "run.log('loss', 0.4, step=numpy.int64(1))\n"  # numpy's integers are ints
        "run.log('loss', 0.3, step='abc')\n",
    )
    out, err = job.communicate(timeout=120)
    assert job.returncode == 1, out + err
    assert "step must be an int" in err and "'abc'" in err, err
    record, lines = _run(home)
    assert record["status"] == "Failed"
    assert [(p["step"], p["value"]) for p in lines] == [(0, 0.5), (1, 0.4)]


#: Logs a point every 20 ms and records each step it logged in a side file (written
#: at once), so the test knows the last point the script logged before SIGTERM.
LOGGER = """
import os, time
from harness import Run
run = Run.get_context()
open("outputs/pid", "w").write(str(os.getpid()))
with open("outputs/logged", "a", buffering=1) as side:
    for step in range(100000):
        run.log("loss", 1.0 / (step + 1), step=step)
        side.write(f"{step}\\n")
        time.sleep(0.02)
"""


def test_sigterm_to_the_script_flushes_its_last_second_of_metrics(home, tmp_path):
    job = _script_job(home, tmp_path, LOGGER)
    try:
        deadline = time.monotonic() + 120
        pid_file = None
        while time.monotonic() < deadline:
            found = list((home / "runs").glob("2*/outputs/pid")) if (home / "runs").exists() else []
            if found and found[0].read_text():
                pid_file = found[0]
                break
            time.sleep(0.1)
        assert pid_file is not None, "the script did not start"
        time.sleep(1.6)  # past one flush, and half a second into the next buffer
        os.kill(int(pid_file.read_text()), signal.SIGTERM)
        out, err = job.communicate(timeout=120)
    finally:
        if job.poll() is None:
            job.kill()
    logged = [int(s) for s in (pid_file.parent / "logged").read_text().split()]
    record, lines = _run(home)
    steps = sorted(p["step"] for p in lines)
    # every point logged before the signal is in the metrics file (the side file may
    # lag by the one step being written when the signal came)
    assert steps and steps[-1] >= logged[-1] - 1, (steps[-5:], logged[-5:], err)
    assert steps == list(range(len(steps))), "a point in the middle was lost"
    assert record["status"] in ("Failed", "Canceled"), record
    assert "SIGTERM" in (record["error"] or "") or record["status"] == "Canceled", record
