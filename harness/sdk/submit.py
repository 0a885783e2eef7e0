"""Start ``harness train`` detached and return once its run (or sweep) is recorded.

The job gets its own session (``start_new_session``) through a short-lived
launcher process, so it is re-parented to init at once: a notebook kernel that
restarts or exits does not take it down, and it never lingers as the caller's
zombie (which would look alive to the stale-run check). The driver is the very
one ``harness train`` runs, so validation, the run record and the one-line error
of a refused config are the CLI's own.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from harness import envvars
from harness.errors import HarnessError
from harness.ids import new_id

#: Seconds to wait for the driver to record the run (config composition, plugin
#: loading and validation happen first).
RECORD_TIMEOUT_S = 180.0
POLL_S = 0.05
SUBMISSIONS_DIR = "submissions"

_ID_LINE = re.compile(r"^(run|sweep) id: (\S+)(?: \(resumed\))?\s*$", re.M)

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


def _refusal(log_text: str, code_hint: str) -> str:
    lines = [ln.strip() for ln in log_text.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("harness: error:")]
    if errors:
        return errors[-1].removeprefix("harness: error:").strip()
    # Hydra's own composition errors (exit 2 in the CLI): its message lines.
    hydra = [ln for ln in lines if not ln.startswith(("Set the environment", "Traceback"))]
    return " ".join(hydra[-2:]) if hydra else f"harness train stopped ({code_hint})"


def start(
    overrides: list[str],
    home: Path,
    multirun: bool = False,
    cwd: str | None = None,
    subcommand: tuple[str, ...] = ("train",),
) -> tuple[str, str, Path]:
    """Launch ``harness train`` (or another command that prints ``run id:`` /
    ``sweep id:`` first, such as ``sweeps resume``); return (kind 'run'|'sweep',
    id, submission log path)."""
    folder = home / SUBMISSIONS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"{new_id()}.txt"
    command = [
        sys.executable, "-m", "harness", *subcommand, *(["-m"] if multirun else []), *overrides
    ]  # fmt: skip
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env[envvars.HOME] = str(home)
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
    deadline = time.monotonic() + RECORD_TIMEOUT_S
    while True:
        text = log.read_text(errors="replace") if log.exists() else ""
        match = _ID_LINE.search(text)
        if match:
            return match.group(1), match.group(2), log
        if not _alive(pid):
            text = log.read_text(errors="replace") if log.exists() else ""
            match = _ID_LINE.search(text)
            if match:
                return match.group(1), match.group(2), log
            log.unlink(missing_ok=True)  # a refused submission leaves nothing behind
            with contextlib.suppress(OSError):  # other submissions' logs are there
                folder.rmdir()
            raise SubmitError(_refusal(text, "no run was recorded"))
        if time.monotonic() > deadline:
            raise HarnessError(
                f"harness train (pid {pid}) recorded no run within {RECORD_TIMEOUT_S:g} s; "
                f"see {log}"
            )
        time.sleep(POLL_S)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); /proc tells them apart on Linux.
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True
