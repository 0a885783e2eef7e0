"""System metrics as a time series: what the job's processes and the machine were
doing, every second, kept apart from the user's metrics.

The driver's ``TreeMonitor`` (``resources.py``) calls ``SystemSeries.sample`` from
its sampling thread; every ``interval_s`` (``HARNESS_SYSTEM_METRICS_INTERVAL``,
default 1 s, ``0`` turns it off) one line is appended to ``system/samples.jsonl``
in the run's folder. Linux ``/proc`` only; elsewhere, and for a compute whose job
runs on another machine (no local processes to measure), no file is written.

The file (format version 1), one JSON object per line:

- first, ``{"kind": "header", "format": "harness.system-samples", "version": 1,
  "interval_s", "host", "cpus", "gpus": [{"index", "name", "memory_total_mb"}]}``;
- then one object per sample: ``time`` (seconds since the epoch); of the job's
  processes (every descendant of the driver): ``processes``, ``cpu_percent`` (100 =
  one core), ``memory_mb`` (resident, summed), ``disk_read_mb_s`` and
  ``disk_write_mb_s`` (storage I/O, from ``/proc/PID/io``); of the machine:
  ``host_cpu_percent`` (100 = every core busy), ``host_memory_used_mb``,
  ``net_rx_mb_s`` and ``net_tx_mb_s`` (every interface but loopback); with NVIDIA
  GPUs (NVML, through ``pynvml`` when installed), ``gpus``: ``[{"index",
  "util_percent", "memory_used_mb"}]``. Rates are over the time since the
  previous sample; the first sample has none of them.
- last, ``{"kind": "end", "time", "samples", "sampler_cpu_s"}``: the CPU seconds
  the sampling itself took (its overhead), written when the job ends.

``read_samples(run_dir)`` reads it back (a torn last line is skipped).
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from harness import envvars

FILE = Path("system") / "samples.jsonl"
FORMAT = "harness.system-samples"
VERSION = 1
DEFAULT_INTERVAL_S = 1.0
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20 if hasattr(os, "sysconf") else 0.0


def interval_s() -> float:
    """Seconds between samples; 0 when turned off."""
    raw = os.environ.get(envvars.SYSTEM_METRICS_INTERVAL, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_INTERVAL_S
    except ValueError:
        value = DEFAULT_INTERVAL_S
    return max(0.0, value)


def _read(path: str) -> str:
    with open(path, encoding="ascii", errors="replace") as handle:
        return handle.read()


def _process(pid: int) -> tuple[float, float, int, int] | None:
    """(CPU seconds, resident MB, bytes read, bytes written) of one process."""
    try:
        stat = _read(f"/proc/{pid}/stat")
        rss_pages = int(_read(f"/proc/{pid}/statm").split()[1])
    except (OSError, IndexError, ValueError):
        return None  # it ended between listing and reading
    fields = stat[stat.rfind(")") + 2 :].split()  # the name may hold spaces
    cpu = (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime
    read = written = 0
    try:
        for line in _read(f"/proc/{pid}/io").splitlines():
            key, _, value = line.partition(":")
            if key == "read_bytes":
                read = int(value)
            elif key == "write_bytes":
                written = int(value)
    except (OSError, ValueError):
        pass  # another user's process: no I/O figures
    return cpu, rss_pages * _PAGE_MB, read, written


def _host() -> dict[str, float]:
    out: dict[str, float] = {}
    try:
        cpu = [int(x) for x in _read("/proc/stat").splitlines()[0].split()[1:]]
        out["cpu_busy"] = float(sum(cpu) - cpu[3] - (cpu[4] if len(cpu) > 4 else 0))
        out["cpu_all"] = float(sum(cpu))
    except (OSError, IndexError, ValueError):
        pass
    try:
        info = {
            line.split(":")[0]: int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
        }
        out["memory_used_mb"] = (info["MemTotal"] - info["MemAvailable"]) / 1024
    except (OSError, KeyError, IndexError, ValueError):
        pass
    try:
        rx = tx = 0
        for line in _read("/proc/net/dev").splitlines()[2:]:
            name, _, counters = line.partition(":")
            if name.strip() == "lo":
                continue
            values = counters.split()
            rx, tx = rx + int(values[0]), tx + int(values[8])
        out["net_rx"], out["net_tx"] = float(rx), float(tx)
    except (OSError, IndexError, ValueError):
        pass
    return out


class _Nvml:
    """GPU utilisation and memory through NVML; nothing when pynvml or a driver is missing."""

    def __init__(self) -> None:
        self.handles: list[Any] = []
        self.module: Any = None
        try:
            import pynvml

            pynvml.nvmlInit()
            count = pynvml.nvmlDeviceGetCount()
            self.handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
            self.module = pynvml
        except Exception:  # no library, no driver, no GPU: no GPU figures
            self.handles = []

    def describe(self) -> list[dict[str, Any]]:
        out = []
        for index, handle in enumerate(self.handles):
            name = self.module.nvmlDeviceGetName(handle)
            total = self.module.nvmlDeviceGetMemoryInfo(handle).total
            out.append(
                {
                    "index": index,
                    "name": name.decode() if isinstance(name, bytes) else str(name),
                    "memory_total_mb": round(total / 2**20, 1),
                }
            )
        return out

    def sample(self) -> list[dict[str, Any]]:
        out = []
        for index, handle in enumerate(self.handles):
            try:
                util = self.module.nvmlDeviceGetUtilizationRates(handle).gpu
                used = self.module.nvmlDeviceGetMemoryInfo(handle).used
            except Exception:
                continue
            out.append(
                {"index": index, "util_percent": float(util), "memory_used_mb": used / 2**20}
            )
        return out


class SystemSeries:
    """Appends samples to the run's ``system/samples.jsonl``; call ``sample`` as
    often as you like: it writes at most once per interval."""

    def __init__(self, run_dir: Path, interval: float) -> None:
        self.path = run_dir / FILE
        self.interval = interval
        self.samples = 0
        self._handle: Any = None
        #: From the start: the first sample counts the CPU of processes born since.
        self._last_time = time.time()
        self._previous: dict[int, tuple[float, int, int]] = {}
        self._previous_host: dict[str, float] = {}
        #: CPU seconds the sampling took (its overhead, told in the end line).
        self.sampler_cpu_s = 0.0
        self._nvml: _Nvml | None = None

    def due(self, now: float) -> bool:
        return now - self._last_time >= self.interval * 0.999

    def sample(self, pids: list[int], now: float) -> None:
        started = time.thread_time()
        processes = [(pid, _process(pid)) for pid in pids]
        live = [(pid, figures) for pid, figures in processes if figures is not None]
        if not live and self._handle is None:
            return  # nothing of the job runs here (a remote compute): no file at all
        if self._handle is None:
            self._open()
        line: dict[str, Any] = {"time": round(now, 3), "processes": len(live)}
        line["memory_mb"] = round(sum(f[1] for _, f in live), 1)
        elapsed = now - self._last_time
        current = {pid: (f[0], f[2], f[3]) for pid, f in live}
        host = _host()
        if elapsed > 0:
            # Per process, so a process that ended does not make the sums go back.
            cpu = read = written = 0.0
            for pid, (c, r, w) in current.items():
                before = self._previous.get(pid, (0.0, 0, 0))
                cpu += max(0.0, c - before[0])
                read += max(0, r - before[1])
                written += max(0, w - before[2])
            line["cpu_percent"] = round(100 * cpu / elapsed, 1)
            line["disk_read_mb_s"] = round(read / 2**20 / elapsed, 3)
            line["disk_write_mb_s"] = round(written / 2**20 / elapsed, 3)
            before_host = self._previous_host
            if "cpu_all" in host and "cpu_all" in before_host:
                span = host["cpu_all"] - before_host["cpu_all"]
                if span > 0:
                    busy = host["cpu_busy"] - before_host["cpu_busy"]
                    line["host_cpu_percent"] = round(100 * busy / span, 1)
            for key in ("net_rx", "net_tx"):
                if key in host and key in before_host:
                    rate = max(0.0, host[key] - before_host[key]) / 2**20 / elapsed
                    line[f"{key}_mb_s"] = round(rate, 3)
        if "memory_used_mb" in host:
            line["host_memory_used_mb"] = round(host["memory_used_mb"], 1)
        assert self._nvml is not None
        gpus = self._nvml.sample()
        if gpus:
            line["gpus"] = gpus
        self._write(line)
        self._previous, self._previous_host, self._last_time = current, host, now
        self.samples += 1
        self.sampler_cpu_s += time.thread_time() - started

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115  # closed in close()
        self._nvml = _Nvml()
        header = {
            "kind": "header",
            "format": FORMAT,
            "version": VERSION,
            "interval_s": self.interval,
            "host": socket.gethostname(),
            "cpus": os.cpu_count(),
            "gpus": self._nvml.describe(),
        }
        self._write(header)

    def _write(self, line: dict[str, Any]) -> None:
        self._handle.write(json.dumps(line) + "\n")  # one write per line: never torn midway
        self._handle.flush()

    def close(self) -> None:
        if self._handle is None:
            return
        end = {
            "kind": "end",
            "time": round(time.time(), 3),
            "samples": self.samples,
            "sampler_cpu_s": round(self.sampler_cpu_s, 4),
        }
        self._write(end)
        self._handle.close()
        self._handle = None


def read_samples(run_dir: Path) -> dict[str, Any]:
    """``{"header", "samples", "end"}`` of a run's system metrics (empty when none)."""
    result: dict[str, Any] = {"header": None, "samples": [], "end": None}
    try:
        raw = (run_dir / FILE).read_bytes()
    except OSError:
        return result
    for line in raw.splitlines(keepends=True):
        if not line.endswith(b"\n"):
            break  # still being written
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if not isinstance(item, dict):
            continue
        kind = item.get("kind")
        if kind == "header":
            result["header"] = item
        elif kind == "end":
            result["end"] = item
        elif isinstance(item.get("time"), (int, float)):
            result["samples"].append(item)
    return result
