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


# -- data: merged, bounded, never waiting --------------------------------------


class _Spillable(list):
    """Data that can be read back later, as the run's MetricBatch can."""

    def __init__(self, values: list[int], source: list[list[int]]) -> None:
        super().__init__(values)
        self._copy = list(values)
        source.append(self._copy)

    def spill(self):
        copy = self._copy
        return lambda: list(copy)


def _stalled_sink(max_values: int) -> tuple[BackgroundSink, threading.Event, list, list[str]]:
    """A sink whose first call waits for the returned gate; it records every data
    call it makes and every warning it gives."""
    gate = threading.Event()
    calls: list[list[int]] = []
    warnings: list[str] = []
    sink = BackgroundSink("slow", max_values=max_values, warn=warnings.append)
    sink.submit(gate.wait, 30)
    return sink, gate, calls, warnings


def _in_a_thread(work) -> None:
    """Run ``work``; fail (instead of hanging) if it waits for the stalled store."""
    done = threading.Thread(target=work, daemon=True)
    done.start()
    done.join(30)
    assert not done.is_alive(), "the caller waited for a stalled store"


def test_a_stalled_store_never_makes_the_caller_wait_and_loses_nothing():
    sink, gate, calls, warnings = _stalled_sink(max_values=100)
    sources: list[list[int]] = []

    def log() -> None:
        for start in range(0, 1000, 10):  # ten times the bound
            sink.submit_values(calls.append, _Spillable(list(range(start, start + 10)), sources))

    _in_a_thread(log)
    gate.set()
    sink.close(30)
    assert [v for call in calls for v in call] == list(range(1000))
    assert sink.dropped_values == 0
    (lag,) = warnings  # told once, not once per batch
    assert lag.startswith("logger 'slow' lags")


def test_values_past_the_bound_are_let_go_of_until_the_store_gets_to_them():
    import gc
    import weakref

    sink, gate, calls, _ = _stalled_sink(max_values=10)
    sources: list[list[int]] = []
    kept = _Spillable(list(range(10)), sources)
    let_go = _Spillable(list(range(10, 20)), sources)
    sink.submit_values(calls.append, kept)
    sink.submit_values(calls.append, let_go)
    held, freed = weakref.ref(kept), weakref.ref(let_go)
    del kept, let_go
    gc.collect()
    assert held() is not None and freed() is None  # only the second was over the bound
    gate.set()
    sink.close(30)
    assert [v for call in calls for v in call] == list(range(20))


def test_data_that_cannot_be_read_back_is_dropped_counted_and_told():
    sink, gate, calls, warnings = _stalled_sink(max_values=10)
    _in_a_thread(lambda: [sink.submit_values(calls.append, [i] * 5) for i in range(6)])
    gate.set()
    sink.close(30)
    assert [v for call in calls for v in call] == [0] * 5 + [1] * 5
    assert sink.dropped_values == 20
    assert len(warnings) == 3, warnings  # lag, first drop, total at close
    assert "cannot keep up" in warnings[1] and "20 values in all" in warnings[2]


def test_data_queued_behind_a_slow_call_is_merged_into_one_write():
    sink, gate, calls, _ = _stalled_sink(max_values=1000)
    for start in range(0, 50, 10):
        sink.submit_values(calls.append, list(range(start, start + 10)))
    sink.submit(calls.append, ["control"])  # ends the run of mergeable calls
    sink.submit_values(calls.append, [50])
    gate.set()
    sink.close(30)
    assert calls == [list(range(50)), ["control"], [50]]
