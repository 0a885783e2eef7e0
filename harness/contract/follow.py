"""Stream a growing file to the terminal while a job writes it (``tail -f``).

Rank 0 writes its output straight into ``logs/rank_0.txt`` (see ``rank.py``);
this thread shows it live. It stops once the job has ended and the file is read
to its end, so nothing the rank wrote last is dropped.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import BinaryIO

POLL_S = 0.1


class FileFollower(threading.Thread):
    def __init__(self, path: Path, sink: BinaryIO) -> None:
        super().__init__(name=f"follow-{path.name}", daemon=True)
        self.path = path
        self.sink = sink
        self._done = threading.Event()

    def run(self) -> None:
        handle = None
        try:
            while True:
                finished = self._done.is_set()  # read before the last pass: no lost tail
                if handle is None and self.path.exists():
                    handle = open(self.path, "rb")  # noqa: SIM115 - closed in finally
                if handle is not None:
                    while chunk := handle.read(65536):
                        try:
                            self.sink.write(chunk)
                            self.sink.flush()
                        except (OSError, ValueError):  # a closed terminal: keep going
                            pass
                if finished:
                    return
                self._done.wait(POLL_S)
        finally:
            if handle is not None:
                handle.close()

    def stop(self, timeout: float = 5.0) -> None:
        self._done.set()
        self.join(timeout)
