"""``HARNESS_TRACE_PLUGINS=1``: what every plugin costs and does, on stderr.

As datasette's ``DATASETTE_TRACE_PLUGINS``, hook calls are traced through pluggy's
own call monitoring (``add_hookcall_monitoring``): one line as a hook is called,
with its arguments and the plugins that implement it, then one line per plugin
with its duration (from the guard around each implementation) and one with the
whole call's. Each plugin's import time and the traceback of a plugin's failure
are printed too. Lines start with ``harness: trace:``.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from typing import Any

from pluggy import HookImpl, Result

__all__ = ["Tracer", "show"]


def show(value: Any, width: int = 80) -> str:
    """A short, one-line picture of a hook argument (records by their id)."""
    ident = getattr(value, "id", None)
    if isinstance(ident, str):
        return f"<{type(value).__name__} {ident}>"
    if callable(value) and hasattr(value, "__name__"):
        return f"<{type(value).__name__} {value.__name__}>"
    text = " ".join(repr(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _arguments(arguments: Mapping[str, Any]) -> str:
    return ", ".join(f"{name}={show(value)}" for name, value in arguments.items())


class Tracer:
    """Prints the trace lines; ``describe(plugin)`` names a plugin with its version."""

    def __init__(self, describe: Any) -> None:
        self.describe = describe
        self._started: list[float] = []

    def print(self, message: str) -> None:
        print(f"harness: trace: {message}", file=sys.stderr, flush=True)

    def before(self, hook: str, impls: Sequence[HookImpl], kwargs: Mapping[str, Any]) -> None:
        self._started.append(time.perf_counter())
        plugins = ", ".join(impl.plugin_name for impl in reversed(impls)) or "(none)"
        self.print(f"{hook}({_arguments(kwargs)}) → {plugins}")

    def after(
        self,
        outcome: Result[Any],
        hook: str,
        impls: Sequence[HookImpl],
        kwargs: Mapping[str, Any],
    ) -> None:
        seconds = time.perf_counter() - self._started.pop()
        raised = f", raised {type(outcome.exception).__name__}" if outcome.exception else ""
        self.print(f"{hook} done in {seconds * 1000:.2f} ms{raised}")

    def implementation(self, plugin: str, hook: str, seconds: float) -> None:
        self.print(f"  {hook}: {self.describe(plugin)} took {seconds * 1000:.2f} ms")

    def imported(self, plugin: str, seconds: float) -> None:
        self.print(f"import of {self.describe(plugin)} took {seconds * 1000:.2f} ms")

    def failure(self, error: BaseException) -> None:
        """The traceback the one-line warning leaves out."""
        lines = traceback.format_exception(type(error), error, error.__traceback__)
        for line in "".join(lines).rstrip().splitlines():
            self.print(line)
