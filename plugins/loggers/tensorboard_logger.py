"""The ``tensorboard`` logger: scalar event files under the run's ``logs/tensorboard/``.

Uses the ``tensorboard`` package's own writer (``EventFileWriter``) and protos, so
torch is not imported. Numeric metrics become scalars with their steps, the
params go in as HParams, and the final status as a text summary
``harness/status``. Writing happens on a background thread.
"""

from __future__ import annotations

from typing import Any

from harness.contract.background import BackgroundSink
from harness.contract.components import Logger
from harness.run.record import flatten


class TensorBoardLogger(Logger):
    def __init__(self, run: Any, options: dict[str, Any]) -> None:
        super().__init__(run, options)
        self.logdir = run.logs_dir / str(options.get("subdir") or "tensorboard")
        self.finish_timeout = float(options.get("finish_timeout", 120))
        self.writer: Any = None
        self.sink = BackgroundSink("tensorboard")
        self.sink.submit(self._open)

    def _open(self) -> None:
        from tensorboard.summary.writer.event_file_writer import EventFileWriter

        self.logdir.mkdir(parents=True, exist_ok=True)
        self.writer = EventFileWriter(str(self.logdir), max_queue_size=1024, flush_secs=5)

    def _add(self, summary: Any, step: int = 0, wall_time: float | None = None) -> None:
        import time

        from tensorboard.compat.proto.event_pb2 import Event

        self.writer.add_event(Event(wall_time=wall_time or time.time(), step=step, summary=summary))

    # -- params ---------------------------------------------------------------
    def log_params(self, params: dict[str, Any]) -> None:
        self.sink.submit(self._write_params, params)

    def _write_params(self, params: dict[str, Any]) -> None:
        from tensorboard.plugins.hparams.summary_v2 import hparams_pb

        values = {
            k: v if isinstance(v, (bool, int, float, str)) else str(v)
            for k, v in flatten(params).items()
            if v is not None
        }
        self._add(hparams_pb(values, trial_id=self.run.id))

    # -- metrics --------------------------------------------------------------
    def log_metrics(self, events: list[Any]) -> None:
        self.sink.submit(self._write_metrics, events)

    def _write_metrics(self, events: list[Any]) -> None:
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.compat.proto.summary_pb2 import Summary

        add = self.writer.add_event
        for name, value, step, when in events:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue  # rows and strings are not scalars
            add(
                Event(
                    wall_time=when,
                    step=step,
                    summary=Summary(value=[Summary.Value(tag=name, simple_value=float(value))]),
                )
            )

    # -- end ------------------------------------------------------------------
    def finish(self, status: str) -> None:
        self.sink.submit(self._close, status)
        self.sink.close(self.finish_timeout)

    def _close(self, status: str) -> None:
        from tensorboard.plugins.text.summary_v2 import text_pb

        self._add(text_pb("harness/status", status))
        self.writer.close()
