"""The loggers' BackgroundSink: a failure is told once, naming the step that failed
and how many queued writes it cost, and a sink that cannot start a thread (Python
3.12+ at interpreter shutdown, when a process first logs in Run.close) still writes."""

from __future__ import annotations

import threading

import pytest

from harness.contract.background import BackgroundSink, SinkError


def test_a_failed_step_is_named_with_the_writes_it_cost():
    written: list[int] = []
    gate = threading.Event()

    def _start() -> None:
        gate.wait(10)
        raise RuntimeError("can't register atexit after shutdown")

    sink = BackgroundSink("test")
    sink.submit(_start)
    sink.submit(written.append, 1)  # queued behind the failing start
    sink.submit(written.append, 2)
    gate.set()
    with pytest.raises(SinkError) as raised:
        sink.close(10)
    message = str(raised.value)
    assert message.startswith("start: RuntimeError: can't register atexit after shutdown")
    assert "2 later write(s) were not made" in message
    assert isinstance(raised.value.__cause__, RuntimeError)
    assert written == []


def _refuse_threads(self: threading.Thread) -> None:
    raise RuntimeError("can't create new thread at interpreter shutdown")


def test_without_a_thread_the_sink_writes_inline(monkeypatch):
    monkeypatch.setattr(threading.Thread, "start", _refuse_threads)
    written: list[int] = []
    sink = BackgroundSink("test")
    sink.submit(written.append, 1)
    sink.submit(written.append, 2)
    sink.close(10)
    assert written == [1, 2]


def test_an_inline_failure_is_raised_on_the_next_call(monkeypatch):
    monkeypatch.setattr(threading.Thread, "start", _refuse_threads)
    sink = BackgroundSink("test")

    def _write_metrics() -> None:
        raise OSError("database is locked")

    sink.submit(_write_metrics)
    with pytest.raises(SinkError, match="write_metrics: OSError: database is locked"):
        sink.submit(print)
