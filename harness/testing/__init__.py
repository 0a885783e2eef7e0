"""Helpers for testing harness and harness plugins (also for third-party authors).

    from harness.testing import run_cli
    result = run_cli("train", "estimator.C=0.5", home=tmp_path)
    assert result.returncode == 0, result.output

The pytest fixtures (``harness_home``, ``registered_plugin``) come from
``harness.testing.fixtures``; add ``pytest_plugins = ["harness.testing.fixtures"]``
to a conftest.py, or import them. Contract tests for each kind of component are in
``harness.testing.contracts``; ``harness.testing.probe`` is a framework-free
estimator for testing computes and loggers (``HARNESS_PLUGINS=harness.testing.probe``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import envvars

__all__ = [
    "SLOW_SKLEARN_JOB",
    "CliResult",
    "harness_executable",
    "job_processes",
    "run_cli",
    "script_job",
    "workspace_processes",
]

#: ``harness train`` overrides for a job that trains until it is stopped (an
#: MLPClassifier that never converges): for tests of cancel, Ctrl-C and ``logs -f``.
SLOW_SKLEARN_JOB = (
    "estimator.model._target_=sklearn.neural_network.MLPClassifier",
    "~estimator.C",
    "estimator.max_iter=100000",
    "+estimator.tol=0",
    "+estimator.n_iter_no_change=100000",
    "+estimator.hidden_layer_sizes=[256,256]",
)


def script_job(
    folder: Path, source: str, entry: str = "job.py", metric: str = "score"
) -> list[str]:
    """``harness train`` overrides for a script-mode job running ``source`` (written
    to ``folder/src/entry``) with ``metric`` as its primary metric."""
    src = Path(folder) / "src"
    src.mkdir(parents=True, exist_ok=True)
    (src / entry).write_text(source)
    return [
        "+estimator=script",
        f"estimator.source_directory={src}",
        f"estimator.entry_script={entry}",
        f"estimator.primary_metric={metric}",
    ]


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """stdout and stderr together, for assertion messages."""
        return f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"

    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def run_id(self) -> str:
        """The id from the ``run id: …`` line that ``harness train`` prints."""
        for line in self.stdout.splitlines():
            if line.startswith("run id:"):
                return line.split(":", 1)[1].strip()
        raise AssertionError(f"no 'run id:' line in the output\n{self.output}")


def harness_executable() -> str:
    """The installed ``harness`` command next to this interpreter (or on PATH)."""
    beside = Path(sys.executable).with_name("harness")
    if beside.exists():
        return str(beside)
    found = shutil.which("harness")
    if found is None:
        raise RuntimeError("the harness command is not installed (pip install harness-ml)")
    return found


def run_cli(
    *args: str,
    home: str | os.PathLike[str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    input: str | None = None,
) -> CliResult:
    """Run the real ``harness`` command in a subprocess and capture its output."""
    full_env = dict(os.environ)
    full_env.pop(envvars.JOB_SPEC, None)
    if home is not None:
        full_env[envvars.HOME] = str(home)
    full_env.update(env or {})
    proc = subprocess.run(
        [harness_executable(), *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def job_processes(run_dir: str | os.PathLike[str]) -> list[int]:
    """Live job processes (``python -m harness.worker``) of the run in ``run_dir``:
    found by their folder, which is the run's whether the process was started for
    the job or before composition (``--early``, whose command line names no run)."""
    wanted = os.path.realpath(run_dir)
    return _pids_where(
        lambda proc: (
            b"harness.worker" in (proc / "cmdline").read_bytes()
            and os.readlink(proc / "cwd") == wanted
        )
    )


def workspace_processes(home: str | os.PathLike[str]) -> list[int]:
    """Live processes started for the workspace ``home``: its path in their command
    line, or ``HARNESS_HOME=home`` in the environment they started with (a job's
    process started before composition names no run folder). Not this process."""
    needle, marker = os.fsencode(home), b"HARNESS_HOME=" + os.fsencode(home)
    return _pids_where(
        lambda proc: (
            needle in (proc / "cmdline").read_bytes()
            or marker in (proc / "environ").read_bytes().split(b"\0")
        )
    )


def _pids_where(test: Callable[[Path], bool]) -> list[int]:
    """The other processes (from /proc) for which ``test(Path('/proc/PID'))`` holds."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if test(entry):
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    """The most (start, end) intervals that overlap at any moment: e.g. how many
    jobs of a sweep ran at once, from the jobs' own clocks."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    now = most = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most
