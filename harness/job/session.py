"""The session: the state of one ``harness train`` in this process.

``harness train`` hands the command line to ``@hydra.main``, and Hydra calls the
task function with nothing but the composed config: whatever else the task needs
(the command line as typed, whether composition is over, the datastore paths the
config resolved) cannot be passed as an argument. It lives on one ``Session``
object, and ``_current`` below is the one global that finds it, because Hydra's
task-function design leaves no other way in. What other layers own stays there:
the interrupt flag and the stop request in ``harness.contract.interrupts``, the
sweep this process drives in ``harness.sweeps.current``.

A process that never started ``harness train`` (a joblib worker of a multirun, a
notebook calling the driver) gets a fresh session from ``ensure()``.
"""

from __future__ import annotations

import io
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, TextIO

from harness.contract import interrupts

__all__ = ["Session", "current", "ensure", "start"]


@dataclass
class Session:
    #: The command line as the user typed it (``harness train ...``), for provenance.
    argv: list[str] = field(default_factory=list)
    #: True while the harness's own Hydra app composes: the search-path plugin adds
    #: the plugins' config groups only then, never to somebody else's Hydra app.
    app_active: bool = False
    #: Set once Hydra calls the task function: a Hydra exit before that is a config
    #: error (exit 2), one after it is the job's own status.
    task_started: bool = False
    #: The ``${datastore:...}`` paths resolved for the job being planned.
    datastores_used: list[dict[str, Any]] = field(default_factory=list)
    #: (the real stderr, the buffer) while Hydra composes: what it prints is held back
    #: (shown once the task starts, or with a composition error's one line).
    held_stderr: tuple[TextIO, io.StringIO] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record_datastore(self, record: dict[str, Any]) -> None:
        with self._lock:
            if record not in self.datastores_used:
                self.datastores_used.append(record)

    def release_stderr(self) -> str:
        """Restore the real stderr; return what was held back while composing."""
        held, self.held_stderr = self.held_stderr, None
        if held is None:
            return ""
        sys.stderr = held[0]
        return str(held[1].getvalue())

    def take_datastores(self) -> list[dict[str, Any]]:
        """The datastore paths resolved since the last call (and forget them)."""
        with self._lock:
            used, self.datastores_used = self.datastores_used, []
        return used


# The one global (see the module docstring for why).
_current: Session | None = None


def start(argv: list[str]) -> Session:
    """A new session for ``harness train`` (replacing any earlier one, and the
    process's earlier interrupts and stop requests)."""
    global _current
    interrupts.reset()
    _current = Session(argv=list(argv))
    return _current


def current() -> Session | None:
    return _current


def ensure() -> Session:
    """The current session, or a new one for a process that started none (its
    interrupts so far stay recorded)."""
    global _current
    if _current is None:
        _current = Session()
    return _current
