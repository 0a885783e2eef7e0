"""Run a job's process tree: stream its output live, capture it, stop it cleanly.

Shared by every compute plugin that starts local processes (``local``, ``mpi``).
The child gets its own process group, so Ctrl-C, a timeout or ``harness runs
cancel`` (SIGTERM to the driver) can stop it and everything it started.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from harness import envvars
from harness.contract import interrupts
from harness.run.record import STOP_NOTE  # noqa: F401  (re-exported for the computes)

#: Seconds a job gets to flush and exit after SIGINT before SIGTERM, then SIGKILL.
GRACE_S = 10.0
#: Seconds between looks for a stop request (the sweep watch's early termination)
#: while the job runs: its reaction time, at the cost of a wake-up.
STOP_CHECK_S = 0.05
#: Set in a job's environment when the driver writes to a terminal, so the
#: console logger may draw live progress bars through the pipe.
TERMINAL_ENV = envvars.TERMINAL


@dataclass
class Supervised:
    exit_code: int
    canceled: bool = False
    timed_out: bool = False
    #: The last few KB the job wrote to stderr (kept in memory: on a full disk the
    #: log file cannot hold them), and the log file a full disk refused, if any.
    stderr_tail: bytes = b""
    no_space: str | None = None


_TAIL = 8192
_NO_SPACE = re.compile(r"No space left on device(?:: '([^']+)')?")


def no_space_reason(text: str | bytes | None, fallback_path: str | None = None) -> str | None:
    """``no space left on device (PATH)`` if ``text`` shows an ENOSPC, else None."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    found = _NO_SPACE.search(text or "")
    if found is None:
        return None
    return f"no space left on device ({found.group(1) or fallback_path or 'path unknown'})"


def _pump(
    source: BinaryIO,
    sinks: Sequence[BinaryIO],
    tail: bytearray | None = None,
    full: list[str] | None = None,
) -> None:
    fd = source.fileno()
    while chunk := os.read(fd, 65536):
        if tail is not None:
            tail += chunk
            del tail[:-_TAIL]
        for sink in sinks:
            try:
                sink.write(chunk)
                sink.flush()
            except (OSError, ValueError) as exc:  # a closed terminal must not stop the capture
                if full is not None and getattr(exc, "errno", None) == errno.ENOSPC:
                    full.append(str(getattr(sink, "name", "?")))
                continue


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child get SIGTERM when the driver dies.

    The job runs in its own session (so Ctrl-C reaches only the driver), which also
    means nothing stops it if the driver is SIGKILLed: mpiexec and its ranks, or a
    local worker, would train on unsupervised. Linux's PR_SET_PDEATHSIG closes that
    gap. libc is looked up here, before the fork, so the child only makes one call.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    driver = os.getpid()

    def preexec() -> None:
        prctl(1, int(signal.SIGTERM))  # 1 = PR_SET_PDEATHSIG
        if os.getppid() != driver:  # the driver died before prctl took effect
            os._exit(1)

    return preexec


def follow_parent_out(signum: int = signal.SIGTERM) -> bool:
    """Make *this* process get ``signum`` when its parent dies (Linux
    PR_SET_PDEATHSIG; a no-op elsewhere). For worker processes that a launcher
    started without a ``preexec_fn`` (joblib's loky workers): without it they train
    on, unsupervised, after the sweep's process is killed. False if the parent is
    already gone (the caller should stop)."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signum))  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    return parent != 1 and os.getppid() == parent


def job_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The driver's environment for a job's processes: unbuffered output, the
    terminal flag, ``extra``; without the driver's event channel (it is the
    driver's caller's, not the job's)."""
    env = dict(os.environ)
    env.pop(envvars.EVENTS, None)
    env["PYTHONUNBUFFERED"] = "1"
    if sys.stdout.isatty():
        env[TERMINAL_ENV] = "1"
    env.update(extra or {})
    return env


def stop_group(proc: subprocess.Popen[bytes], grace: float = GRACE_S) -> None:
    """SIGINT the group (the job flushes and exits), then SIGTERM, then SIGKILL."""
    for sig, wait in ((signal.SIGINT, grace), (signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            _reap_group(proc.pid)
            return
        except subprocess.TimeoutExpired:
            continue


def _reap_group(pgid: int) -> None:
    """Kill what is left of the group once its leader has exited."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def run_supervised(
    cmd: Sequence[str],
    *,
    cwd: str | Path,
    env: dict[str, str],
    stdout_path: Path,
    stderr_path: Path | None,
    timeout: float | None = None,
    echo: bool = True,
    stop: threading.Event | None = None,
    stop_note: Path | None = None,
    started: subprocess.Popen[bytes] | None = None,
) -> Supervised:
    """Run ``cmd`` to the end, teeing output into the log files (and the terminal).

    With ``stderr_path`` None, stderr goes into the stdout log (one stream, as for
    MPI rank logs). Ctrl-C or SIGTERM in the driver stops the whole group and
    returns ``canceled``; ``timeout`` stops it and returns ``timed_out``. Setting
    ``stop`` (default: ``interrupts.stop_event()``, which the sweep watch sets for
    early termination) from another thread stops it like Ctrl-C, as does a Ctrl-C
    whose KeyboardInterrupt Python swallowed (``harness.contract.interrupts``).
    ``started``: the job's process, already running with ``cmd``, ``cwd`` and
    ``env`` (an early worker, see ``harness.contract.early_worker``), with its
    output on pipes as below.
    """
    stop = interrupts.stop_event() if stop is None else stop
    stdout_path.parent.mkdir(parents=True, exist_ok=True)
    out_log = open(stdout_path, "ab")  # noqa: SIM115 - closed in the finally below
    err_log = open(stderr_path, "ab") if stderr_path else None  # noqa: SIM115
    proc = started or subprocess.Popen(
        list(cmd),
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if err_log else subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=die_with_parent(),  # noqa: PLW1509 - a single prctl call, see above
    )
    term_out = [sys.stdout.buffer] if echo else []
    term_err = [sys.stderr.buffer] if echo else []
    tail = bytearray()
    full: list[str] = []
    pumps = [
        threading.Thread(
            target=_pump,
            args=(proc.stdout, [out_log, *term_out], None if err_log else tail, full),
            daemon=True,
        )
    ]
    if err_log:
        pumps.append(
            threading.Thread(
                target=_pump, args=(proc.stderr, [err_log, *term_err], tail, full), daemon=True
            )
        )
    for pump in pumps:
        pump.start()
    try:
        with interrupts.recorded():
            result = _wait_or_stop(proc, stop, timeout, stop_note)
    finally:
        for pump in pumps:
            pump.join(timeout=5)
        for log in (out_log, err_log):
            if log is not None:
                with contextlib.suppress(OSError):  # a full disk: what fitted is kept
                    log.close()
    result.stderr_tail = bytes(tail)
    result.no_space = full[0] if full else None
    return result


def _wait_or_stop(
    proc: subprocess.Popen[bytes],
    stop: threading.Event,
    timeout: float | None,
    stop_note: Path | None,
) -> Supervised:
    """Wait for the job's end; stop its group on a stop request, a timeout or Ctrl-C."""
    deadline = None if timeout is None else time.monotonic() + timeout
    exit_fd = _exit_fd(proc)
    try:
        while True:
            try:
                code = _wait(proc, exit_fd, STOP_CHECK_S)
                _reap_group(proc.pid)
                return Supervised(code)
            except subprocess.TimeoutExpired:
                interrupts.check()  # a Ctrl-C whose KeyboardInterrupt was swallowed
                if stop.is_set():
                    stop_group(proc)
                    code = proc.returncode if proc.returncode is not None else 130
                    return Supervised(code, canceled=True)
                if deadline is not None and time.monotonic() > deadline:
                    # A timeout ends the run Failed: say so before the interrupt, so the
                    # job tells its loggers the run's own final status, not Canceled.
                    write_stop_note(stop_note, "Failed")
                    stop_group(proc, grace=3.0)
                    code = proc.returncode if proc.returncode is not None else -9
                    return Supervised(code, timed_out=True)
    except KeyboardInterrupt:
        try:
            stop_group(proc)
        except KeyboardInterrupt:  # a second Ctrl-C: no more grace
            # The group may be gone already: a fork server's child is reaped by the
            # server, not by us, so no zombie keeps its group id (seen when Slurm
            # preempted a sweep job: two SIGTERMs, then ProcessLookupError).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        return Supervised(proc.returncode if proc.returncode is not None else 130, canceled=True)
    finally:
        if exit_fd is not None:
            os.close(exit_fd)


def _exit_fd(proc: subprocess.Popen[bytes]) -> int | None:
    """A descriptor that becomes readable when ``proc`` exits (Linux pidfd), so the
    driver hears of the end at once: ``Popen.wait(timeout)`` polls, up to 50 ms late.
    None where there is none (then ``wait`` polls; a fork server's child is waited
    for on its server's messages)."""
    if type(proc) is not subprocess.Popen or not hasattr(os, "pidfd_open"):
        return None
    try:
        return os.pidfd_open(proc.pid)
    except OSError:
        return None


def _wait(proc: subprocess.Popen[bytes], exit_fd: int | None, timeout: float) -> int:
    if exit_fd is None:
        return proc.wait(timeout=timeout)
    ready, _, _ = select.select([exit_fd], [], [], timeout)
    if not ready:
        raise subprocess.TimeoutExpired(proc.args, timeout)
    return proc.wait()


def write_stop_note(path: Path | None, status: str) -> None:
    """Tell the job which final status an interrupt that follows means."""
    if path is None:
        return
    with contextlib.suppress(OSError):
        path.write_text(status, encoding="utf-8")


def describe_exit(code: int) -> str:
    """An exit status in words: ``-9`` (or 137 from a shell/launcher) names SIGKILL."""
    signum = -code if code < 0 else code - 128 if 128 < code < 128 + 65 else 0
    if signum:
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = f"signal {signum}"
        how = "was killed by" if code < 0 else f"exited with code {code}, i.e. killed by"
        return f"the job {how} {name} (signal {signum})"
    return f"the job exited with code {code}"
