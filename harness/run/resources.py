"""System figures of a job, kept apart from the user's metrics.

A run's ``run.json`` has ``metrics`` (what the job logged) and ``system`` (what
the harness measured about the job): ``peak_rss_mb`` (the largest single process
of the job), ``peak_rss_tree_mb`` (all of the job's processes together),
``cpu_time_s`` (CPU seconds, user + system, of every process of the job) and, for
PyTorch on CUDA, ``gpu_peak_mb``. A job reports a system figure of its own by
logging it under the ``system/`` prefix (``run.log("system/gpu_peak_mb", …)``);
when the run ends such metrics move from ``metrics`` to ``system``. The same
prefix is MLflow's for its system metrics, so loggers show them apart too.

The driver measures the process tree around ``Compute.launch``: a thread samples
the RSS of every descendant of the driver every ``INTERVAL_S`` (Linux ``/proc``),
and ``getrusage(RUSAGE_CHILDREN)`` before and after gives the CPU time and the
exact peak of the largest process once the job's processes have been waited for.
The tree figure is sampled, so it is a lower bound of the true peak. The same
thread writes the run's system metrics as a time series (``system_metrics.py``).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from harness.run.system_metrics import SystemSeries, interval_s

SYSTEM_PREFIX = "system/"


def split_system(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(user metrics, system figures without their prefix) from last values."""
    user, system = {}, {}
    for name, value in values.items():
        if name.startswith(SYSTEM_PREFIX):
            system[name[len(SYSTEM_PREFIX) :]] = value
        else:
            user[name] = value
    return user, system


#: Job processes that another process of the harness waited for on this one's
#: behalf (a fork server's children: harness/contract/fork_server.py): their
#: largest peak RSS in MB and CPU seconds, as ``RUSAGE_CHILDREN`` counts its own.
_waited_elsewhere = [0.0, 0.0]
#: The harness's own helper processes among this one's descendants (a fork
#: server): not the job's, so not measured, though their children are.
_helpers: set[int] = set()


def add_waited_elsewhere(maxrss_mb: float, cpu_s: float) -> None:
    _waited_elsewhere[0] = max(_waited_elsewhere[0], maxrss_mb)
    _waited_elsewhere[1] += cpu_s


def set_helper(pid: int, helper: bool = True) -> None:
    (_helpers.add if helper else _helpers.discard)(pid)


def _children_maxrss_and_cpu() -> tuple[float, float]:
    """(largest waited-for descendant's peak RSS in MB, their CPU seconds)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0.0, 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    scale = 2**20 if sys.platform == "darwin" else 2**10  # macOS: bytes, Linux: KiB
    return (
        max(usage.ru_maxrss / scale, _waited_elsewhere[0]),
        usage.ru_utime + usage.ru_stime + _waited_elsewhere[1],
    )


_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20 if hasattr(os, "sysconf") else 0.0


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                text = Path(f"/proc/{current}/task/{task}/children").read_text()
            except OSError:
                continue
            for child in text.split():
                if int(child) not in _helpers:
                    found.append(int(child))
                todo.append(int(child))
    return found


def _rss_mb(pid: int) -> float:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE_MB
    except (OSError, IndexError, ValueError):
        return 0.0  # the process ended between listing and reading


class TreeMonitor:
    """Measure the driver's descendants while a job runs (a context manager);
    with ``run_dir``, also write their system metrics as a time series there."""

    INTERVAL_S = 0.5

    def __init__(self, run_dir: Path | None = None) -> None:
        self.peak_tree_mb = 0.0
        self.peak_single_mb = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sampling = Path("/proc/self/task").is_dir()
        self._before = (0.0, 0.0)
        self._after = (0.0, 0.0)
        self.series: SystemSeries | None = None
        if run_dir is not None and self._sampling and interval_s() > 0:
            self.series = SystemSeries(Path(run_dir), interval_s())

    def writing_to(self, run_dir: Path) -> TreeMonitor:
        """Also write the run's system metrics time series (``system_metrics.py``) into
        ``run_dir``; for ``with monitor.writing_to(path):`` once the run exists."""
        if self._sampling and interval_s() > 0:
            self.series = SystemSeries(Path(run_dir), interval_s())
        return self

    def __enter__(self) -> TreeMonitor:
        self._before = _children_maxrss_and_cpu()
        if self._sampling:
            self._thread = threading.Thread(target=self._loop, name="harness-tree", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._after = _children_maxrss_and_cpu()
        if self.series is not None:
            self.series.close()

    def _loop(self) -> None:
        root = os.getpid()
        period = min(self.INTERVAL_S, self.series.interval if self.series else self.INTERVAL_S)
        while not self._stop.wait(period):
            try:
                self.sample(root)
            except Exception as exc:  # measuring must never fail the run
                print(f"harness: warning: system metrics: {exc}", file=sys.stderr)
                return

    def sample(self, root: int) -> None:
        pids = _descendants(root)
        now = time.time()
        if self.series is not None and self.series.due(now):
            self.series.sample(pids, now)
        sizes = [_rss_mb(pid) for pid in pids]
        if sizes:
            self.peak_tree_mb = max(self.peak_tree_mb, sum(sizes))
            self.peak_single_mb = max(self.peak_single_mb, max(sizes))

    def figures(self) -> dict[str, float]:
        """The system figures of the job (absent when nothing could be measured)."""
        maxrss_before, cpu_before = self._before
        maxrss_after, cpu_after = self._after
        figures: dict[str, float] = {}
        # RUSAGE_CHILDREN's peak is over every child this process ever waited for:
        # it speaks for this job only if it grew during it.
        largest = max(self.peak_single_mb, maxrss_after if maxrss_after > maxrss_before else 0.0)
        if largest > 0:
            figures["peak_rss_mb"] = round(largest, 1)
        if self.peak_tree_mb > 0:
            figures["peak_rss_tree_mb"] = round(max(self.peak_tree_mb, largest), 1)
        if cpu_after > cpu_before:
            figures["cpu_time_s"] = round(cpu_after - cpu_before, 3)
        return figures
