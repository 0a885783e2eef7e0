"""``RunDetails(run).show()``: Azure ML's notebook widget, for harness runs and sweeps.

In Jupyter it displays an ipywidgets ``HTML`` view (status, metrics with a small
chart each, the log tail; for a sweep its table with the best run marked) and a
daemon thread refreshes it every ``refresh_s`` seconds until the run or sweep is
final. Outside Jupyter (or without ipywidgets) ``show()`` prints the same facts as
plain text. The facts come from the CLI's JSON builders (one code path).

``show()`` displays once and returns None, as v1's did: returning the widget made
``RunDetails(run).show()`` as a cell's last line draw it twice. The display carries
a static HTML copy beside the widget (``text/html``), updated to the final state,
so a notebook viewer without widget support (GitHub, nbviewer, a saved file whose
widget state is gone) shows the table instead of an empty widget.
"""

from __future__ import annotations

import html
import threading
from pathlib import Path
from typing import Any

from harness.errors import NotFoundError

FINAL = ("Completed", "Failed", "Canceled")
LOG_LINES = 15


def _run_id(run: Any) -> str:
    if isinstance(run, str):
        return run
    for attr in ("id", "run_id"):
        value = getattr(run, attr, None)
        if isinstance(value, str):
            return value
    raise TypeError(f"RunDetails needs a run, a sweep or an id, not {type(run).__name__}")


def in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _sparkline(points: list[dict[str, Any]], width: int = 220, height: int = 48) -> str:
    values = [(p["step"], p["value"]) for p in points if isinstance(p["value"], (int, float))]
    if not values:
        return ""
    values.sort()
    xs, ys = [v[0] for v in values], [v[1] for v in values]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)

    def at(x: float, y: float) -> str:
        px = 2 + (width - 4) * ((x - x0) / (x1 - x0) if x1 > x0 else 0.5)
        py = height - 2 - (height - 4) * ((y - y0) / (y1 - y0) if y1 > y0 else 0.5)
        return f"{px:.1f},{py:.1f}"

    path = " ".join(at(x, y) for x, y in values)
    return (
        f'<svg width="{width}" height="{height}" data-points="{len(values)}">'
        f'<polyline fill="none" stroke="#2563eb" stroke-width="1.5" points="{path}"/></svg>'
    )


class RunDetails:
    """A live view of a run (or a sweep) by id or handle, as in ``azureml.widgets``."""

    def __init__(self, run: Any, refresh_s: float = 1.0, home: Path | None = None) -> None:
        from harness.run.store import RunStore
        from harness.sweeps.store import SweepStore

        self.id = _run_id(run)
        self.refresh_s = refresh_s
        self.runs, self.sweeps = RunStore(home), SweepStore(home)
        if (self.runs.root / self.id).is_dir():
            self.kind = "run"
        elif (self.sweeps.root / self.id).is_dir():
            self.kind = "sweep"
        else:
            raise NotFoundError(f"no run or sweep '{self.id}' in {self.runs.root.parent}")
        self.widget: Any = None
        self._display: Any = None  # the display handle (widget + static HTML)
        self._thread: threading.Thread | None = None

    # -- the facts ---------------------------------------------------------------
    def data(self) -> dict[str, Any]:
        if self.kind == "sweep":
            from harness.sdk.sweep import sweep_summary

            return sweep_summary(self.sweeps.root.parent, self.id)
        from harness.run.liveness import reconcile
        from harness.sdk.run import detail_json

        return detail_json(self.runs, reconcile(self.runs, self.runs.get(self.id)))

    def _log_tail(self) -> str:
        logs = self.runs.root / self.id / "logs"
        lines: list[str] = []
        for name in ("stdout.txt", "rank_0.txt", "stderr.txt"):
            path = logs / name
            if path.is_file():
                with open(path, "rb") as handle:
                    handle.seek(max(0, path.stat().st_size - 8192))
                    lines += handle.read().decode("utf-8", "replace").splitlines()[-LOG_LINES:]
                break
        return "\n".join(lines)

    def status(self, data: dict[str, Any] | None = None) -> str:
        return str((data or self.data())["status"])

    def text(self, data: dict[str, Any] | None = None) -> str:
        from harness.sdk.formatting import format_value

        data = data or self.data()
        if self.kind == "sweep":
            best = data["best"]
            lines = [
                f"sweep {data['sweep_id']} [{data['status']}]  metric {data['metric']} ({data['goal']})"
            ]
            for row in data["runs"]:
                mark = "*" if best and row["run_id"] == best["run_id"] else " "
                reason = f"  ({row['error']})" if row.get("error") else ""
                lines.append(
                    f"{mark} {row['run_id'] or '-':<24} {row['status']:<9} "
                    f"{format_value(row['value']) if row['value'] is not None else '-':>8}  "
                    f"{' '.join(row['overrides'])}{reason}"
                )
            return "\n".join(lines)
        lines = [f"run {data['id']} [{data['status']}]  experiment={data['experiment']}"]
        if data.get("error"):
            lines.append(f"error: {data['error']}")
        for name, points in data["history"].items():
            numbers = [p["value"] for p in points if isinstance(p["value"], (int, float))]
            if numbers:
                lines.append(f"  {name}: {format_value(numbers[-1])} ({len(numbers)} points)")
        return "\n".join(lines)

    def html(self, data: dict[str, Any] | None = None) -> str:
        from harness.sdk.formatting import format_value

        data = data or self.data()
        e = html.escape
        style = "font-family:system-ui,sans-serif;font-size:13px"
        if self.kind == "sweep":
            best = data["best"]
            rows = "".join(
                f'<tr style="background:{"#ecfdf5" if best and r["run_id"] == best["run_id"] else "white"}">'
                f"<td>{'★ ' if best and r['run_id'] == best['run_id'] else ''}{e(r['run_id'] or '-')}</td>"
                f"<td>{e(r['status'])}</td><td>{e(format_value(r['value'])) if r['value'] is not None else '-'}</td>"
                f"<td>{e(' '.join(r['overrides']))}</td><td>{e(r.get('error') or '')}</td></tr>"
                for r in data["runs"]
            )
            return (
                f'<div style="{style}"><b>sweep {e(data["sweep_id"])}</b> [{e(data["status"])}] '
                f"metric {e(str(data['metric']))} ({e(data['goal'])})<table>"
                f"<tr><th>run</th><th>status</th><th>value</th><th>overrides</th><th>reason</th></tr>"
                f"{rows}</table></div>"
            )
        charts = "".join(
            f'<div style="display:inline-block;margin:4px 12px 4px 0"><div><b>{e(name)}</b> '
            f"{e(format_value(points[-1]['value']))}</div>{_sparkline(points)}</div>"
            for name, points in data["history"].items()
            if points and isinstance(points[-1]["value"], (int, float))
        )
        error = f'<div style="color:#b91c1c">{e(data["error"])}</div>' if data.get("error") else ""
        return (
            f'<div style="{style}"><b>run {e(data["id"])}</b> [{e(data["status"])}] '
            f"experiment {e(data['experiment'])}, {e(data['estimator'])} on {e(data['compute'])}"
            f"{error}<div>{charts}</div>"
            f'<pre style="background:#0b1020;color:#e5e7eb;padding:6px;max-height:220px;'
            f'overflow:auto">{e(self._log_tail())}</pre></div>'
        )

    # -- showing -------------------------------------------------------------------
    def show(self) -> None:
        """Display the live view in Jupyter (once per call); print the plain-text view
        elsewhere. Returns None, so a cell's last line does not display it again;
        the widget is ``self.widget``."""
        try:
            if not in_notebook():
                raise ImportError
            import ipywidgets
            from IPython.display import display
        except ImportError:
            print(self.text())
            return
        data = self.data()
        self.widget = ipywidgets.HTML(value=self.html(data))
        self._display = display(self._bundle(data), raw=True, display_id=True)
        if data["status"] not in FINAL:
            self._thread = threading.Thread(target=self._follow, name="RunDetails", daemon=True)
            self._thread.start()

    def _bundle(self, data: dict[str, Any]) -> dict[str, Any]:
        """The widget's own display data, plus the same view as static HTML for
        viewers that cannot render widgets (they pick the richest they know)."""
        bundle = dict(self.widget._repr_mimebundle_())
        bundle["text/html"] = self.html(data)
        bundle["text/plain"] = self.text(data)
        return bundle

    def _follow(self) -> None:
        import time

        while True:
            time.sleep(self.refresh_s)
            try:
                data = self.data()
            except (OSError, ValueError):
                continue  # a record being replaced: the next look reads it whole
            self.widget.value = self.html(data)
            if data["status"] in FINAL:
                if self._display is not None:  # the saved static copy: the final state
                    self._display.update(self._bundle(data), raw=True)
                return

    def wait(self, timeout: float | None = None) -> None:
        """Block until the live view has shown the final state (for scripts and tests)."""
        if self._thread is not None:
            self._thread.join(timeout)
