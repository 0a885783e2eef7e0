"""The ``tensorboard`` logger: scalar event files under the run's ``logs/tensorboard/``.

Uses the ``tensorboard`` package's protos (torch is not imported) and writes the
event file itself (``tfevents.py``: one write and one flush per batch, a C CRC).
Numeric metrics become scalars with their steps, the params go in as HParams, and
the final status as a text summary ``harness/status``. Writing happens on a
background thread (``harness.contract.background``), so a slow disk delays only
this store.
"""

from __future__ import annotations

import time
from typing import Any

from harness.contract.background import DEFAULT_MAX_VALUES, BackgroundSink
from harness.contract.components import Logger
from harness.contract.records import flatten
from harness.plugins.loggers.tfevents import EventFile, scalar_records


class TensorBoardLogger(Logger):
    def __init__(self, run: Any, options: dict[str, Any]) -> None:
        super().__init__(run, options)
        self.logdir = run.logs_dir / str(options.get("subdir") or "tensorboard")
        self.finish_timeout = float(options.get("finish_timeout", 120))
        self.file: EventFile | None = None
        self.sink = BackgroundSink(
            "tensorboard", max_values=int(options.get("max_queue", DEFAULT_MAX_VALUES))
        )
        self.sink.submit(self._open)

    def _open(self) -> None:
        self.file = EventFile(self.logdir)

    def _add(self, summary: Any, step: int = 0) -> None:
        from tensorboard.compat.proto.event_pb2 import Event

        assert self.file is not None
        event = Event(wall_time=time.time(), step=step, summary=summary)
        self.file.write([event.SerializeToString()])
        self.file.flush()

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
        self.sink.submit_values(self._write_metrics, events)

    def _write_metrics(self, events: list[Any]) -> None:
        assert self.file is not None
        self.file.write(scalar_records(events))
        self.file.flush()  # one flush per batch: the sink merges what queued up

    # -- end ------------------------------------------------------------------
    def finish(self, status: str) -> None:
        self.sink.submit(self._close, status)
        self.sink.close(self.finish_timeout)

    def _close(self, status: str) -> None:
        from tensorboard.plugins.text.summary_v2 import text_pb

        self._add(text_pb("harness/status", status))
        assert self.file is not None
        self.file.close()
