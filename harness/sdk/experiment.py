"""``Experiment(name).submit(config)``: start a run (or a sweep) without waiting."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from harness import inputs
from harness.sdk import overrides as ov
from harness.sdk.configs import config_overrides


class Experiment:
    """A name that groups runs (``experiment=NAME`` on the command line)."""

    def __init__(self, name: str = "default", workspace: Any = None) -> None:
        from harness.sdk.workspace import Workspace

        self.name = inputs.experiment_name(name)  # the same check as experiment=NAME
        self.workspace = workspace or Workspace()

    def submit(self, config: Any, tags: dict[str, Any] | None = None, **_: Any) -> Any:
        """Start ``config`` in its own process tree and return its handle as soon as
        the run (or sweep) is recorded. A refused config raises the ``HarnessError``
        the CLI would print, and nothing is recorded."""
        from harness.sdk import submit as launcher
        from harness.sdk.run import Run
        from harness.sdk.sweep import SweepRun

        items = [*config_overrides(config), ov.assign("experiment", self.name)]
        for key, value in (tags or {}).items():
            items.append(ov.assign(f"tags.{ov.check_key(str(key), 'tag name')}", str(value)))
        multirun = bool(getattr(config, "is_sweep", False))
        kind, ident, _log = launcher.start(
            items, self.workspace.home, multirun=multirun, cwd=os.getcwd()
        )
        if kind == "sweep":
            return SweepRun(ident, workspace=self.workspace, experiment=self, config=config)
        run = Run(self, ident, workspace=self.workspace)
        _show_environment_notes(run)
        return run

    def get_runs(self, type: str | None = None, tags: Any = None, **_: Any) -> Iterator[Any]:
        """This experiment's runs, newest first."""
        from harness.run.index import summaries
        from harness.run.store import RunStore
        from harness.sdk.run import Run

        records, _damaged = summaries(RunStore(self.workspace.home).root)
        for record in records:
            if record.experiment == self.name:
                if isinstance(tags, dict) and any(
                    record.tags.get(k) != str(v) for k, v in tags.items()
                ):
                    continue
                if isinstance(tags, str) and tags not in record.tags:
                    continue
                yield Run(self, record.id, workspace=self.workspace)

    def __repr__(self) -> str:
        return f"Experiment(name={self.name!r}, workspace={self.workspace.name!r})"


def _show_environment_notes(run: Any) -> None:
    """What the driver warned about the run's environment (a Python used instead of
    the one asked for, packages left out), here too: the caller does not see the
    detached driver's output. Read from the run's record, where provenance keeps it."""
    import sys

    from harness.envs.resolve import notes

    environment = run.record().provenance.get("environment") or {}
    for line in notes(environment):
        print(f"harness: warning: {line}", file=sys.stderr, flush=True)
