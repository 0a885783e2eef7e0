"""Start ``harness train`` detached and return once its run (or sweep) is recorded.

The job gets its own session (``start_new_session``) through a short-lived
launcher process, so it is re-parented to init at once: a notebook kernel that
restarts or exits does not take it down, and it never lingers as the caller's
zombie (which would look alive to the stale-run check). The driver is the very
one ``harness train`` runs, so validation, the run record and the one-line error
of a refused config are the CLI's own. What became of it comes back as JSON
events (``harness.job.events``) in a file of the workspace's ``submissions/``,
never from the text it prints, which goes to a log beside it for people.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

from harness import envvars
from harness.errors import HarnessError
from harness.ids import new_id
from harness.job import events
from harness.run import processes

#: Seconds to wait for the driver to record the run and the job to accept its
#: config (composition, plugin loading, validation and the job's start come first).
RECORD_TIMEOUT_S = 180.0
POLL_S = 0.05
SUBMISSIONS_DIR = "submissions"

# The launcher: start the driver in a new session with its output in the log
# file, print its pid, exit (the driver is re-parented to init).
_LAUNCHER = (
    "import subprocess, sys\n"
    "out = open(sys.argv[1], 'ab')\n"
    "p = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=out, "
    "stderr=subprocess.STDOUT, start_new_session=True)\n"
    "print(p.pid)\n"
)


class SubmitError(HarnessError):
    """``harness train`` refused the submitted config; the message is the CLI's."""


def start(
    overrides: list[str],
    home: Path,
    multirun: bool = False,
    cwd: str | None = None,
    subcommand: tuple[str, ...] = ("train",),
) -> tuple[str, str, Path]:
    """Launch ``harness train`` (or another command that records a run or a sweep,
    such as ``sweeps resume``); return (kind 'run'|'sweep', id, log path) once the
    sweep is recorded, or the run is recorded and its job has accepted the config
    (so a config the job refuses raises here, and no handle on a vanishing run is
    returned)."""
    folder = home / SUBMISSIONS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    name = new_id()
    log, channel = folder / f"{name}.txt", folder / f"{name}.events.jsonl"
    command = [
        sys.executable, "-m", "harness", *subcommand, *(["-m"] if multirun else []), *overrides
    ]  # fmt: skip
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env[envvars.HOME] = str(home)
    env[envvars.EVENTS] = str(channel)
    env.pop(envvars.JOB_SPEC, None)  # a submit from inside a job starts a new run
    launched = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, str(log), *command],
        cwd=cwd or os.getcwd(),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if launched.returncode != 0:
        raise HarnessError(f"could not start harness train: {launched.stderr.strip()[-300:]}")
    pid = int(launched.stdout.strip())
    try:
        kind, ident = _wait_for_record(channel, pid, log)
    except SubmitError:
        for path in (log, channel):  # a refused submission leaves nothing behind
            path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # other submissions' files are there
            folder.rmdir()
        raise
    return kind, ident, log


def _wait_for_record(channel: Path, pid: int, log: Path) -> tuple[str, str]:
    """Follow the driver's events until the submission's fate is known."""
    deadline = time.monotonic() + RECORD_TIMEOUT_S
    offset, run_id = 0, None
    while True:
        gone = not processes.alive(pid)  # first: then every event it wrote is in the file
        seen, offset = events.read(channel, offset)
        for event in seen:
            if event.event == "refused":
                raise SubmitError(event.message or "harness train refused the config")
            if event.event == "sweep_created" and event.sweep_id:
                return "sweep", event.sweep_id
            if event.event == "run_created" and run_id is None:
                run_id = event.run_id
            elif event.event in ("run_accepted", "finished") and event.run_id == run_id:
                assert run_id is not None
                return "run", run_id
        if gone:
            if run_id is not None:  # recorded; its driver died (the run shows Failed)
                return "run", run_id
            raise HarnessError(
                f"harness train (pid {pid}) stopped without recording a run or a sweep; "
                f"its output is in {log}"
            )
        if time.monotonic() > deadline:
            raise HarnessError(
                f"harness train (pid {pid}) recorded no run within {RECORD_TIMEOUT_S:g} s; "
                f"see {log}"
            )
        time.sleep(POLL_S)
