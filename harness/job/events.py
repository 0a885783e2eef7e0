"""What ``harness train`` tells the program that started it: one JSON event per line.

The Python API's ``submit``, the bench runner and the sweep resume start ``harness
train`` as a process of its own and need to know what became of it: the run or
sweep it recorded, or why it refused, with its exit code. The CLI's printed lines
are for people (they change, they are interleaved with the job's output); these
events are for programs. The caller names a file in ``HARNESS_EVENTS``; the
driver appends one line per event (a single ``write`` with ``O_APPEND``, so
processes of one sweep never interleave within a line), and the caller reads
them with ``read``:

- ``{"event": "run_created", "run_id", "sweep_id"}``: the record exists (``Queued``);
- ``{"event": "run_accepted", "run_id"}``: the job's own check of its config
  passed (``Estimator.validate_in_job``), so the run will not be discarded;
- ``{"event": "sweep_created", "sweep_id", "resumed"}``;
- ``{"event": "refused", "message", "exit_code", "run_id"}``: a user's mistake
  (one line, the CLI's ``harness: error:`` text), nothing kept;
- ``{"event": "finished", "run_id", "status", "exit_code"}``: a run's end.

A missing or unwritable file loses the events, never the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from harness import envvars

__all__ = [
    "Event",
    "EventName",
    "emit",
    "read",
]

EventName = Literal["run_created", "run_accepted", "sweep_created", "refused", "finished"]


@dataclass(frozen=True)
class Event:
    """One line of the channel. Fields that an event does not carry are None."""

    event: EventName
    run_id: str | None = None
    sweep_id: str | None = None
    resumed: bool | None = None
    status: str | None = None
    exit_code: int | None = None
    message: str | None = None
    time: float = 0.0

    def to_line(self) -> bytes:
        fields = {k: v for k, v in asdict(self).items() if v is not None}
        return (json.dumps(fields, separators=(",", ":")) + "\n").encode()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Event:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def channel() -> Path | None:
    """The file this process's caller asked for events in (``HARNESS_EVENTS``)."""
    path = os.environ.get(envvars.EVENTS)
    return Path(path) if path else None


def emit(event: EventName, **fields: Any) -> None:
    """Append one event to the caller's channel, if it gave one."""
    path = channel()
    if path is None:
        return
    line = Event(event, time=time.time(), **fields).to_line()
    with contextlib.suppress(OSError):  # the events are the caller's; the run goes on
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)


def read(path: Path, offset: int = 0) -> tuple[list[Event], int]:
    """The complete events of ``path`` from byte ``offset`` on, and the offset after
    them (a line still being written is left for the next call)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            data = handle.read()
    except FileNotFoundError:
        return [], offset
    complete = data[: data.rfind(b"\n") + 1]
    events = [Event.from_json(json.loads(line)) for line in _lines(complete)]
    return events, offset + len(complete)


def _lines(data: bytes) -> Iterator[bytes]:
    for line in data.splitlines():
        if line.strip():
            yield line
