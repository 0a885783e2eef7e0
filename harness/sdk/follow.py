"""Stream a run's log files while it runs: ``harness runs logs -f`` and
``run.wait_for_completion(show_output=True)`` both use this."""

from __future__ import annotations

import codecs
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.safetext import raw_stream

POLL_S = 0.25


class LogFollower:
    """Writes what was appended to a run's ``logs/*.txt`` since the last call.

    Text goes to ``sys.stdout``/``sys.stderr`` as they are *now* (a Jupyter
    kernel replaces them per cell), decoded incrementally so a multi-byte
    character split between two reads is not mangled.
    """

    def __init__(self, logs_dir: Path, only: str | None = None) -> None:
        self.logs_dir = logs_dir
        self.only = only
        self.offsets: dict[Path, int] = {}
        self.decoders: dict[Path, Any] = {}

    def files(self) -> list[Path]:
        if self.only:
            return [self.logs_dir / self.only]
        order = {"stdout.txt": 0, "stderr.txt": 1}
        return sorted(self.logs_dir.glob("*.txt"), key=lambda p: (order.get(p.name, 2), p.name))

    def pump(self) -> None:
        for path in self.files():
            try:
                with open(path, "rb") as handle:
                    handle.seek(self.offsets.get(path, 0))
                    chunk = handle.read()
            except FileNotFoundError:
                continue
            if not chunk:
                continue
            self.offsets[path] = self.offsets.get(path, 0) + len(chunk)
            decoder = self.decoders.setdefault(
                path, codecs.getincrementaldecoder("utf-8")("replace")
            )
            # The job's own log stream, as it wrote it (progress bars, colours): the
            # one output `harness` does not escape (harness.safetext).
            sink = raw_stream(sys.stderr if path.name == "stderr.txt" else sys.stdout)
            sink.write(decoder.decode(chunk))
            sink.flush()


def follow(
    logs_dir: Path,
    is_final: Callable[[], bool],
    only: str | None = None,
    deadline: float | None = None,
) -> bool:
    """Print the logs until ``is_final()``; False when ``deadline`` (monotonic) passed."""
    follower = LogFollower(logs_dir, only)
    follower.pump()
    while not is_final():
        if deadline is not None and time.monotonic() > deadline:
            return False
        time.sleep(POLL_S)
        follower.pump()
    follower.pump()  # what the job wrote between the last read and its end
    return True
