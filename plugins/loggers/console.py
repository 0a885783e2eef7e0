"""The ``console`` logger: live progress and a metrics line now and then.

The job's stdout is a pipe to the driver, so the logger draws a live rich progress
bar only when the driver itself writes to a terminal (``HARNESS_TERMINAL``); in
logs and CI it prints one plain line per step instead.
"""

from __future__ import annotations

import os
import time
from typing import Any

from harness.contract.components import Logger
from harness.contract.compute_kit import TERMINAL_ENV


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class ConsoleLogger(Logger):
    def __init__(self, run: Any, options: dict[str, Any]) -> None:
        super().__init__(run, options)
        self.interval = float(options.get("interval", 2.0))
        self.show_progress = bool(options.get("progress", True))
        self.terminal = os.environ.get(TERMINAL_ENV) == "1"
        self.latest: dict[str, Any] = {}
        self.pending = False
        self.last_print = 0.0
        self._bar: Any = None
        self._task: Any = None

    def log_metrics(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event.value, (int, float)):
                self.latest[event.name] = event.value
        self.pending = True
        if time.monotonic() - self.last_print >= self.interval:
            self._print_metrics()

    def _print_metrics(self) -> None:
        if not self.latest:
            return
        line = "  ".join(f"{k}={_fmt(v)}" for k, v in sorted(self.latest.items()))
        self._echo(f"[metrics] {line}")
        self.pending = False
        self.last_print = time.monotonic()

    def _echo(self, text: str) -> None:
        if self._bar is not None:
            self._bar.console.print(text)
        else:
            print(text, flush=True)

    def progress(self, description: str, completed: int, total: int | None) -> None:
        if not self.show_progress:
            return
        if not self.terminal:
            if completed:
                of = f"/{total}" if total else ""
                print(f"[{description} {completed}{of}]", flush=True)
            return
        from rich.progress import Progress

        if self._bar is None:
            self._bar = Progress(transient=False)
            self._bar.console.force_terminal = True
            self._bar.start()
            self._task = self._bar.add_task(description, total=total)
        self._bar.update(self._task, completed=completed, total=total, description=description)

    def finish(self, status: str) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        if self.pending:
            self._print_metrics()
