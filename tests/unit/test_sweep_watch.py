"""The sweep watch evaluates its policy when a report lands, not only on its poll."""

from __future__ import annotations

import threading
import time

from harness.run import metrics
from harness.run.metrics import MetricEvent
from harness.run.store import RunStore
from harness.sweeps import watch
from harness.sweeps.watch import JobWatch


def _watch(record, policy):
    return JobWatch(None, "sweep", record, "score", "maximize", policy, None, None)  # type: ignore[arg-type]


def test_a_report_makes_the_watch_evaluate_the_policy_at_once(home, monkeypatch):
    monkeypatch.setattr(watch, "POLL_S", 3600.0)  # the periodic check never comes
    checked = threading.Event()
    monkeypatch.setattr(JobWatch, "check", lambda self: checked.set())
    record = RunStore().create(experiment="e", estimator="probe", compute="local", params={})
    job_watch = _watch(record, {"name": "asha", "grace_period": 1})
    job_watch.start()
    try:
        assert not checked.is_set()  # nothing reported, nothing to evaluate
        metrics.append_events(
            metrics.writer_path(record.path, 0), [MetricEvent("score", 0.5, 0, time.time())]
        )
        assert checked.wait(30)
    finally:
        job_watch.close()
    assert job_watch.stop_reason is None


def test_the_watch_stops_the_job_when_the_policy_says_so(home, monkeypatch):
    monkeypatch.setattr(watch, "POLL_S", 3600.0)
    monkeypatch.setattr(JobWatch, "check", lambda self: "early-terminated by asha policy: x")
    record = RunStore().create(experiment="e", estimator="probe", compute="local", params={})
    job_watch = _watch(record, {"name": "asha", "grace_period": 1})
    job_watch.start()
    try:
        metrics.append_events(
            metrics.writer_path(record.path, 0), [MetricEvent("score", 0.5, 0, time.time())]
        )
        assert job_watch._stop.wait(30)
        assert job_watch.stop_reason == "early-terminated by asha policy: x"
    finally:
        job_watch.close()
