"""System metrics as a time series: every second, the job's processes' CPU, memory
and disk I/O and the machine's CPU, memory and network go to the run's
``system/samples.jsonl``, apart from the user's metrics; the CPU they add up to is
the CPU the job used."""

from __future__ import annotations

import json
import sys
import types

from harness.run import system_metrics
from harness.testing import run_cli, script_job

# Burns about two CPU seconds in a child process (script mode: the worker and the
# script are two processes of the job), writes 8 MB, then logs one metric.
BURN = """
import time
from harness import Run
spent = time.process_time()
while time.process_time() - spent < 2.0:
    sum(i * i for i in range(10_000))
with open("outputs/blob.bin", "wb") as handle:
    handle.write(b"x" * (8 << 20))
Run.get_context().log("score", 1.0)
"""


def test_samples_describe_the_jobs_processes_and_add_up_to_its_cpu_time(home, tmp_path):
    result = run_cli("train", *script_job(tmp_path, BURN), home=home, cwd=tmp_path)
    assert result.returncode == 0, result.output
    shown = run_cli("runs", "show", result.run_id, "--format", "json", home=home).json()
    series = system_metrics.read_samples(home / "runs" / result.run_id)
    header, samples, end = series["header"], series["samples"], series["end"]
    assert header["format"] == "harness.system-samples" and header["version"] == 1
    assert header["interval_s"] == 1.0 and header["cpus"] >= 1
    assert len(samples) >= 2 and end["samples"] == len(samples)
    assert max(s["processes"] for s in samples) >= 2  # the worker and the user's script
    assert all(s["memory_mb"] > 0 for s in samples if s["processes"])
    for key in ("cpu_percent", "disk_write_mb_s", "host_cpu_percent", "host_memory_used_mb"):
        assert any(key in s for s in samples), key
    # The samples' CPU, added up over time, is the job's CPU time as getrusage gives it
    # (less what ran after the last sample, at most one interval).
    times = [s["time"] for s in samples]
    sampled = (
        sum(
            s["cpu_percent"] / 100 * (t - t0)
            for s, t, t0 in zip(samples[1:], times[1:], times[:-1], strict=True)
        )
        + samples[0].get("cpu_percent", 0) / 100 * 1.0
    )
    used = shown["system"]["cpu_time_s"]
    assert used >= 2.0 and 0.5 * used <= sampled <= 1.1 * used, (sampled, used)
    # 8 MB written to outputs/: the page cache may keep it, so only an upper bound.
    written = sum(s.get("disk_write_mb_s", 0) * 1.0 for s in samples)
    assert written <= 64
    # Apart from the user's metrics: not in the history, not in `metrics`.
    assert list(shown["history"]) == ["score"] and "cpu_percent" not in shown["metrics"]
    assert end["sampler_cpu_s"] < used  # its own cost, recorded for the benchmark


def test_interval_zero_writes_no_series(home, tmp_path):
    result = run_cli(
        "train",
        *script_job(tmp_path, "from harness import Run\nRun.get_context().log('score', 1)\n"),
        home=home,
        cwd=tmp_path,
        env={"HARNESS_SYSTEM_METRICS_INTERVAL": "0"},
    )
    assert result.returncode == 0, result.output
    assert not (home / "runs" / result.run_id / "system").exists()


def _fake_nvml(monkeypatch) -> None:
    """pynvml as NVML answers on a machine with two GPUs."""
    fake = types.ModuleType("pynvml")

    class Memory:
        def __init__(self, used: int) -> None:
            self.total, self.used = 80 << 30, used

    fake.nvmlInit = lambda: None
    fake.nvmlDeviceGetCount = lambda: 2
    fake.nvmlDeviceGetHandleByIndex = lambda i: i
    fake.nvmlDeviceGetName = lambda h: b"NVIDIA H100"
    fake.nvmlDeviceGetMemoryInfo = lambda h: Memory((h + 1) << 30)
    fake.nvmlDeviceGetUtilizationRates = lambda h: types.SimpleNamespace(gpu=40 + h)
    monkeypatch.setitem(sys.modules, "pynvml", fake)


def test_gpu_utilisation_and_memory_come_from_nvml(tmp_path, monkeypatch):
    import os
    import time

    _fake_nvml(monkeypatch)
    series = system_metrics.SystemSeries(tmp_path, 1.0)
    series.sample([os.getpid()], time.time() + 1)
    series.close()
    read = system_metrics.read_samples(tmp_path)
    assert read["header"]["gpus"] == [
        {"index": 0, "name": "NVIDIA H100", "memory_total_mb": 81920.0},
        {"index": 1, "name": "NVIDIA H100", "memory_total_mb": 81920.0},
    ]
    (sample,) = read["samples"]
    assert sample["gpus"] == [
        {"index": 0, "util_percent": 40.0, "memory_used_mb": 1024.0},
        {"index": 1, "util_percent": 41.0, "memory_used_mb": 2048.0},
    ]


def test_a_torn_last_line_is_skipped(tmp_path):
    path = tmp_path / system_metrics.FILE
    path.parent.mkdir()
    lines = [{"kind": "header", "version": 1}, {"time": 1.0, "processes": 1}]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines) + '{"time": 2.0, "pro')
    read = system_metrics.read_samples(tmp_path)
    assert read["samples"] == [{"time": 1.0, "processes": 1}] and read["end"] is None
