"""``harness train``: compose the config with Hydra and run the job.

This goes through ``@hydra.main`` (not the Compose API) so that every Hydra flag
(``--cfg``, ``--help``, ``-m``, launchers, sweepers) keeps its meaning. Hydra reads
the overrides from ``sys.argv`` and calls the task function with the composed config
only; everything else the task needs is on the session (``harness.job.session``).
"""

from __future__ import annotations

import io
import os
import signal
import sys
from typing import Any

from harness.contract import early_worker, interrupts
from harness.errors import HarnessError
from harness.job import session

#: Set while Hydra composes, so that Hydra raises its typed exceptions instead of
#: printing them; cleared when the task starts (here, or in a launcher's worker
#: process that inherited it), so jobs keep Hydra's usual report. The second name
#: marks the first as the harness's own, not the user's.
_FULL_ERROR, _OURS = "HYDRA_FULL_ERROR", "HARNESS_SET_HYDRA_FULL_ERROR"


def task(cfg: Any) -> Any:
    current = session.ensure()  # a joblib worker of a multirun starts without one
    current.task_started = True
    _hydra_reports_again()
    _release_stderr(current)
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode
    from omegaconf import OmegaConf

    from harness.cli import output as summary
    from harness.job import driver
    from harness.sweeps.job import SweepObserver, run_sweep_job
    from harness.sweeps.store import current_sweep_id

    hydra_cfg = HydraConfig.get()
    # Unresolved: keep what the user typed (a `${datastore:...}` is resolved once, by the driver).
    typed = OmegaConf.to_container(hydra_cfg.overrides.task, resolve=False)
    overrides = [str(o) for o in typed] if isinstance(typed, list) else []
    single = hydra_cfg.mode == RunMode.RUN
    if not single:
        return run_sweep_job(
            cfg, overrides, current.argv, int(hydra_cfg.job.num), summary.print_outcome
        )
    # A single run started inside a sweep (a `harness bench` cell) joins that sweep.
    sweep_id = current_sweep_id()
    observer = SweepObserver(cfg, sweep_id) if sweep_id else None
    try:
        outcome = driver.run_job(cfg, overrides, current.argv, observer=observer)
    except HarnessError as exc:
        _refuse(str(exc), exc.exit_code)
        raise SystemExit(exc.exit_code) from None
    summary.print_outcome(outcome)
    raise SystemExit(outcome.exit_code)


def main(args: list[str]) -> int:
    if args[:1] in (["-sc"], ["--shell-completion"]) and args[1:2] != ["query=bash"]:
        # Hydra's install script would complete `harness` as one Hydra app; ours
        # covers every command and asks Hydra about `train`'s overrides.
        from harness.cli import completion

        return completion.handle(args)
    current = session.start(["harness", "train", *args])
    from harness.sweeps import current as sweeps_current

    sweeps_current.reset()
    # Ctrl-C at any point of the command is remembered even where Python swallows its
    # KeyboardInterrupt (harness.contract.interrupts): no run starts after it.
    with interrupts.recorded(signal.SIGINT):
        # The job's process starts now and imports its framework while Hydra composes.
        early_worker.start(args)
        try:
            return _compose_and_run(args, current)
        finally:
            early_worker.dismiss()  # a worker the run did not take (or no run)


def _compose_and_run(args: list[str], current: session.Session) -> int:
    from harness.contract.manager import get_plugin_manager
    from harness.job import config
    from harness.sweeps import config as sweep_config
    from harness.sweeps import current as sweeps_current

    sweep_config.register()  # the sweep layer's `sweep` node and policy group
    config.register_schema()
    config.register_resolvers()
    current.app_active = True
    manager = get_plugin_manager()  # load plugins (and show their warnings) before composing
    groups = config.default_groups()
    from harness.envs.overrides import quote_environment_overrides

    args = quote_environment_overrides(args)  # [numpy<2] as typed, not Hydra-quoted
    from harness.job import override_syntax

    override_syntax.check(args)  # a malformed override: one line naming it and its key
    typed = config.register_plugin_schemas(manager.config_schemas())
    searchpath = manager.config_searchpath()
    options = {g: sorted({*config.group_options(g, searchpath), *typed.get(g, [])}) for g in groups}
    overrides = sweep_config.normalize_overrides(config.normalize_overrides(args, groups, options))
    config.check_group_choices(overrides, groups, searchpath, manager.why_missing, typed)

    import hydra

    # Hydra's own interface: @hydra.main parses sys.argv.
    sys.argv = ["harness train", *overrides]
    app = hydra.main(version_base=None, config_path="pkg://harness.conf", config_name="config")(
        task
    )
    code = 0
    # Until the task starts, Hydra raises its typed exceptions (a composition error
    # becomes one `harness: error:` line made from their fields) and what it prints
    # is held back (shown when the task starts, or with the error).
    if not os.environ.get(_FULL_ERROR):
        os.environ[_FULL_ERROR] = os.environ[_OURS] = "1"
    ours = bool(os.environ.get(_OURS))
    current.held_stderr = (sys.stderr, io.StringIO())
    sys.stderr = current.held_stderr[1]
    try:
        app()
        _release_stderr(current)
        if "--help" in args or "-h" in args:  # Hydra printed its part and returned
            _print_component_options(manager)
    except SystemExit as exc:
        held = _release_stderr(current)
        if exc.code in (0, None) and ("--help" in args or "-h" in args):
            _print_component_options(manager)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if code == 1 and not current.task_started:
            code = 2  # a config error Hydra reported itself (the sweep layer's own pass through)
        if held:
            sys.stderr.write(held)
    except KeyboardInterrupt:
        if sweeps_current.driven() is None:
            raise
        code = 130
    except Exception as exc:
        held = _release_stderr(current)
        if current.task_started:
            if held:
                sys.stderr.write(held)
            raise
        code = 2  # Hydra refused to compose: a config error
        if ours:
            for line in held.splitlines():  # plugin warnings shown while composing
                if line.startswith("harness: warning"):
                    print(line, file=sys.stderr)
            _refuse(_explained(exc, overrides, manager))
        else:  # HYDRA_FULL_ERROR=1 from the user: Hydra's own report, traceback included
            import traceback

            sys.stderr.write(held)
            traceback.print_exc()
    finally:
        _hydra_reports_again()
    sweep = sweeps_current.driven()
    if sweep is not None:  # a multirun: summarise the sweep
        from harness.cli.output import SWEEP_END_ROWS, print_sweep_summary
        from harness.sweeps.summary import close_sweep

        code, result = close_sweep(sweep, code)
        print()
        print_sweep_summary(result, most=SWEEP_END_ROWS)
    return code


def _explained(exc: Exception, overrides: list[str], manager: Any) -> str:
    """Hydra's exception as one line; for a declared option, with its type and a fix."""
    from harness.cli.config_errors import explain

    try:
        return explain(exc, overrides, manager)
    except Exception:  # the plain line is still right; never hide the user's mistake
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        return lines[0] if lines else type(exc).__name__


def _refuse(message: str, code: int = 2) -> None:
    """A user's mistake: one line for people, one event for the caller."""
    from harness.job import events

    print(f"harness: error: {message}", file=sys.stderr)
    events.emit("refused", message=message, exit_code=code)


def _hydra_reports_again() -> None:
    if os.environ.pop(_OURS, None):
        os.environ.pop(_FULL_ERROR, None)


def _print_component_options(manager: Any) -> None:
    from harness.cli.config_help import print_component_options

    print_component_options(manager)


def _release_stderr(current: session.Session) -> str:
    """Restore stderr; return what was held back (and show it when the task starts)."""
    text = current.release_stderr()
    if current.task_started and text:
        sys.stderr.write(text)
        return ""
    return text
