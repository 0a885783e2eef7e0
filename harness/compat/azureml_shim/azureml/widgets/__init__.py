"""``azureml.widgets.RunDetails``: a live view of a run or sweep in Jupyter.

Uses the harness dashboard's widget (``harness.ui``) when it is installed;
otherwise a table that updates in place every few seconds until the run ends
(an IPython display updated from a thread), or plain text outside Jupyter.
``show()`` returns None, as v1's did: a cell ending in ``RunDetails(run).show()``
shows the view once.
"""

from __future__ import annotations

import threading
import time
from html import escape
from typing import Any

REFRESH_S = 2.0


def _rows(run: Any) -> tuple[str, list[tuple[str, str, str]]]:
    handle = getattr(run, "_sweep", None) or getattr(run, "_handle", None) or run
    children = handle.get_children() if hasattr(handle, "get_children") else []
    status = handle.get_status()
    if children:
        rows = [
            (
                c.id,
                c.get_status(),
                ", ".join(
                    f"{k}={v}" for k, v in c.get_metrics().items() if isinstance(v, (int, float))
                ),
            )
            for c in children
        ]
    else:
        rows = [
            (
                handle.id,
                status,
                ", ".join(
                    f"{k}={v}"
                    for k, v in handle.get_metrics().items()
                    if isinstance(v, (int, float))
                ),
            )
        ]
    return status, rows


def _html(run: Any) -> str:
    status, rows = _rows(run)
    body = "".join(
        f"<tr><td>{escape(i)}</td><td>{escape(s)}</td><td>{escape(m)}</td></tr>" for i, s, m in rows
    )
    return (
        f"<div><b>{escape(type(run).__name__)} {escape(run.id)}</b>: {escape(status)}"
        f"<table><tr><th>run</th><th>status</th><th>metrics</th></tr>{body}</table></div>"
    )


def _text(run: Any) -> str:
    status, rows = _rows(run)
    return "\n".join([f"{run.id}: {status}", *(f"  {i}  {s}  {m}" for i, s, m in rows)])


def _final(run: Any) -> bool:
    return run.get_status() in ("Completed", "Failed", "Canceled")


class RunDetails:
    def __init__(self, run_instance: Any) -> None:
        self.run = run_instance
        self.widget: Any = None  # the dashboard's view, once shown
        self._thread: threading.Thread | None = None

    def show(self) -> None:
        try:  # the dashboard's widget (issue: harness ui), when this install has it
            from harness.ui.widget import RunDetails as DashboardWidget
        except ImportError:
            DashboardWidget = None  # noqa: N806
        if DashboardWidget is not None:
            self.widget = DashboardWidget(self.run)
            self.widget.show()
            return
        try:
            from IPython import get_ipython
            from IPython.display import HTML, display
        except ImportError:
            get_ipython = None  # type: ignore[assignment]
        if get_ipython is None or get_ipython() is None or not hasattr(get_ipython(), "kernel"):
            print(_text(self.run), flush=True)
            return
        handle = display(HTML(_html(self.run)), display_id=True)

        def refresh() -> None:
            while True:
                time.sleep(REFRESH_S)
                done = _final(self.run)
                handle.update(HTML(_html(self.run)))
                if done:
                    return

        if not _final(self.run):
            self._thread = threading.Thread(target=refresh, name="run-details", daemon=True)
            self._thread.start()

    def get_widget_data(self) -> dict[str, Any]:
        status, rows = _rows(self.run)
        return {
            "status": status,
            "runs": [{"id": i, "status": s, "metrics": m} for i, s, m in rows],
        }
