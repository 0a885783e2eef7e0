"""The job process of a single local run, started before the config is composed.

The driver spends most of a second before it can start a job (importing Hydra,
composing the config twice, creating the run), and the job process then spends
seconds importing its framework. Nothing in the second needs the first, so
``harness train`` starts the worker at once, as ``python -m harness.worker
--early NAME``: it imports the harness's job modules and what the named
estimator's ``Estimator.preload()`` imports while the driver composes, then waits
for the job on a pipe of its own (its stdin is the driver's, as a fresh job
process's would be: ``breakpoint()`` in a job still reads the terminal). The
``local`` compute takes it instead of starting a fresh process
(benchmarks/bench_overhead.py measures the difference).

It is used only when it is exactly the process the compute would have started:
the same interpreter, the same environment, the estimator it preloaded, and alive.
Otherwise it is stopped (it has written nothing) and the compute starts a fresh
one, as it does when nothing was started early (a sweep, ``HARNESS_EARLY_WORKER=0``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from typing import TYPE_CHECKING

from harness import envvars

if TYPE_CHECKING:
    from harness.contract.jobspec import JobSpec

#: ``estimator=NAME`` as typed (``+``/``++`` too); the last one wins, as in Hydra.
_ESTIMATOR = re.compile(r"^\+{0,2}estimator=([A-Za-z0-9_][A-Za-z0-9_.-]*)$")
#: Flags after which ``harness train`` starts no job (Hydra's own commands).
_NO_JOB = {"-m", "--multirun", "--cfg", "-c", "--help", "-h", "--hydra-help", "--info", "-i"}
_NO_JOB |= {"-sc", "--shell-completion", "--resolve", "-p", "--package"}
#: Prefixes of arguments that change what runs: another primary config, a multirun.
_OTHER_CONFIG: tuple[str, ...] = (
    "--config-name",
    "--config-path",
    "--config-dir",
    "-cn",
    "-cp",
    "-cd",
)
_OTHER_CONFIG += ("hydra.mode=", "+hydra.mode=", "++hydra.mode=")

# The worker started early and not yet taken or dismissed: one per process, as
# there is one `harness train` per process (module state, like a signal handler).
_waiting: EarlyWorker | None = None


class EarlyWorker:
    def __init__(
        self, proc: subprocess.Popen[bytes], estimator: str, env: dict[str, str], control: int
    ) -> None:
        self.proc = proc
        self.estimator = estimator
        self.env = env
        self.control: int | None = control  # the write end of the pipe it waits on

    def matches(self, job: JobSpec, env: dict[str, str]) -> str | None:
        """Why this worker cannot run ``job`` (None: it can)."""
        if self.proc.poll() is not None:
            return f"it exited ({self.proc.returncode})"
        if job.worker_python != sys.executable:
            return f"the job runs in {job.worker_python}"
        if job.estimator != self.estimator:
            return f"it preloaded estimator {self.estimator!r}, the job is {job.estimator!r}"
        if env != self.env:
            changed = sorted(
                k for k in env.keys() | self.env.keys() if env.get(k) != self.env.get(k)
            )
            return "the environment changed: " + ", ".join(changed[:5])
        return None

    def hand_over(self, job: JobSpec) -> subprocess.Popen[bytes]:
        line = json.dumps({"spec": str(job.spec_path), "cwd": str(job.workdir)}) + "\n"
        try:
            os.write(self.control, line.encode())  # type: ignore[arg-type]  # one write
        finally:
            self._close_control()
        return self.proc

    def _close_control(self) -> None:
        """Close the pipe once: a second close could hit a reused descriptor."""
        control, self.control = self.control, None
        if control is not None:
            with contextlib.suppress(OSError):
                os.close(control)

    def dismiss(self) -> None:
        """Stop it at once: it has written nothing, and may be deep in an import."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # it leads its own group
        with contextlib.suppress(OSError):
            self.proc.kill()
        self.proc.wait()
        self._close_control()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError, ValueError):
                    stream.close()


def estimator_named(args: list[str]) -> str | None:
    """The estimator of the one job a ``harness train`` command line runs: the last
    ``estimator=`` it names, else the primary config's default; None when it runs
    no job or several (Hydra's own commands, a multirun, another primary config)."""
    for arg in args:
        if arg in _NO_JOB or arg.startswith(_OTHER_CONFIG):
            return None
    names = [m.group(1) for a in args if (m := _ESTIMATOR.match(a))]
    return names[-1] if names else _default_estimator()


def _default_estimator() -> str | None:
    from importlib import resources

    import yaml

    text = resources.files("harness.conf").joinpath("config.yaml").read_text(encoding="utf-8")
    for entry in yaml.safe_load(text).get("defaults", []):
        if isinstance(entry, dict) and isinstance(entry.get("estimator"), str):
            return str(entry["estimator"])
    return None


def start(args: list[str]) -> None:
    """Start the worker for the job ``args`` (``harness train``'s) will run, if it
    names its estimator and runs one job."""
    estimator = estimator_named(args)
    if estimator is None or os.environ.get(envvars.EARLY_WORKER, "1") == "0":
        return  # (before any import: `harness train --cfg job` stays light)
    from harness.contract.supervise import die_with_parent, job_environment

    env = job_environment()
    wait_end, control = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.worker", "--early", estimator, str(wait_end)],
        env=env,
        pass_fds=(wait_end,),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # as the compute's own: Ctrl-C reaches only the driver
        preexec_fn=die_with_parent(),  # noqa: PLW1509 - a single prctl call
    )
    os.close(wait_end)
    global _waiting
    dismiss()  # (one per process: an earlier one nobody took is replaced)
    _waiting = EarlyWorker(proc, estimator, env, control)


def take(job: JobSpec, env: dict[str, str]) -> subprocess.Popen[bytes] | None:
    """The waiting worker, handed ``job``, if it is the process the compute would
    start with ``env``; else None (and it is dismissed). In a process that runs many
    jobs (a sweep's), a child of its fork server (``fork_server.py``)."""
    worker = _claim()
    if worker is None:
        from harness.contract import fork_server

        return fork_server.take(job, env)
    if worker.matches(job, env) is not None:
        worker.dismiss()
        return None
    try:
        return worker.hand_over(job)
    except OSError:  # it died just now: a fresh process, as if none had started
        worker.dismiss()
        return None


def dismiss() -> None:
    """Send away a worker nobody took (the run never launched, or not locally)."""
    worker = _claim()
    if worker is not None:
        worker.dismiss()


def _claim() -> EarlyWorker | None:
    global _waiting
    worker, _waiting = _waiting, None
    return worker
