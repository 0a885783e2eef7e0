"""harness.Run: buffered logging, flushing, loggers, and the offline run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness import Logger, hookimpl
from harness.contract.context import OfflineRun, Run
from harness.contract.jobspec import JobSpec
from harness.run import metrics
from harness.run.store import RunStore


@pytest.fixture
def live_run(home):
    run = Run(_spec(params={"lr": 0.1}))
    yield run
    run.close()


def test_log_is_buffered_until_flush(home, monkeypatch):
    # the timed flush an hour away: only flush() may write, however slow the machine
    monkeypatch.setattr(Run, "FLUSH_INTERVAL_S", 3600.0)
    run = Run(_spec())
    run.log("loss", 0.5)
    run.log("loss", 0.25)
    assert metrics.history(run.run_dir) == {}  # nothing written yet: no I/O per call
    run.flush()
    history = metrics.history(run.run_dir)
    assert [(p["step"], p["value"]) for p in history["loss"]] == [(0, 0.5), (1, 0.25)]
    run.close()


def test_log_list_row_and_numpy_values(live_run):
    live_run.log_list("curve", [1, 2, 3])
    live_run.log_row("table", epoch=1, acc=np.float32(0.5))
    live_run.log("acc", np.float64(0.75), step=10)
    live_run.close()
    values = metrics.last_values(live_run.run_dir)
    assert values == {"curve": 3, "table": {"epoch": 1, "acc": 0.5}, "acc": 0.75}
    assert [p["step"] for p in metrics.history(live_run.run_dir)["curve"]] == [0, 1, 2]


def test_params_are_read_only(live_run):
    assert live_run.params.lr == 0.1
    with pytest.raises(Exception):  # noqa: B017 - omegaconf's ReadonlyConfigError
        live_run.params.lr = 1.0


class _Recorder(Logger):
    seen: list = []

    def log_metrics(self, events):
        _Recorder.seen.extend(e.name for e in events)

    def finish(self, status):
        _Recorder.seen.append(f"finish:{status}")


class _Broken(Logger):
    def log_metrics(self, events):
        raise ConnectionError("server unreachable")


class _LoggerPlugin:
    @hookimpl
    def harness_register_loggers(self, register):
        register("recorder", _Recorder)
        register("broken", _Broken)


def test_loggers_get_batches_and_a_broken_one_is_switched_off(home, registered_plugin, capsys):
    registered_plugin(_LoggerPlugin(), "test-loggers")
    spec = _spec(loggers={"broken": {}, "recorder": {}})
    run = Run(spec)
    _Recorder.seen = []
    run.log("a", 1)
    run.flush()
    run.log("b", 2)
    run.close("Completed")
    assert _Recorder.seen == ["a", "b", "finish:Completed"]
    err = capsys.readouterr().err
    assert err.count("logger 'broken' failed") == 1
    assert metrics.last_values(Path(spec.run_dir)) == {"a": 1, "b": 2}


def test_offline_run_prints(capsys, monkeypatch):
    monkeypatch.delenv("HARNESS_JOB_SPEC", raising=False)
    run = Run.get_context()
    assert isinstance(run, OfflineRun) and run.is_offline
    run.log("accuracy", 0.9)
    assert "[offline run] accuracy: 0.9" in capsys.readouterr().out


@pytest.mark.parametrize(
    "value", [1, -3, 0.1, 1e-300, 2.5e300, float("nan"), float("inf"), "text", {"a": 1}, True, None]
)
def test_encoded_events_round_trip_through_json(value):
    import json
    import math

    from harness.run.metrics import MetricEvent, encode_event

    line = encode_event(MetricEvent('we"ird\\name', value, 3, 1700000000.123456))
    decoded = json.loads(line)
    assert decoded["name"] == 'we"ird\\name' and decoded["step"] == 3
    assert decoded["time"] == 1700000000.123456
    if isinstance(value, float) and math.isnan(value):
        assert math.isnan(decoded["value"])
    else:
        assert decoded["value"] == value and type(decoded["value"]) is type(value)


def test_a_job_error_is_its_first_line_and_the_first_writer_wins(tmp_path):
    from harness.run import job_error

    assert job_error.read(tmp_path) is None
    try:
        raise AttributeError("module 'numpy' has no attribute 'float'.\nsee https://numpy.org/x")
    except AttributeError as exc:
        job_error.write(tmp_path, exc)
    job_error.write(tmp_path, RuntimeError("a second rank"))  # not the cause: ignored
    assert job_error.read(tmp_path) == "AttributeError: module 'numpy' has no attribute 'float'."
    assert job_error.describe(KeyError())["line"] == "KeyError"


class _Stalled(Logger):
    """A logger whose progress blocks until the training loop has finished: were
    progress called from the loop, the loop would never finish."""

    loop_done = None  # threading.Event, set by the test
    seen: list = []

    def progress(self, description, completed, total):
        assert _Stalled.loop_done.wait(60), "the training loop waited for the logger"
        _Stalled.seen.append((description, completed, total))

    def finish(self, status):
        _Stalled.seen.append(f"finish:{status}")


class _StalledPlugin:
    @hookimpl
    def harness_register_loggers(self, register):
        register("stalled", _Stalled)


def test_a_slow_logger_never_holds_up_the_training_loop(home, registered_plugin):
    import threading

    registered_plugin(_StalledPlugin(), "test-stalled")
    record = RunStore().create(experiment="e", estimator="sklearn", compute="local", params={})
    spec = JobSpec(
        record.id, str(record.path), "e", "sklearn", "local", params={}, loggers={"stalled": {}}
    )
    run = Run(spec)
    _Stalled.loop_done, _Stalled.seen = threading.Event(), []
    for epoch in run.progress(range(5), description="epoch"):
        run.log("epoch", epoch)
    _Stalled.loop_done.set()  # only now may the logger's progress return
    run.close("Completed")
    # The newest pending update wins: it saw the last step, in order, before finish.
    assert _Stalled.seen[-2:] == [("epoch", 5, 5), "finish:Completed"]
    steps = [update[1] for update in _Stalled.seen[:-1]]
    assert steps == sorted(steps) and len(steps) <= 6


def _spec(params=None, **fields):
    """A saved job spec of a new run in the test's workspace."""
    params = params or {}
    record = RunStore().create(experiment="e", estimator="sklearn", compute="local", params=params)
    spec = JobSpec(record.id, str(record.path), "e", "sklearn", "local", params=params, **fields)
    spec.save()
    return spec


def _wait_for(condition, limit_s=30.0):
    import time

    deadline = time.monotonic() + limit_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_a_prompt_metric_is_written_as_it_is_logged(home, monkeypatch):
    # No timed flush during the test: only the report itself can write the file.
    monkeypatch.setattr(Run, "FLUSH_INTERVAL_S", 3600.0)
    run = Run(_spec(prompt_metrics=["score"]))
    try:
        run.log("loss", 0.5)
        assert metrics.history(run.run_dir) == {}  # other metrics wait for a flush
        run.log("score", 0.9, step=4)
        assert _wait_for(lambda: "score" in metrics.history(run.run_dir))
        history = metrics.history(run.run_dir)
        # The flush it asked for wrote the whole buffer, in order.
        assert [(p["step"], p["value"]) for p in history["score"]] == [(4, 0.9)]
        assert [(p["step"], p["value"]) for p in history["loss"]] == [(0, 0.5)]
    finally:
        run.close()


def test_without_prompt_metrics_a_report_waits_for_the_flush(home, monkeypatch):
    monkeypatch.setattr(Run, "FLUSH_INTERVAL_S", 3600.0)
    run = Run(_spec(prompt_metrics=[]))
    try:
        run.log("score", 0.9)
        assert metrics.history(run.run_dir) == {}
    finally:
        run.close()
    assert [p["value"] for p in metrics.history(run.run_dir)["score"]] == [0.9]
